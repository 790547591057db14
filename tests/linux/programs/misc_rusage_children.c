/* The CPU time of a waited-for child: in wait4's rusage and in
 * getrusage(RUSAGE_CHILDREN) and times()'s tms_cutime. */
#include "linuxtest.h"
#include <spawn.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long usec(struct timeval tv) {
    return tv.tv_sec * 1000000L + tv.tv_usec;
}

int main(int argc, char **argv) {
    struct rusage ru;
    if (argc > 1) {
        /* The child: spin until 100 ms of CPU time (at most 20 s of wall time). */
        time_t start = time(NULL);
        volatile unsigned long spin = 0;
        do {
            for (int i = 0; i < 100000; i++)
                spin += i;
            MUST(getrusage(RUSAGE_SELF, &ru) == 0);
        } while (usec(ru.ru_utime) + usec(ru.ru_stime) < 100000 && time(NULL) - start < 20);
        return 0;
    }
    pid_t pid;
    char *child[] = {argv[0], "child", NULL};
    MUST(posix_spawn(&pid, argv[0], NULL, NULL, child, environ) == 0);
    int status;
    MUST(wait4(pid, &status, 0, &ru) == pid);
    printf("wait4 rusage >= 50 ms: %d\n", usec(ru.ru_utime) + usec(ru.ru_stime) >= 50000);
    MUST(getrusage(RUSAGE_CHILDREN, &ru) == 0);
    printf("RUSAGE_CHILDREN >= 50 ms: %d\n", usec(ru.ru_utime) + usec(ru.ru_stime) >= 50000);
    struct tms t;
    times(&t);
    printf("tms_cutime+cstime >= 5 ticks: %d\n", t.tms_cutime + t.tms_cstime >= 5);
    return 0;
}
