/*
 * sync_cond.c: condition variables (libocclum: link as an object, replacing
 * wasi-libc's stubs), and pthread_condattr_getclock.
 *
 * The sequence-counter condvar (a futex on a counter that every signal and
 * broadcast bumps; see Drepper, "Futexes Are Tricky", and the glibc 2.3
 * design): a waiter reads the counter, releases the mutex and waits while
 * the counter is unchanged, so a signal sent after the mutex was released
 * is never lost. Wake-ups may be spurious, as POSIX allows; callers re-check
 * their predicate. Broadcast wakes every waiter (no requeue).
 *
 * pthread_cond_t (12 ints): [0] sequence, [1] waiters, [2] clock
 * (OCCLUM_SYNC_REALTIME or _MONOTONIC, from the condattr), [3] process-shared.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <time.h>

#include "sync.h"

#define COND_SEQ(c) ((c)->__u.__vi[0])
#define COND_WAITERS(c) ((c)->__u.__vi[1])
#define COND_CLOCK(c) ((c)->__u.__i[2])
#define COND_SHARED(c) ((c)->__u.__i[3])

int pthread_cond_init(pthread_cond_t *restrict c, const pthread_condattr_t *restrict a)
{
    *c = (pthread_cond_t){0};
    if (a) {
        /* musl's condattr: the WASI clock id, bit 31 process-shared. */
        COND_CLOCK(c) = (a->__attr & 0x7fffffff) == OCCLUM_SYNC_MONOTONIC
                            ? OCCLUM_SYNC_MONOTONIC
                            : OCCLUM_SYNC_REALTIME;
        COND_SHARED(c) = (int)(a->__attr >> 31);
    }
    return 0;
}

int pthread_cond_destroy(pthread_cond_t *c)
{
    (void)c;
    return 0;
}

static int cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m, int clock,
                     const struct timespec *restrict at)
{
    if (at && __occlum_bad_timespec(at))
        return EINVAL;
    int seq = LOAD(&COND_SEQ(c));
    ADD(&COND_WAITERS(c), 1);
    int count;
    int r = __occlum_mutex_release(m, &count);
    if (r) {
        SUB(&COND_WAITERS(c), 1);
        return r;
    }
    r = __occlum_futex_timedwait(&COND_SEQ(c), seq, clock, at);
    SUB(&COND_WAITERS(c), 1);
    __occlum_mutex_reacquire(m, count);
    return r == ETIMEDOUT ? ETIMEDOUT : 0;
}

int pthread_cond_wait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m)
{
    return cond_wait(c, m, OCCLUM_SYNC_REALTIME, NULL);
}

int pthread_cond_timedwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                           const struct timespec *restrict at)
{
    return cond_wait(c, m, COND_CLOCK(c), at);
}

/* glibc 2.30's pthread_cond_clockwait: the clock given, not the condattr's. */
int pthread_cond_clockwait(pthread_cond_t *restrict c, pthread_mutex_t *restrict m,
                           clockid_t clock, const struct timespec *restrict at)
{
    int id;
    if (clock == CLOCK_MONOTONIC)
        id = OCCLUM_SYNC_MONOTONIC;
    else if (clock == CLOCK_REALTIME)
        id = OCCLUM_SYNC_REALTIME;
    else
        return EINVAL;
    return cond_wait(c, m, id, at);
}

static int cond_wake(pthread_cond_t *c, int n)
{
    if (LOAD(&COND_WAITERS(c))) {
        ADD(&COND_SEQ(c), 1);
        __occlum_futex_wake(&COND_SEQ(c), n);
    }
    return 0;
}

int pthread_cond_signal(pthread_cond_t *c)
{
    return cond_wake(c, 1);
}

int pthread_cond_broadcast(pthread_cond_t *c)
{
    return cond_wake(c, INT_MAX);
}
