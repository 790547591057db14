/* glibc 2.30's waits on a given clock: pthread_mutex_clocklock,
 * pthread_cond_clockwait, pthread_rwlock_clockrdlock/clockwrlock and
 * sem_clockwait, on CLOCK_MONOTONIC and CLOCK_REALTIME: they time out
 * against that clock, take a free lock at once, and refuse bad timespecs. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <semaphore.h>
#include <time.h>

static struct timespec in_ms(clockid_t clock, long ms) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static long long elapsed_ms(struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

int main(void) {
    static const clockid_t clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};
    static const char *names[] = {"CLOCK_MONOTONIC", "CLOCK_REALTIME"};
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    sem_t s;
    MUST(sem_init(&s, 0, 0) == 0);
    for (int i = 0; i < 2; i++) {
        clockid_t clk = clocks[i];
        printf("%s\n", names[i]);
        struct timespec t0, at = in_ms(clk, 40);
        CHECK_ERRNO(pthread_mutex_clocklock(&m, clk, &at));
        clock_gettime(CLOCK_MONOTONIC, &t0);
        at = in_ms(clk, 40);
        CHECK_ERRNO(pthread_mutex_clocklock(&m, clk, &at));
        printf("waited >= 30 ms: %d\n", elapsed_ms(&t0) >= 30);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        at = in_ms(clk, 40);
        CHECK_ERRNO(pthread_cond_clockwait(&c, &m, clk, &at));
        printf("waited >= 30 ms: %d\n", elapsed_ms(&t0) >= 30);
        at.tv_nsec = 1000000000L;
        CHECK_ERRNO(pthread_cond_clockwait(&c, &m, clk, &at));
        CHECK_ERRNO(pthread_mutex_unlock(&m));

        at = in_ms(clk, 40);
        CHECK_ERRNO(pthread_rwlock_clockrdlock(&rw, clk, &at));
        CHECK_ERRNO(pthread_rwlock_clockwrlock(&rw, clk, &at));
        CHECK_ERRNO(pthread_rwlock_unlock(&rw));
        CHECK_ERRNO(pthread_rwlock_clockwrlock(&rw, clk, &at));
        CHECK_ERRNO(pthread_rwlock_clockwrlock(&rw, clk, &at));
        CHECK_ERRNO(pthread_rwlock_unlock(&rw));
        at.tv_nsec = -1;
        CHECK_ERRNO(pthread_rwlock_clockrdlock(&rw, clk, &at));

        clock_gettime(CLOCK_MONOTONIC, &t0);
        at = in_ms(clk, 40);
        CHECK(sem_clockwait(&s, clk, &at));
        printf("waited >= 30 ms: %d\n", elapsed_ms(&t0) >= 30);
        CHECK(sem_post(&s));
        CHECK(sem_clockwait(&s, clk, &at));
        at.tv_nsec = 1000000000L;
        CHECK(sem_clockwait(&s, clk, &at));
    }
    return 0;
}
