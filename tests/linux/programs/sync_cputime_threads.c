/* A process's CPU time includes its threads': while they run and after they
 * end; each thread's own clock counts only its own time. */
// linux-test: cflags=-pthread
#define _GNU_SOURCE
#include "linuxtest.h"
#include <pthread.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static volatile int stop;

static long long cpu_ms(clockid_t clock) {
    struct timespec ts;
    MUST(clock_gettime(clock, &ts) == 0);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void *spinner(void *arg) {
    long long *spent = arg;
    volatile unsigned long spin = 0;
    time_t wall = time(NULL);
    while (!stop && cpu_ms(CLOCK_THREAD_CPUTIME_ID) < 200 && time(NULL) - wall < 20)
        for (int i = 0; i < 10000; i++)
            spin += i;
    *spent = cpu_ms(CLOCK_THREAD_CPUTIME_ID);
    return NULL;
}

int main(void) {
    pthread_t t;
    long long spent = 0;
    long long before = cpu_ms(CLOCK_PROCESS_CPUTIME_ID);
    MUST(pthread_create(&t, NULL, spinner, &spent) == 0);
    /* While it spins (main sleeps): the process's clock moves with it. */
    long long seen = 0;
    for (int i = 0; i < 2000 && seen < 100; i++) {
        usleep(5000);
        seen = cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - before;
    }
    printf("the process's clock counts a running thread: %d\n", seen >= 100);
    MUST(pthread_join(t, NULL) == 0);
    printf("the thread spun 200 ms of its own: %d\n", spent >= 200 && spent < 400);
    long long total = cpu_ms(CLOCK_PROCESS_CPUTIME_ID) - before;
    printf("the process's clock has them after the join: %d\n", total >= 200);
    printf("main's own clock < 100 ms: %d\n", cpu_ms(CLOCK_THREAD_CPUTIME_ID) < 100);
    struct rusage ru;
    MUST(getrusage(RUSAGE_THREAD, &ru) == 0);
    long long mine = ru.ru_utime.tv_sec * 1000LL + ru.ru_utime.tv_usec / 1000 +
                     ru.ru_stime.tv_sec * 1000LL + ru.ru_stime.tv_usec / 1000;
    printf("RUSAGE_THREAD of main < 100 ms: %d\n", mine < 100);
    MUST(getrusage(RUSAGE_SELF, &ru) == 0);
    long long all = ru.ru_utime.tv_sec * 1000LL + ru.ru_utime.tv_usec / 1000 +
                    ru.ru_stime.tv_sec * 1000LL + ru.ru_stime.tv_usec / 1000;
    printf("RUSAGE_SELF >= 200 ms: %d\n", all >= 200);
    return 0;
}
