/* CPU time is the process's own: a new process starts near 0 even on a host
 * thread that ran a busy one before; sleeping costs none; getrusage,
 * clock(), the CPU-time clocks and /proc/self/stat agree; ru_maxrss is the
 * peak memory, its own and the largest reaped child's. */
#include "linuxtest.h"
#include <spawn.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static long long usec(struct timeval tv) {
    return tv.tv_sec * 1000000LL + tv.tv_usec;
}

static long long cpu_ms(clockid_t clock) {
    struct timespec ts;
    MUST(clock_gettime(clock, &ts) == 0);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void spin_ms(long long ms) {
    volatile unsigned long spin = 0;
    long long start = cpu_ms(CLOCK_PROCESS_CPUTIME_ID);
    time_t wall = time(NULL);
    while (cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - start < ms && time(NULL) - wall < 20)
        for (int i = 0; i < 100000; i++)
            spin += i;
}

static void run(char *self, char *what) {
    pid_t pid;
    char *argv[] = {self, what, NULL};
    MUST(posix_spawn(&pid, self, NULL, NULL, argv, environ) == 0);
    int status;
    MUST(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* utime + stime of /proc/self/stat, in clock ticks. */
static long proc_ticks(void) {
    FILE *f = fopen("/proc/self/stat", "r");
    MUST(f != NULL);
    char buf[1024];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    MUST(p != NULL);
    unsigned long utime = 0, stime = 0;
    /* after the name: state ppid pgrp session tty tpgid flags minflt cminflt
     * majflt cmajflt utime stime */
    MUST(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
                &stime) == 2);
    return (long)(utime + stime);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "busy") == 0) {
        spin_ms(200);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "fresh") == 0) {
        printf("a new process's CPU time < 50 ms: %d\n",
               cpu_ms(CLOCK_PROCESS_CPUTIME_ID) < 50);
        printf("its thread's < 50 ms: %d\n", cpu_ms(CLOCK_THREAD_CPUTIME_ID) < 50);
        printf("clock() < 50 ms: %d\n", clock() < CLOCKS_PER_SEC / 20);
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "big") == 0) {
        size_t size = 24 << 20;
        volatile char *p = malloc(size);
        MUST(p != NULL);
        for (size_t i = 0; i < size; i += 4096)
            p[i] = (char)(i >> 12);
        return p[size - 4096] == (char)((size - 4096) >> 12) ? 0 : 1;
    }
    run(argv[0], "busy");
    run(argv[0], "fresh");

    struct rusage before, after;
    MUST(getrusage(RUSAGE_SELF, &before) == 0);
    struct timespec nap = {0, 300000000};
    MUST(nanosleep(&nap, NULL) == 0);
    MUST(getrusage(RUSAGE_SELF, &after) == 0);
    long long slept = usec(after.ru_utime) + usec(after.ru_stime) - usec(before.ru_utime) -
                      usec(before.ru_stime);
    printf("sleeping 300 ms costs < 50 ms of CPU: %d\n", slept < 50000);

    long long c0 = cpu_ms(CLOCK_PROCESS_CPUTIME_ID);
    long t0 = proc_ticks();
    clock_t k0 = clock();
    spin_ms(150);
    long long spent = cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("spinning 150 ms: the clock says 150-400 ms: %d\n", spent >= 150 && spent < 400);
    long long by_clock = (long long)(clock() - k0) * 1000 / CLOCKS_PER_SEC;
    printf("clock() agrees within 20 ms: %d\n", by_clock >= spent - 20 && by_clock <= spent + 20);
    long ticks = proc_ticks() - t0;
    printf("/proc/self/stat counts 10-45 ticks: %d\n", ticks >= 10 && ticks <= 45);
    MUST(getrusage(RUSAGE_SELF, &after) == 0);
    long long total = usec(after.ru_utime) + usec(after.ru_stime);
    printf("getrusage agrees with the clock within 20 ms: %d\n",
           total / 1000 >= cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - 20 &&
               total / 1000 <= cpu_ms(CLOCK_PROCESS_CPUTIME_ID) + 20);

    struct rusage kids;
    MUST(getrusage(RUSAGE_CHILDREN, &kids) == 0);
    long long k1 = usec(kids.ru_utime) + usec(kids.ru_stime);
    printf("children so far 200-500 ms: %d\n", k1 >= 200000 && k1 < 500000);
    run(argv[0], "big");
    MUST(getrusage(RUSAGE_CHILDREN, &kids) == 0);
    printf("the largest child's maxrss >= 24 MiB: %d\n", kids.ru_maxrss >= 24 * 1024);
    MUST(getrusage(RUSAGE_SELF, &after) == 0);
    /* (Linux carries a peak across execve: the host's figure is its launcher's.) */
    printf("mine > 0: %d\n", after.ru_maxrss > 0);

    errno = 0;
    int rc = getrusage(5, &after);
    printf("getrusage(5) = %d %s\n", rc, errname(errno));
    return 0;
}
