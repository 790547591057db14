/*
 * sync_mutex.c: pthread mutexes (libocclum: link as an object, so these
 * replace wasi-libc's single-threaded stubs of the same names).
 *
 * Drepper's "Futexes Are Tricky" mutex3 for the lock word, plus an owner and
 * a count for RECURSIVE and ERRORCHECK (layout in sync.h). Errors as glibc:
 * relocking an ERRORCHECK mutex EDEADLK, unlocking a RECURSIVE or ERRORCHECK
 * mutex the caller does not hold EPERM, trylock of a held mutex EBUSY,
 * destroying a locked one EBUSY; a timed lock that must wait checks the
 * timespec (EINVAL) and gives ETIMEDOUT. pthread_mutex_init and the
 * pthread_mutexattr_* functions are wasi-libc's (musl's layout).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <time.h>

#include "sync.h"

static int lock_word(pthread_mutex_t *m, int clock, const struct timespec *at)
{
    volatile int *lock = &MUTEX_LOCK(m);
    int c = cas(lock, 0, 1);
    if (c == 0)
        return 0;
    if (at && __occlum_bad_timespec(at))
        return EINVAL;
    if (c != 2)
        c = SWAP(lock, 2);
    while (c != 0) {
        int r = __occlum_futex_timedwait(lock, 2, clock, at);
        if (r == ETIMEDOUT)
            return r;
        c = SWAP(lock, 2);
    }
    return 0;
}

static void unlock_word(pthread_mutex_t *m)
{
    volatile int *lock = &MUTEX_LOCK(m);
    if (SUB(lock, 1) != 1) {
        STORE(lock, 0);
        __occlum_futex_wake(lock, 1);
    }
}

static int mutex_lock(pthread_mutex_t *m, int clock, const struct timespec *at, int try)
{
    int type = MUTEX_TYPE(m) & 3;
    int self = __occlum_sync_self();
    if (type != PTHREAD_MUTEX_NORMAL && LOAD(&MUTEX_OWNER(m)) == self) {
        if (type == PTHREAD_MUTEX_RECURSIVE) {
            if (MUTEX_COUNT(m) == INT_MAX)
                return EAGAIN;
            MUTEX_COUNT(m)++;
            return 0;
        }
        return try ? EBUSY : EDEADLK;
    }
    if (try) {
        if (cas(&MUTEX_LOCK(m), 0, 1) != 0)
            return EBUSY;
    } else {
        int r = lock_word(m, clock, at);
        if (r)
            return r;
    }
    STORE(&MUTEX_OWNER(m), self);
    MUTEX_COUNT(m) = 1;
    return 0;
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    return mutex_lock(m, OCCLUM_SYNC_REALTIME, NULL, 0);
}

int pthread_mutex_trylock(pthread_mutex_t *m)
{
    return mutex_lock(m, OCCLUM_SYNC_REALTIME, NULL, 1);
}

int pthread_mutex_timedlock(pthread_mutex_t *restrict m, const struct timespec *restrict at)
{
    return mutex_lock(m, OCCLUM_SYNC_REALTIME, at, 0);
}

/* glibc 2.30's clocked form: CLOCK_REALTIME or CLOCK_MONOTONIC, else EINVAL. */
int pthread_mutex_clocklock(pthread_mutex_t *restrict m, clockid_t clock,
                            const struct timespec *restrict at)
{
    if (clock == CLOCK_MONOTONIC)
        return mutex_lock(m, OCCLUM_SYNC_MONOTONIC, at, 0);
    if (clock == CLOCK_REALTIME)
        return mutex_lock(m, OCCLUM_SYNC_REALTIME, at, 0);
    return EINVAL;
}

int pthread_mutex_unlock(pthread_mutex_t *m)
{
    int type = MUTEX_TYPE(m) & 3;
    if (type != PTHREAD_MUTEX_NORMAL) {
        if (LOAD(&MUTEX_OWNER(m)) != __occlum_sync_self())
            return EPERM;
        if (type == PTHREAD_MUTEX_RECURSIVE && --MUTEX_COUNT(m) > 0)
            return 0;
    }
    STORE(&MUTEX_OWNER(m), 0);
    unlock_word(m);
    return 0;
}

int pthread_mutex_destroy(pthread_mutex_t *m)
{
    return LOAD(&MUTEX_LOCK(m)) ? EBUSY : 0;
}

int __occlum_mutex_release(pthread_mutex_t *m, int *saved_count)
{
    int type = MUTEX_TYPE(m) & 3;
    if (type != PTHREAD_MUTEX_NORMAL && LOAD(&MUTEX_OWNER(m)) != __occlum_sync_self())
        return EPERM;
    *saved_count = MUTEX_COUNT(m);
    STORE(&MUTEX_OWNER(m), 0);
    unlock_word(m);
    return 0;
}

void __occlum_mutex_reacquire(pthread_mutex_t *m, int saved_count)
{
    lock_word(m, OCCLUM_SYNC_REALTIME, NULL);
    STORE(&MUTEX_OWNER(m), __occlum_sync_self());
    MUTEX_COUNT(m) = saved_count;
}
