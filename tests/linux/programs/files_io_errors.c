/* ftruncate/truncate, pread/pwrite, readv/writev/preadv/pwritev and their error
 * paths (EINVAL, EISDIR, EBADF, ESPIPE), the sync family and posix_fadvise, and
 * fstatat with AT_EMPTY_PATH. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

static long size_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

int main(void) {
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    MUST(fd >= 0);
    CHECK(write(fd, "0123456789", 10));

    printf("-- truncate\n");
    CHECK(ftruncate(fd, 4));
    printf("size %ld\n", size_of("f"));
    CHECK(ftruncate(fd, 100));
    printf("size %ld\n", size_of("f"));
    CHECK(truncate("f", 6));
    printf("size %ld\n", size_of("f"));
    CHECK(ftruncate(fd, -1));
    CHECK(truncate("f", -1));
    CHECK(truncate("missing", 0));
    CHECK(truncate("", 0));
    CHECK(mkdir("d", 0755));
    CHECK(truncate("d", 0));
    CHECK(truncate("f/x", 0));
    int ro = open("f", O_RDONLY);
    CHECK(ftruncate(ro, 0));
    int dir = open("d", O_RDONLY | O_DIRECTORY);
    CHECK(ftruncate(dir, 0));
    int p[2];
    MUST(pipe(p) == 0);
    CHECK(ftruncate(p[1], 0));
    CHECK(ftruncate(-1, 0));

    printf("-- pread/pwrite\n");
    char buf[32] = {0};
    CHECK(pwrite(fd, "abc", 3, 1));
    CHECK(pread(fd, buf, 5, 0));
    printf("data %.5s\n", buf);
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(pread(fd, buf, 5, 1000));
    CHECK(pread(fd, buf, 5, -1));
    CHECK(pwrite(fd, "x", 1, -1));
    CHECK(pread(p[0], buf, 1, 0));
    CHECK(pwrite(p[1], "x", 1, 0));
    CHECK(pread(dir, buf, 1, 0));
    CHECK(pread(-1, buf, 1, 0));
    int wo = open("f", O_WRONLY);
    CHECK(pread(wo, buf, 1, 0));
    CHECK(pwrite(ro, "x", 1, 0));
    int ap = open("f", O_WRONLY | O_APPEND);
    CHECK(pwrite(ap, "Z", 1, 0));
    printf("size after pwrite on O_APPEND %ld\n", size_of("f"));

    printf("-- vectors\n");
    char a[4] = {0}, b[8] = {0};
    struct iovec out[2] = {{"hello ", 6}, {"world", 5}};
    struct iovec in[2] = {{a, 3}, {b, 7}};
    CHECK(lseek(fd, 0, SEEK_SET));
    CHECK(writev(fd, out, 2));
    CHECK(lseek(fd, 0, SEEK_SET));
    CHECK(readv(fd, in, 2));
    printf("readv %.3s|%.7s\n", a, b);
    CHECK(pwritev(fd, out, 2, 20));
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    CHECK(preadv(fd, in, 2, 21));
    printf("preadv %.3s|%.7s\n", a, b);
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(preadv(fd, in, 2, -1));
    CHECK(pwritev(p[1], out, 2, 0));
    volatile int negative = -1; /* (a literal -1 draws a compiler warning) */
    CHECK(readv(fd, in, negative));
    CHECK(writev(-1, out, 2));
    CHECK(readv(fd, in, 0));

    printf("-- sync\n");
    sync();
    CHECK(fsync(fd));
    CHECK(fdatasync(fd));
    CHECK(syncfs(fd));
    int dnull = open("/dev/null", O_WRONLY);
    CHECK(fsync(p[0]));
    CHECK(fdatasync(p[1]));
    CHECK(fsync(dnull));
    CHECK(fdatasync(dnull));
    CHECK(fsync(dir));
    CHECK(fdatasync(dir));
    CHECK(syncfs(p[0]));
    CHECK(fsync(-1));
    CHECK(fdatasync(99));
    CHECK(syncfs(-1));
    CHECK(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
    CHECK(sync_file_range(fd, 0, 10, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                                         SYNC_FILE_RANGE_WAIT_AFTER));
    CHECK(sync_file_range(fd, 0, 0, 8));
    CHECK(sync_file_range(fd, -1, 0, 0));
    CHECK(sync_file_range(fd, 0, -1, 0));
    CHECK(sync_file_range(p[1], 0, 0, 0));
    CHECK(sync_file_range(-1, 0, 0, 0));

    printf("-- posix_fadvise\n");
    CHECK_ERRNO(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
    CHECK_ERRNO(posix_fadvise(fd, 0, 100, POSIX_FADV_DONTNEED));
    CHECK_ERRNO(posix_fadvise(fd, 0, -1, POSIX_FADV_NORMAL));
    CHECK_ERRNO(posix_fadvise(fd, 0, 0, 99));
    CHECK_ERRNO(posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL));
    CHECK_ERRNO(posix_fadvise(-1, 0, 0, POSIX_FADV_NORMAL));

    printf("-- fstatat AT_EMPTY_PATH\n");
    struct stat s1, s2;
    CHECK(fstatat(fd, "", &s1, AT_EMPTY_PATH));
    CHECK(fstat(fd, &s2));
    printf("same %d regular %d size %ld\n", s1.st_ino == s2.st_ino, S_ISREG(s1.st_mode),
           (long)s1.st_size);
    CHECK(fstatat(dir, "", &s1, AT_EMPTY_PATH));
    printf("dir %d\n", S_ISDIR(s1.st_mode));
    CHECK(fstatat(AT_FDCWD, "", &s1, AT_EMPTY_PATH));
    printf("cwd dir %d\n", S_ISDIR(s1.st_mode));
    CHECK(fstatat(p[0], "", &s1, AT_EMPTY_PATH));
    printf("fifo %d\n", S_ISFIFO(s1.st_mode));
    CHECK(fstatat(fd, "", &s1, 0));
    CHECK(fstatat(-1, "", &s1, AT_EMPTY_PATH));
    CHECK(fstatat(fd, "x", &s1, AT_EMPTY_PATH));
    return 0;
}
