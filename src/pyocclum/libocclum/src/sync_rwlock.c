/*
 * sync_rwlock.c: read-write locks (libocclum: link as an object, replacing
 * wasi-libc's stubs).
 *
 * musl's algorithm: one lock word counts the readers (0x7fffffff = held by a
 * writer) with bit 31 set when someone sleeps on it; readers are preferred,
 * as glibc's default PTHREAD_RWLOCK_PREFER_READER_NP. Errors as glibc: a
 * thread that holds the write lock gets EDEADLK from rdlock/wrlock (and
 * their timed forms) and EBUSY from the try forms; a timed form checks the
 * timespec first (EINVAL).
 *
 * pthread_rwlock_t (8 ints): [0] lock word, [1] waiters, [2] process-shared
 * (musl's), [3] the writer (__occlum_sync_self()) or 0.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "sync.h"

#define RW_LOCK(rw) ((rw)->__u.__vi[0])
#define RW_WAITERS(rw) ((rw)->__u.__vi[1])
#define RW_SHARED(rw) ((rw)->__u.__i[2])
#define RW_WRITER(rw) ((rw)->__u.__vi[3])

#define WRITER 0x7fffffff

int pthread_rwlock_init(pthread_rwlock_t *restrict rw, const pthread_rwlockattr_t *restrict a)
{
    *rw = (pthread_rwlock_t){0};
    if (a)
        RW_SHARED(rw) = (int)a->__attr[0] * 128;
    return 0;
}

int pthread_rwlock_destroy(pthread_rwlock_t *rw)
{
    (void)rw;
    return 0;
}

static int try_rd(pthread_rwlock_t *rw)
{
    int val, cnt;
    do {
        val = LOAD(&RW_LOCK(rw));
        cnt = val & 0x7fffffff;
        if (cnt == WRITER)
            return EBUSY;
        if (cnt == WRITER - 1)
            return EAGAIN;
    } while (cas(&RW_LOCK(rw), val, val + 1) != val);
    return 0;
}

static int try_wr(pthread_rwlock_t *rw)
{
    if (cas(&RW_LOCK(rw), 0, WRITER) != 0)
        return EBUSY;
    STORE(&RW_WRITER(rw), __occlum_sync_self());
    return 0;
}

/* Wait for the lock word to change while it is held in a way that stops us
 * (a writer for readers; anyone for writers). */
static int rw_lock(pthread_rwlock_t *restrict rw, int write, int clock,
                   const struct timespec *restrict at)
{
    if (at && __occlum_bad_timespec(at))
        return EINVAL;
    if (LOAD(&RW_WRITER(rw)) == __occlum_sync_self())
        return EDEADLK;
    int r;
    while ((r = write ? try_wr(rw) : try_rd(rw)) == EBUSY) {
        int val = LOAD(&RW_LOCK(rw));
        if (!val || (!write && (val & 0x7fffffff) != WRITER))
            continue;
        int t = val | (int)0x80000000;
        ADD(&RW_WAITERS(rw), 1);
        cas(&RW_LOCK(rw), val, t);
        r = __occlum_futex_timedwait(&RW_LOCK(rw), t, clock, at);
        SUB(&RW_WAITERS(rw), 1);
        if (r == ETIMEDOUT)
            return r;
    }
    return r;
}

int pthread_rwlock_rdlock(pthread_rwlock_t *rw)
{
    return rw_lock(rw, 0, OCCLUM_SYNC_REALTIME, NULL);
}

int pthread_rwlock_wrlock(pthread_rwlock_t *rw)
{
    return rw_lock(rw, 1, OCCLUM_SYNC_REALTIME, NULL);
}

int pthread_rwlock_timedrdlock(pthread_rwlock_t *restrict rw, const struct timespec *restrict at)
{
    return rw_lock(rw, 0, OCCLUM_SYNC_REALTIME, at);
}

int pthread_rwlock_timedwrlock(pthread_rwlock_t *restrict rw, const struct timespec *restrict at)
{
    return rw_lock(rw, 1, OCCLUM_SYNC_REALTIME, at);
}

static int clock_id(clockid_t clock)
{
    if (clock == CLOCK_MONOTONIC)
        return OCCLUM_SYNC_MONOTONIC;
    if (clock == CLOCK_REALTIME)
        return OCCLUM_SYNC_REALTIME;
    return -1;
}

/* glibc 2.30's clocked forms. */
int pthread_rwlock_clockrdlock(pthread_rwlock_t *restrict rw, clockid_t clock,
                               const struct timespec *restrict at)
{
    int id = clock_id(clock);
    return id < 0 ? EINVAL : rw_lock(rw, 0, id, at);
}

int pthread_rwlock_clockwrlock(pthread_rwlock_t *restrict rw, clockid_t clock,
                               const struct timespec *restrict at)
{
    int id = clock_id(clock);
    return id < 0 ? EINVAL : rw_lock(rw, 1, id, at);
}

int pthread_rwlock_tryrdlock(pthread_rwlock_t *rw)
{
    return try_rd(rw);
}

int pthread_rwlock_trywrlock(pthread_rwlock_t *rw)
{
    return try_wr(rw);
}

int pthread_rwlock_unlock(pthread_rwlock_t *rw)
{
    int val, cnt, waiters, new;
    do {
        val = LOAD(&RW_LOCK(rw));
        cnt = val & 0x7fffffff;
        waiters = LOAD(&RW_WAITERS(rw));
        if (cnt == WRITER)
            STORE(&RW_WRITER(rw), 0);
        new = (cnt == WRITER || cnt == 1) ? 0 : val - 1;
    } while (cas(&RW_LOCK(rw), val, new) != val);
    if (!new && (waiters || val < 0))
        __occlum_futex_wake(&RW_LOCK(rw), cnt);
    return 0;
}
