/* utimensat, futimens, utimes, futimes, lutimes and utime: exact times,
 * UTIME_NOW and UTIME_OMIT, symlinks themselves, bad nanoseconds. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static void show(const char *path, int flags) {
    struct stat st;
    if (fstatat(AT_FDCWD, path, &st, flags) != 0) {
        printf("%s: stat %s\n", path, errname(errno));
        return;
    }
    printf("%s: atime %lld.%09ld mtime %lld.%09ld\n", path, (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

static int recent(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    time_t now = time(NULL);
    return st.st_mtim.tv_sec >= now - 60 && st.st_mtim.tv_sec <= now + 1;
}

int main(void) {
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    MUST(fd >= 0);
    MUST(symlink("f", "l") == 0);
    struct timespec ts[2] = {{1000000000, 123456789}, {1100000000, 987654321}};
    CHECK(utimensat(AT_FDCWD, "f", ts, 0));
    show("f", 0);
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1] = (struct timespec){1200000000, 5};
    CHECK(futimens(fd, ts));
    show("f", 0);
    ts[0] = (struct timespec){1300000000, 0};
    ts[1].tv_nsec = UTIME_OMIT;
    CHECK(utimensat(AT_FDCWD, "l", ts, 0)); /* follows */
    show("f", 0);
    ts[0] = (struct timespec){1400000000, 1};
    ts[1] = (struct timespec){1500000000, 2};
    CHECK(utimensat(AT_FDCWD, "l", ts, AT_SYMLINK_NOFOLLOW));
    show("l", AT_SYMLINK_NOFOLLOW);
    show("f", 0);
    ts[1].tv_nsec = UTIME_NOW;
    CHECK(utimensat(AT_FDCWD, "f", ts, 0));
    printf("mtime now: %d\n", recent("f"));
    CHECK(utimensat(AT_FDCWD, "f", ts, 0));
    ts[0].tv_nsec = 1000000000;
    CHECK(utimensat(AT_FDCWD, "f", ts, 0));
    CHECK(utimensat(AT_FDCWD, "nope", ts, 0)); /* ENOENT before EINVAL */
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1].tv_nsec = UTIME_OMIT;
    CHECK(utimensat(AT_FDCWD, "nope", ts, 0)); /* nothing to do: not even a lookup */
    CHECK(utimensat(AT_FDCWD, "f", NULL, 0x8000));
    CHECK(utimensat(AT_FDCWD, "", NULL, 0));
    CHECK(utimensat(99, "f", NULL, 0));
    struct timeval tv[2] = {{1600000000, 250000}, {1700000000, 750000}};
    CHECK(utimes("f", tv));
    show("f", 0);
    tv[1].tv_sec = 1710000000;
    CHECK(futimes(fd, tv));
    show("f", 0);
    tv[0].tv_sec = 1720000000;
    CHECK(lutimes("l", tv));
    show("l", AT_SYMLINK_NOFOLLOW);
    tv[0].tv_usec = 1000000;
    CHECK(utimes("f", tv));
    struct utimbuf ub = {1800000000, 1900000000};
    CHECK(utime("f", &ub));
    show("f", 0);
    CHECK(utime("f", NULL));
    printf("mtime now: %d\n", recent("f"));
    CHECK(utimes("nope", NULL));
    CHECK(close(fd));
    return 0;
}
