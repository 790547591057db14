/* getgroups (the count with size 0, EINVAL for a negative size), sysinfo,
 * the nice value inherited by a child,
 * waiting after a spawn of a program that does not exist (ENOENT, then no
 * child: ECHILD), wait4 with its rusage, getrusage and times. */
#include "linuxtest.h"
#include <spawn.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "nice") == 0)
        return getpriority(PRIO_PROCESS, 0);
    if (argc > 1)
        return atoi(argv[1]);

    int n = getgroups(0, NULL);
    printf("count >= 0: %d\n", n >= 0);
    gid_t list[64];
    printf("same count with a list: %d\n", getgroups(64, list) == n);
    volatile int negative = -1;
    CHECK(getgroups(negative, list));
    int has_gid = n == 0;
    for (int i = 0; i < n; i++)
        has_gid |= list[i] == getgid();
    printf("own group listed (or none): %d\n", has_gid);

    struct sysinfo si;
    CHECK(sysinfo(&si));
    printf("procs >= 1: %d, totalram > 0: %d, freeram <= totalram: %d, unit >= 1: %d\n",
           si.procs >= 1, si.totalram > 0, si.freeram <= si.totalram, si.mem_unit >= 1);

    /* A spawn that fails leaves no child to wait for. */
    pid_t pid = -1;
    char *nope[] = {"/no/such/program", NULL};
    CHECK_ERRNO(posix_spawn(&pid, "/no/such/program", NULL, NULL, nope, environ));
    CHECK_ERRNO(posix_spawnp(&pid, "no-such-program-anywhere", NULL, NULL, nope, environ));
    int status = 0;
    CHECK(waitpid(-1, &status, 0));
    CHECK(waitpid(-1, &status, WNOHANG));
    CHECK(wait(NULL));
    struct rusage ru;
    CHECK(wait4(-1, &status, 0, &ru));

    /* A child that exits 3: wait4 reports it once. */
    char *child[] = {argv[0], "3", NULL};
    fflush(stdout);
    CHECK_ERRNO(posix_spawn(&pid, argv[0], NULL, NULL, child, environ));
    pid_t got = wait4(pid, &status, 0, &ru);
    printf("reaped %d exited %d status %d\n", got == pid, WIFEXITED(status),
           WEXITSTATUS(status));
    CHECK(wait4(pid, &status, 0, &ru));
    CHECK(waitpid(pid + 100000, &status, 0));

    /* The nice value is inherited by a spawned child. */
    CHECK(setpriority(PRIO_PROCESS, 0, 4));
    char *nicer[] = {argv[0], "nice", NULL};
    fflush(stdout);
    CHECK_ERRNO(posix_spawn(&pid, argv[0], NULL, NULL, nicer, environ));
    MUST(waitpid(pid, &status, 0) == pid);
    printf("child's nice %d\n", WEXITSTATUS(status));
    CHECK(setpriority(PRIO_PROCESS, 0, 0));

    /* CPU time of a busy loop shows in getrusage and times (loop until 60 ms
     * of it, for at most 20 s of wall time: the host may be busy). */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    volatile unsigned long spin = 0;
    long us = 0;
    do {
        for (int i = 0; i < 100000; i++)
            spin += i;
        MUST(getrusage(RUSAGE_SELF, &ru) == 0);
        us = ru.ru_utime.tv_sec * 1000000L + ru.ru_utime.tv_usec +
             ru.ru_stime.tv_sec * 1000000L + ru.ru_stime.tv_usec;
        clock_gettime(CLOCK_MONOTONIC, &t1);
    } while (us < 60000 && t1.tv_sec - t0.tv_sec < 20);
    printf("cpu time reached 60 ms: %d\n", us >= 60000);
    CHECK(getrusage(RUSAGE_CHILDREN, &ru));
    CHECK(getrusage(12345, &ru));
    struct tms tms;
    clock_t c = times(&tms);
    printf("times ok %d, user+sys ticks >= 5: %d\n", c != (clock_t)-1,
           (long)(tms.tms_utime + tms.tms_stime) * 100 / sysconf(_SC_CLK_TCK) >= 5);
    return 0;
}
