/* link and linkat: link counts, symlinks linked themselves or followed
 * (AT_SYMLINK_FOLLOW), AT_EMPTY_PATH on an open file, directories refused,
 * existing names, trailing slashes, EXDEV across file systems. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int nlink(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 ? (int)st.st_nlink : -1;
}

static int same(const char *a, const char *b, int flags) {
    struct stat x, y;
    if (fstatat(AT_FDCWD, a, &x, flags) != 0 || fstatat(AT_FDCWD, b, &y, flags) != 0)
        return -1;
    return x.st_ino == y.st_ino && x.st_dev == y.st_dev;
}

int main(void) {
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    MUST(fd >= 0);
    MUST(mkdir("d", 0755) == 0);
    MUST(symlink("f", "l") == 0);
    printf("nlink %d\n", nlink("f"));
    CHECK(link("f", "f2"));
    printf("nlink %d same %d\n", nlink("f"), same("f", "f2", 0));
    CHECK(link("f", "d/f3"));
    printf("nlink %d\n", nlink("f"));
    CHECK(link("l", "l2"));
    printf("l2 is the link itself: %d, nlink of f %d\n", same("l", "l2", AT_SYMLINK_NOFOLLOW),
           nlink("f"));
    CHECK(linkat(AT_FDCWD, "l", AT_FDCWD, "f4", AT_SYMLINK_FOLLOW));
    printf("f4 is f: %d, nlink %d\n", same("f", "f4", AT_SYMLINK_NOFOLLOW), nlink("f"));
    CHECK(linkat(fd, "", AT_FDCWD, "f5", AT_EMPTY_PATH));
    printf("nlink %d\n", nlink("f"));
    CHECK(link("f", "f2"));
    CHECK(link("f", "new/"));
    CHECK(link("f", "nope/x"));
    CHECK(link("nope", "x"));
    CHECK(link("", "x"));
    CHECK(link("f", ""));
    CHECK(link("d", "d2"));
    CHECK(link("f/", "x"));
    CHECK(link("f", "."));
    CHECK(linkat(AT_FDCWD, "f", AT_FDCWD, "x", 0x8000));
    CHECK(linkat(fd, "", AT_FDCWD, "x", 0));
    CHECK(link("f", "/dev/shm-none/x"));
    CHECK(link("/proc/self/status", "x"));
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);
    CHECK(linkat(dfd, "f3", dfd, "f6", 0));
    printf("nlink %d\n", nlink("f"));
    CHECK(unlink("f"));
    CHECK(unlink("f2"));
    printf("nlink of f4 %d\n", nlink("f4"));
    CHECK(close(dfd));
    CHECK(close(fd));
    return 0;
}
