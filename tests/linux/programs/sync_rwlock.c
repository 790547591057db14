/* Read-write locks in one thread: many read locks, the write lock excludes
 * everything, try and timed forms, EDEADLK for the writer itself, EINVAL for
 * bad timespecs, attributes. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <time.h>

static struct timespec in_ms(long ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

int main(void) {
    pthread_rwlockattr_t a;
    int pshared = -1;
    CHECK_ERRNO(pthread_rwlockattr_init(&a));
    CHECK_ERRNO(pthread_rwlockattr_getpshared(&a, &pshared));
    printf("pshared: %d\n", pshared == PTHREAD_PROCESS_SHARED);
    CHECK_ERRNO(pthread_rwlockattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    CHECK_ERRNO(pthread_rwlockattr_getpshared(&a, &pshared));
    printf("pshared: %d\n", pshared == PTHREAD_PROCESS_SHARED);
    CHECK_ERRNO(pthread_rwlockattr_setpshared(&a, 42));

    pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER, rw2;
    CHECK_ERRNO(pthread_rwlock_init(&rw2, &a));
    CHECK_ERRNO(pthread_rwlockattr_destroy(&a));

    /* Readers share. */
    CHECK_ERRNO(pthread_rwlock_rdlock(&rw));
    CHECK_ERRNO(pthread_rwlock_rdlock(&rw));
    CHECK_ERRNO(pthread_rwlock_tryrdlock(&rw));
    struct timespec at = in_ms(20);
    CHECK_ERRNO(pthread_rwlock_timedrdlock(&rw, &at));
    CHECK_ERRNO(pthread_rwlock_trywrlock(&rw));
    at = in_ms(30);
    CHECK_ERRNO(pthread_rwlock_timedwrlock(&rw, &at));
    for (int i = 0; i < 3; i++)
        CHECK_ERRNO(pthread_rwlock_unlock(&rw));
    CHECK_ERRNO(pthread_rwlock_trywrlock(&rw));
    CHECK_ERRNO(pthread_rwlock_unlock(&rw));
    CHECK_ERRNO(pthread_rwlock_trywrlock(&rw));
    CHECK_ERRNO(pthread_rwlock_unlock(&rw));

    /* A writer excludes readers and writers; it cannot take it again. */
    CHECK_ERRNO(pthread_rwlock_wrlock(&rw));
    CHECK_ERRNO(pthread_rwlock_tryrdlock(&rw));
    CHECK_ERRNO(pthread_rwlock_trywrlock(&rw));
    CHECK_ERRNO(pthread_rwlock_rdlock(&rw));
    CHECK_ERRNO(pthread_rwlock_wrlock(&rw));
    at = in_ms(20);
    CHECK_ERRNO(pthread_rwlock_timedrdlock(&rw, &at));
    CHECK_ERRNO(pthread_rwlock_timedwrlock(&rw, &at));
    CHECK_ERRNO(pthread_rwlock_unlock(&rw));
    CHECK_ERRNO(pthread_rwlock_tryrdlock(&rw));
    CHECK_ERRNO(pthread_rwlock_unlock(&rw));

    /* Bad timespecs are refused even when the lock is free. */
    at.tv_nsec = 1000000000L;
    CHECK_ERRNO(pthread_rwlock_timedrdlock(&rw, &at));
    CHECK_ERRNO(pthread_rwlock_timedwrlock(&rw, &at));
    at.tv_nsec = -1;
    CHECK_ERRNO(pthread_rwlock_timedwrlock(&rw, &at));
    /* A deadline in the past is fine when the lock is free. */
    at.tv_sec = 0;
    at.tv_nsec = 0;
    CHECK_ERRNO(pthread_rwlock_timedwrlock(&rw, &at));
    CHECK_ERRNO(pthread_rwlock_unlock(&rw));
    CHECK_ERRNO(pthread_rwlock_timedrdlock(&rw, &at));
    CHECK_ERRNO(pthread_rwlock_unlock(&rw));

    /* The second lock, from an attribute. */
    CHECK_ERRNO(pthread_rwlock_wrlock(&rw2));
    CHECK_ERRNO(pthread_rwlock_unlock(&rw2));
    CHECK_ERRNO(pthread_rwlock_destroy(&rw2));
    CHECK_ERRNO(pthread_rwlock_destroy(&rw));
    return 0;
}
