/* statx: the basic fields agree with stat (type, mode, links, size, inode, times),
 * AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH, and the error paths. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void compare(const char *what, const struct statx *x, const struct stat *s) {
    printf("%s: basic %d mode %o nlink %u size %llu ino %d blksize>0 %d times %d %d\n", what,
           (x->stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS, x->stx_mode,
           x->stx_nlink, (unsigned long long)x->stx_size,
           x->stx_ino == (unsigned long long)s->st_ino,
           x->stx_blksize > 0,
           x->stx_mtime.tv_sec == s->st_mtim.tv_sec && x->stx_mtime.tv_nsec == s->st_mtim.tv_nsec,
           x->stx_ctime.tv_sec == s->st_ctim.tv_sec);
}

int main(void) {
    umask(022);
    int fd = open("f", O_CREAT | O_RDWR, 0640);
    MUST(fd >= 0 && write(fd, "hello world", 11) == 11);
    MUST(mkdir("d", 0750) == 0);
    MUST(symlink("f", "link") == 0);
    struct statx x;
    struct stat s;
    CHECK(statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &x));
    MUST(stat("f", &s) == 0);
    compare("f", &x, &s);
    CHECK(statx(AT_FDCWD, "d", 0, STATX_ALL, &x));
    MUST(stat("d", &s) == 0);
    printf("d: dir %d mode %o\n", S_ISDIR(x.stx_mode), x.stx_mode & 07777);
    CHECK(statx(AT_FDCWD, "link", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &x));
    printf("link: symlink %d size %llu\n", S_ISLNK(x.stx_mode), (unsigned long long)x.stx_size);
    CHECK(statx(AT_FDCWD, "link", 0, STATX_BASIC_STATS, &x));
    printf("link followed: regular %d\n", S_ISREG(x.stx_mode));
    CHECK(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &x));
    printf("fd: size %llu\n", (unsigned long long)x.stx_size);
    int dir = open("d", O_RDONLY | O_DIRECTORY);
    CHECK(statx(dir, "..", 0, STATX_TYPE, &x));
    printf("d/..: dir %d\n", S_ISDIR(x.stx_mode));
    CHECK(statx(AT_FDCWD, ".", AT_STATX_DONT_SYNC | AT_NO_AUTOMOUNT, STATX_BASIC_STATS, &x));
    int p[2];
    MUST(pipe(p) == 0);
    CHECK(statx(p[0], "", AT_EMPTY_PATH, STATX_TYPE, &x));
    printf("pipe: fifo %d\n", S_ISFIFO(x.stx_mode));

    CHECK(statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &x));
    CHECK(statx(AT_FDCWD, "f/x", 0, STATX_BASIC_STATS, &x));
    CHECK(statx(AT_FDCWD, "", 0, STATX_BASIC_STATS, &x));
    CHECK(statx(fd, "x", 0, STATX_BASIC_STATS, &x));
    CHECK(statx(-1, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &x));
    CHECK(statx(AT_FDCWD, "f", 0x80000, STATX_BASIC_STATS, &x));
    CHECK(statx(AT_FDCWD, "f", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC, STATX_BASIC_STATS, &x));
    CHECK(statx(AT_FDCWD, "f", 0, STATX__RESERVED, &x));
    return 0;
}
