/* Condition variables in one thread: attributes and clocks, timed waits that
 * time out (on CLOCK_REALTIME and CLOCK_MONOTONIC), the errnos of bad
 * timespecs and of an ERRORCHECK mutex the caller does not hold, signal and
 * broadcast with nobody waiting. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <time.h>

static long long now_ms(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static struct timespec in_ms(clockid_t clock, long ms) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static const char *clock_name(clockid_t c) {
    return c == CLOCK_REALTIME ? "CLOCK_REALTIME" : c == CLOCK_MONOTONIC ? "CLOCK_MONOTONIC" : "?";
}

int main(void) {
    pthread_condattr_t ca;
    clockid_t clock = (clockid_t)-1;
    CHECK_ERRNO(pthread_condattr_init(&ca));
    CHECK_ERRNO(pthread_condattr_getclock(&ca, &clock));
    printf("default clock: %s\n", clock_name(clock));
    CHECK_ERRNO(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC));
    CHECK_ERRNO(pthread_condattr_getclock(&ca, &clock));
    printf("clock: %s\n", clock_name(clock));
    int pshared = -1;
    CHECK_ERRNO(pthread_condattr_getpshared(&ca, &pshared));
    printf("pshared: %d\n", pshared == PTHREAD_PROCESS_SHARED);

    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t rt = PTHREAD_COND_INITIALIZER, mono;
    CHECK_ERRNO(pthread_cond_init(&mono, &ca));
    CHECK_ERRNO(pthread_condattr_destroy(&ca));

    CHECK_ERRNO(pthread_cond_signal(&rt));
    CHECK_ERRNO(pthread_cond_broadcast(&rt));

    /* Timed waits that time out, and take the mutex back. */
    CHECK_ERRNO(pthread_mutex_lock(&m));
    long long t0 = now_ms(CLOCK_MONOTONIC);
    struct timespec at = in_ms(CLOCK_REALTIME, 60);
    CHECK_ERRNO(pthread_cond_timedwait(&rt, &m, &at));
    printf("waited >= 50 ms: %d\n", now_ms(CLOCK_MONOTONIC) - t0 >= 50);
    CHECK_ERRNO(pthread_mutex_trylock(&m));
    t0 = now_ms(CLOCK_MONOTONIC);
    at = in_ms(CLOCK_MONOTONIC, 60);
    CHECK_ERRNO(pthread_cond_timedwait(&mono, &m, &at));
    printf("waited >= 50 ms: %d\n", now_ms(CLOCK_MONOTONIC) - t0 >= 50);
    /* A monotonic deadline on a CLOCK_REALTIME condvar is long past. */
    t0 = now_ms(CLOCK_MONOTONIC);
    at = in_ms(CLOCK_MONOTONIC, 60);
    CHECK_ERRNO(pthread_cond_timedwait(&rt, &m, &at));
    printf("returned at once: %d\n", now_ms(CLOCK_MONOTONIC) - t0 < 40);
    at.tv_sec = 0;
    at.tv_nsec = 0;
    CHECK_ERRNO(pthread_cond_timedwait(&rt, &m, &at));
    at.tv_nsec = 1000000000L;
    CHECK_ERRNO(pthread_cond_timedwait(&rt, &m, &at));
    at.tv_nsec = -5;
    CHECK_ERRNO(pthread_cond_timedwait(&mono, &m, &at));
    CHECK_ERRNO(pthread_mutex_unlock(&m));

    /* An ERRORCHECK mutex the caller does not hold. */
    pthread_mutexattr_t ma;
    pthread_mutex_t ec;
    CHECK_ERRNO(pthread_mutexattr_init(&ma));
    CHECK_ERRNO(pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ERRORCHECK));
    CHECK_ERRNO(pthread_mutex_init(&ec, &ma));
    at = in_ms(CLOCK_REALTIME, 10);
    CHECK_ERRNO(pthread_cond_timedwait(&rt, &ec, &at));
    CHECK_ERRNO(pthread_mutex_lock(&ec));
    at = in_ms(CLOCK_REALTIME, 10);
    CHECK_ERRNO(pthread_cond_timedwait(&rt, &ec, &at));
    /* Still held after the wait: relocking is EDEADLK. */
    CHECK_ERRNO(pthread_mutex_lock(&ec));
    CHECK_ERRNO(pthread_mutex_unlock(&ec));
    CHECK_ERRNO(pthread_mutex_destroy(&ec));

    CHECK_ERRNO(pthread_cond_destroy(&rt));
    CHECK_ERRNO(pthread_cond_destroy(&mono));
    return 0;
}
