/* Resource limits: getrlimit for every RLIMIT_* (soft <= hard), an unknown
 * resource (EINVAL), lowering RLIMIT_NOFILE's soft and hard limits (raising a
 * hard limit needs CAP_SYS_RESOURCE, which the native run may lack: not
 * tried), soft > hard (EINVAL), prlimit on itself, and open
 * failing with EMFILE at the soft limit; sysconf(_SC_OPEN_MAX) follows it. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void) {
    struct { int r; const char *name; } res[] = {
        {RLIMIT_CPU, "CPU"}, {RLIMIT_FSIZE, "FSIZE"}, {RLIMIT_DATA, "DATA"},
        {RLIMIT_STACK, "STACK"}, {RLIMIT_CORE, "CORE"}, {RLIMIT_RSS, "RSS"},
        {RLIMIT_NPROC, "NPROC"}, {RLIMIT_NOFILE, "NOFILE"}, {RLIMIT_MEMLOCK, "MEMLOCK"},
        {RLIMIT_AS, "AS"}, {RLIMIT_LOCKS, "LOCKS"}, {RLIMIT_SIGPENDING, "SIGPENDING"},
        {RLIMIT_MSGQUEUE, "MSGQUEUE"}, {RLIMIT_NICE, "NICE"}, {RLIMIT_RTPRIO, "RTPRIO"},
        {RLIMIT_RTTIME, "RTTIME"},
    };
    printf("RLIMIT_NLIMITS %d\n", RLIMIT_NLIMITS);
    for (size_t i = 0; i < sizeof res / sizeof res[0]; i++) {
        struct rlimit rl;
        errno = 0;
        int r = getrlimit(res[i].r, &rl);
        printf("%s = %d %s soft<=hard %d\n", res[i].name, r, errname(r ? errno : 0),
               rl.rlim_cur <= rl.rlim_max);
        /* setting the current values back is always allowed */
        CHECK(setrlimit(res[i].r, &rl));
    }
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_NLIMITS, &rl));
    CHECK(getrlimit(-1, &rl));
    CHECK(setrlimit(99, &rl));

    struct rlimit orig;
    MUST(getrlimit(RLIMIT_NOFILE, &orig) == 0);
    printf("_SC_OPEN_MAX == soft %d\n", sysconf(_SC_OPEN_MAX) == (long)orig.rlim_cur);
    printf("getdtablesize == soft %d\n", getdtablesize() == (int)orig.rlim_cur);
    struct rlimit bad = {.rlim_cur = 64, .rlim_max = 32};
    CHECK(setrlimit(RLIMIT_NOFILE, &bad));
    struct rlimit low = {.rlim_cur = 16, .rlim_max = orig.rlim_max};
    CHECK(setrlimit(RLIMIT_NOFILE, &low));
    printf("_SC_OPEN_MAX after %ld\n", sysconf(_SC_OPEN_MAX));
    int last = -1;
    for (;;) {
        errno = 0;
        int fd = open(".", O_RDONLY);
        if (fd < 0) break;
        last = fd;
    }
    printf("open stopped: %s, highest fd %d\n", errname(errno), last);
    int p[2];
    CHECK(pipe(p));
    CHECK(dup(0));
    CHECK(fcntl(0, F_DUPFD, 0));
    CHECK(dup2(0, 16));
    CHECK(dup2(0, 15));
    CHECK(fcntl(0, F_DUPFD, 20));
    for (int fd = 4; fd <= last; fd++) close(fd);
    close(15);

    struct rlimit hard = {.rlim_cur = 16, .rlim_max = 32};
    CHECK(setrlimit(RLIMIT_NOFILE, &hard));
    struct rlimit raise = {.rlim_cur = 32, .rlim_max = 32};
    CHECK(setrlimit(RLIMIT_NOFILE, &raise));
    struct rlimit now;
    CHECK(getrlimit(RLIMIT_NOFILE, &now));
    printf("now %lu %lu\n", (unsigned long)now.rlim_cur, (unsigned long)now.rlim_max);

    struct rlimit old, neu = {.rlim_cur = 24, .rlim_max = 32};
    CHECK(prlimit(0, RLIMIT_NOFILE, &neu, &old));
    printf("prlimit old %lu %lu\n", (unsigned long)old.rlim_cur, (unsigned long)old.rlim_max);
    CHECK(prlimit(getpid(), RLIMIT_NOFILE, NULL, &old));
    printf("prlimit self %lu\n", (unsigned long)old.rlim_cur);
    CHECK(prlimit(0, RLIMIT_NOFILE, &bad, NULL));
    CHECK(prlimit(999999, RLIMIT_NOFILE, NULL, &old));
    return 0;
}
