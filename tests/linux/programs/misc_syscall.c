/* syscall() with Linux x86-64 numbers: -1 and errno as glibc's syscall(), the
 * raw calls' own results (getcwd's length, getpriority's 20 - nice), futex,
 * getdents64, the *at family, and ENOSYS for a number that does not exist. */
#include "linuxtest.h"
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

int main(void) {
    printf("getpid %d\n", syscall(SYS_getpid) == getpid());
    printf("gettid %d\n", syscall(SYS_gettid) == getpid());
    printf("getppid %d\n", syscall(SYS_getppid) == getppid());
    CHECK(syscall(SYS_getuid));
    fflush(stdout);
    CHECK(syscall(SYS_write, 1, "raw write\n", 10));
    CHECK(syscall(SYS_write, 99, "x", 1));
    CHECK(syscall(SYS_close, 99));
    CHECK(syscall(99999));
    CHECK(syscall(-1));

    /* Files through the *at calls. */
    CHECK(syscall(SYS_mkdirat, AT_FDCWD, "d", 0755));
    CHECK(syscall(SYS_mkdirat, AT_FDCWD, "d", 0755));
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "d/f", O_CREAT | O_WRONLY | O_EXCL, 0644);
    MUST(fd >= 0);
    CHECK(syscall(SYS_write, fd, "12345", 5));
    CHECK(syscall(SYS_close, fd));
    CHECK(syscall(SYS_openat, AT_FDCWD, "d/f", O_CREAT | O_WRONLY | O_EXCL, 0644));
    struct stat st;
    CHECK(syscall(SYS_newfstatat, AT_FDCWD, "d/f", &st, 0));
    printf("size %lld mode %o\n", (long long)st.st_size, (unsigned)(st.st_mode & 0777));
    struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};
    CHECK(syscall(SYS_utimensat, AT_FDCWD, "d/f", times, 0));
    MUST(stat("d/f", &st) == 0);
    printf("mtime %lld\n", (long long)st.st_mtime);
    CHECK(syscall(SYS_faccessat, AT_FDCWD, "d/f", R_OK));
    CHECK(syscall(SYS_faccessat, AT_FDCWD, "d/missing", R_OK));
    CHECK(syscall(SYS_symlinkat, "f", AT_FDCWD, "d/l"));
    char link[16] = {0};
    CHECK(syscall(SYS_readlinkat, AT_FDCWD, "d/l", link, sizeof link));
    printf("link %s\n", link);

    /* getdents64: the names in d. */
    int dir = open("d", O_RDONLY | O_DIRECTORY);
    MUST(dir >= 0);
    char buf[1024];
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    int names = 0, found_f = 0, found_l = 0;
    for (long off = 0; off < n;) {
        struct dirent64 *d = (struct dirent64 *)(buf + off);
        names++;
        found_f |= strcmp(d->d_name, "f") == 0;
        found_l |= strcmp(d->d_name, "l") == 0;
        off += d->d_reclen;
    }
    printf("entries %d f %d l %d\n", names, found_f, found_l);
    CHECK(syscall(SYS_getdents64, dir, buf, sizeof buf));
    CHECK(syscall(SYS_getdents64, 99, buf, sizeof buf));
    close(dir);
    CHECK(syscall(SYS_unlinkat, AT_FDCWD, "d/l", 0));
    CHECK(syscall(SYS_unlinkat, AT_FDCWD, "d", AT_REMOVEDIR));
    CHECK(syscall(SYS_unlinkat, AT_FDCWD, "d/f", 0));
    CHECK(syscall(SYS_unlinkat, AT_FDCWD, "d", AT_REMOVEDIR));

    /* getcwd's raw result is the length with its NUL. */
    char cwd[4096];
    long len = syscall(SYS_getcwd, cwd, sizeof cwd);
    printf("getcwd length ok %d\n", len == (long)strlen(cwd) + 1);
    CHECK(syscall(SYS_getcwd, cwd, 1));

    /* Time and randomness. */
    struct timespec ts;
    CHECK(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts));
    CHECK(syscall(SYS_clock_gettime, 12345, &ts));
    struct timeval tv;
    CHECK(syscall(SYS_gettimeofday, &tv, NULL));
    printf("time sane %d\n", tv.tv_sec > 1600000000);
    unsigned char rnd[16];
    CHECK(syscall(SYS_getrandom, rnd, sizeof rnd, 0));
    CHECK(syscall(SYS_getrandom, rnd, sizeof rnd, 0x100));

    /* Signals: kill and tgkill with signal 0 check the target. */
    CHECK(syscall(SYS_kill, getpid(), 0));
    CHECK(syscall(SYS_tgkill, getpid(), getpid(), 0));
    CHECK(syscall(SYS_tgkill, getpid(), 0, 0));
    CHECK(syscall(SYS_kill, getpid(), 999));

    /* Priorities: the raw getpriority answers 20 - nice. */
    CHECK(syscall(SYS_setpriority, 0, 0, 5));
    CHECK(syscall(SYS_getpriority, 0, 0));

    /* futex: a wake with nobody waiting, a wait on a changed value, a timeout. */
    uint32_t word = 1;
    CHECK(syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
    CHECK(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0));
    struct timespec shortwait = {0, 20 * 1000 * 1000};
    CHECK(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &shortwait, NULL, 0));

    /* Events through syscall(). */
    int efd = (int)syscall(SYS_eventfd2, 3, 0);
    MUST(efd >= 0);
    uint64_t v;
    CHECK(syscall(SYS_read, efd, &v, 8));
    printf("v %llu\n", (unsigned long long)v);
    CHECK(syscall(SYS_eventfd2, 0, 0x12345));
    int ep = (int)syscall(SYS_epoll_create1, 0);
    MUST(ep >= 0);
    CHECK(syscall(SYS_epoll_create, 0));
    CHECK(syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0) >= 0);
    CHECK(syscall(SYS_timerfd_create, 12345, 0));
    return 0;
}
