/*
 * sync_once.c: pthread_once, pthread barriers and spinlocks
 * (libocclum: link as an object, replacing wasi-libc's stubs; spinlocks
 * are missing there).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>

#include "sync.h"

/* musl's pthread_once (without cancellation): 0 not run, 1 running, 2 done,
 * 3 running with waiters. */
int pthread_once(pthread_once_t *control, void (*init)(void))
{
    volatile int *c = (volatile int *)control;
    if (LOAD(c) == 2)
        return 0;
    for (;;) {
        switch (cas(c, 0, 1)) {
        case 0:
            init();
            if (SWAP(c, 2) == 3)
                __occlum_futex_wake(c, INT_MAX);
            return 0;
        case 1:
            cas(c, 1, 3);
            /* fall through */
        case 3:
            __occlum_futex_wait(c, 3, -1);
            continue;
        case 2:
            return 0;
        }
    }
}

/*
 * Barriers: a generation counter that the last thread to arrive bumps (and
 * wakes every sleeper on); an internal lock guards the arrival count.
 * pthread_barrier_t (5 ints): [0] count (the pthread_barrier_init count),
 * [1] arrived, [2] generation, [3] lock (mutex3 word), [4] threads still
 * leaving (destroy waits for them).
 */
#define B_LIMIT(b) ((b)->__u.__i[0])
#define B_ARRIVED(b) ((b)->__u.__vi[1])
#define B_GEN(b) ((b)->__u.__vi[2])
#define B_LOCK(b) ((b)->__u.__vi[3])
#define B_INSIDE(b) ((b)->__u.__vi[4])

static void lock_internal(volatile int *lock)
{
    int c = cas(lock, 0, 1);
    if (c == 0)
        return;
    if (c != 2)
        c = SWAP(lock, 2);
    while (c != 0) {
        __occlum_futex_wait(lock, 2, -1);
        c = SWAP(lock, 2);
    }
}

static void unlock_internal(volatile int *lock)
{
    if (SUB(lock, 1) != 1) {
        STORE(lock, 0);
        __occlum_futex_wake(lock, 1);
    }
}

int pthread_barrier_init(pthread_barrier_t *restrict b, const pthread_barrierattr_t *restrict a,
                         unsigned count)
{
    (void)a;
    if (count == 0 || count > INT_MAX)
        return EINVAL;
    *b = (pthread_barrier_t){0};
    B_LIMIT(b) = (int)count;
    return 0;
}

int pthread_barrier_destroy(pthread_barrier_t *b)
{
    /* As glibc: wait until the threads of the last round have left. */
    int inside;
    while ((inside = LOAD(&B_INSIDE(b))) != 0)
        __occlum_futex_wait(&B_INSIDE(b), inside, -1);
    return 0;
}

int pthread_barrier_wait(pthread_barrier_t *b)
{
    lock_internal(&B_LOCK(b));
    int gen = LOAD(&B_GEN(b));
    if (++B_ARRIVED(b) == B_LIMIT(b)) {
        B_ARRIVED(b) = 0;
        STORE(&B_INSIDE(b), B_LIMIT(b) - 1);
        ADD(&B_GEN(b), 1);
        unlock_internal(&B_LOCK(b));
        __occlum_futex_wake(&B_GEN(b), INT_MAX);
        return PTHREAD_BARRIER_SERIAL_THREAD;
    }
    unlock_internal(&B_LOCK(b));
    while (LOAD(&B_GEN(b)) == gen)
        __occlum_futex_wait(&B_GEN(b), gen, -1);
    if (SUB(&B_INSIDE(b), 1) == 1)
        __occlum_futex_wake(&B_INSIDE(b), INT_MAX);
    return 0;
}

/* Spinlocks: a test-and-test-and-set word; a long spin yields the CPU. */
int pthread_spin_init(pthread_spinlock_t *s, int pshared)
{
    (void)pshared;
    *s = 0;
    return 0;
}

int pthread_spin_destroy(pthread_spinlock_t *s)
{
    (void)s;
    return 0;
}

int pthread_spin_lock(pthread_spinlock_t *s)
{
    volatile int *w = (volatile int *)s;
    for (unsigned spins = 1;; spins++) {
        if (LOAD(w) == 0 && cas(w, 0, EBUSY) == 0)
            return 0;
        if (spins % 1024 == 0)
            sched_yield();
    }
}

int pthread_spin_trylock(pthread_spinlock_t *s)
{
    return cas((volatile int *)s, 0, EBUSY) == 0 ? 0 : EBUSY;
}

int pthread_spin_unlock(pthread_spinlock_t *s)
{
    STORE((volatile int *)s, 0);
    return 0;
}
