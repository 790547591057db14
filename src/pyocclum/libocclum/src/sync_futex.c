/*
 * sync_futex.c: the futex wait/wake primitives every libocclum lock is built
 * on (contract in futex.h), their timed variant, the thread id of lock
 * owners, and syscall(SYS_futex)'s __occlum_futex
 * (libocclum: link as an object, since syscall() refers to __occlum_futex
 * weakly, and a weak reference pulls no archive member).
 */
#include <errno.h>
#include <limits.h>
#include <occlum.h>
#include <stdint.h>
#include <time.h>

#include "futex.h"

volatile int __occlum_multithreaded;

/* Bumped by every wake: a waiter that was between two slices when the wake
 * came sees it changed and returns (see futex.h). */
#ifdef __wasm_atomics__
static volatile int wake_epoch;
/* Waiters between two slices (in sched_check, not in an atomic wait), by a
 * hash of the address they wait on. A wake counts them among those it woke
 * (they see wake_epoch change and return 0), so the count FUTEX_WAKE returns
 * is the number of waiters it ended, as Linux's, and not only those that
 * memory.atomic.notify found asleep. Hash neighbours are counted too: they
 * return 0 as well (a spurious wake-up). */
#define GAP_SLOTS 64
static volatile int gap[GAP_SLOTS];

static volatile int *gap_slot(volatile int *addr)
{
    return &gap[((uintptr_t)addr >> 2) % GAP_SLOTS];
}
#endif

static int64_t now_ns(int clock)
{
    struct timespec ts;
    clock_gettime(clock == OCCLUM_SYNC_MONOTONIC ? CLOCK_MONOTONIC : CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Sleep up to ns in the kernel; EINTR if a signal handler ran meanwhile. */
static int sleep_slice(int64_t ns)
{
    int r = __occlum_sched_check(ns);
    if (r == ENOSYS) {
        /* No PyOcclum kernel (an oracle harness): a plain sleep. */
        struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
        return nanosleep(&ts, NULL) == 0 ? 0 : EINTR;
    }
    return r == EINTR ? EINTR : 0;
}

int __occlum_futex_wait(volatile int *addr, int val, int64_t timeout_ns)
{
    int64_t deadline = -1;
    if (timeout_ns >= 0) {
        int64_t now = now_ns(OCCLUM_SYNC_MONOTONIC);
        /* A deadline past what int64 nanoseconds hold is no deadline (Linux
         * clamps it to KTIME_MAX, some 292 years). */
        if (timeout_ns < INT64_MAX - now)
            deadline = now + timeout_ns;
    }
#ifdef __wasm_atomics__
    if (__occlum_multithreaded) {
        int epoch = __atomic_load_n(&wake_epoch, __ATOMIC_SEQ_CST);
        for (int first = 1;; first = 0) {
            int64_t slice = OCCLUM_FUTEX_SLICE_NS;
            if (deadline >= 0) {
                int64_t left = deadline - now_ns(OCCLUM_SYNC_MONOTONIC);
                if (left <= 0)
                    return ETIMEDOUT;
                if (left < slice)
                    slice = left;
            }
            switch (__builtin_wasm_memory_atomic_wait32((int *)addr, val, slice)) {
            case 0: /* woken */
                return 0;
            case 1: /* *addr != val: changed since the last slice, or on entry */
                return first ? EAGAIN : 0;
            }
            /* The slice is over: let the kernel kill us or run handlers. */
            volatile int *slot = gap_slot(addr);
            __atomic_fetch_add(slot, 1, __ATOMIC_SEQ_CST);
            int r = __occlum_sched_check(0);
            int woken = __atomic_load_n(&wake_epoch, __ATOMIC_SEQ_CST) != epoch;
            __atomic_fetch_sub(slot, 1, __ATOMIC_SEQ_CST);
            if (r == EINTR)
                return EINTR;
            if (woken)
                return 0;
        }
    }
#endif
    /* Single-threaded: only a signal handler can change *addr. */
    if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != val)
        return EAGAIN;
    for (;;) {
        int64_t slice = OCCLUM_FUTEX_SLICE_NS;
        if (deadline >= 0) {
            int64_t left = deadline - now_ns(OCCLUM_SYNC_MONOTONIC);
            if (left <= 0)
                return ETIMEDOUT;
            if (left < slice)
                slice = left;
        }
        if (sleep_slice(slice) == EINTR)
            return EINTR;
        if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) != val)
            return 0;
    }
}

int __occlum_futex_wake(volatile int *addr, int n)
{
    if (n <= 0)
        return 0;
#ifdef __wasm_atomics__
    if (__occlum_multithreaded) {
        __atomic_fetch_add(&wake_epoch, 1, __ATOMIC_SEQ_CST);
        /* Read after the bump: each waiter counted here sees the new epoch. */
        int between = __atomic_load_n(gap_slot(addr), __ATOMIC_SEQ_CST);
        int woken = (int)__builtin_wasm_memory_atomic_notify((int *)addr, (unsigned)n);
        return n - woken < between ? n : woken + between;
    }
#endif
    (void)addr;
    return 0;
}

int __occlum_bad_timespec(const struct timespec *at)
{
    return at->tv_nsec < 0 || at->tv_nsec >= 1000000000;
}

int __occlum_futex_timedwait(volatile int *addr, int val, int clock, const struct timespec *at)
{
    if (!at)
        return __occlum_futex_wait(addr, val, -1);
    if (__occlum_bad_timespec(at))
        return EINVAL;
    if (at->tv_sec < 0)
        return ETIMEDOUT;
    if (at->tv_sec >= INT64_MAX / 1000000000)
        return __occlum_futex_wait(addr, val, -1); /* as good as never */
    int64_t when = (int64_t)at->tv_sec * 1000000000 + at->tv_nsec;
    int64_t left = when - now_ns(clock);
    if (left <= 0)
        return ETIMEDOUT;
    return __occlum_futex_wait(addr, val, left);
}

int __occlum_sync_self(void)
{
    static _Thread_local char marker;
    return (int)(uintptr_t)&marker;
}

/* Linux's <linux/futex.h> values. */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256

static int clamp(uint32_t n)
{
    return n > INT_MAX ? INT_MAX : (int)n;
}

/* FUTEX_WAKE_OP: *uaddr2 = *uaddr2 OP oparg (atomically), wake n on uaddr,
 * and n2 more on uaddr2 if the old value compares true with cmparg. */
static long wake_op(uint32_t *uaddr, int n, uint32_t *uaddr2, int n2, uint32_t encoded)
{
    unsigned op = (encoded >> 28) & 7, cmp = (encoded >> 24) & 15;
    /* The 12-bit fields are signed, as Linux reads them. */
    int oparg = (int)((encoded >> 12) & 0xfff), cmparg = (int)(encoded & 0xfff);
    oparg = oparg >= 0x800 ? oparg - 0x1000 : oparg;
    cmparg = cmparg >= 0x800 ? cmparg - 0x1000 : cmparg;
    if (encoded & (8u << 28)) /* FUTEX_OP_OPARG_SHIFT */
        oparg = (int)(1u << (oparg & 31));
    if (op > 4 || cmp > 5) {
        errno = ENOSYS;
        return -1;
    }
    volatile int *w = (volatile int *)uaddr2;
    int old = __atomic_load_n(w, __ATOMIC_SEQ_CST), new;
    do {
        switch (op) {
        case 0: new = oparg; break;                     /* SET */
        case 1: new = (int)((unsigned)old + (unsigned)oparg); break; /* ADD */
        case 2: new = old | oparg; break;               /* OR */
        case 3: new = old & ~oparg; break;              /* ANDN */
        default: new = old ^ oparg; break;              /* XOR */
        }
    } while (!__atomic_compare_exchange_n(w, &old, new, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    long woken = __occlum_futex_wake((volatile int *)uaddr, n);
    int hit;
    switch (cmp) {
    case 0: hit = old == cmparg; break;
    case 1: hit = old != cmparg; break;
    case 2: hit = old < cmparg; break;
    case 3: hit = old <= cmparg; break;
    case 4: hit = old > cmparg; break;
    default: hit = old >= cmparg; break;
    }
    if (hit)
        woken += __occlum_futex_wake(w, n2);
    return woken;
}

long __occlum_futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *timeout,
                    uint32_t *uaddr2, uint32_t val3)
{
    int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    int r;
    if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET) {
        errno = ENOSYS; /* as Linux for FUTEX_CLOCK_REALTIME with other operations */
        return -1;
    }
    if (cmd != FUTEX_WAIT && cmd != FUTEX_WAKE && cmd != FUTEX_WAIT_BITSET &&
        cmd != FUTEX_WAKE_BITSET && cmd != FUTEX_REQUEUE && cmd != FUTEX_CMP_REQUEUE &&
        cmd != FUTEX_WAKE_OP) {
        errno = ENOSYS;
        return -1;
    }
    if (((cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAKE_BITSET) && val3 == 0) ||
        ((uintptr_t)uaddr & 3)) {
        errno = EINVAL;
        return -1;
    }
    if (!uaddr) {
        errno = EFAULT;
        return -1;
    }
    if (cmd == FUTEX_WAKE || cmd == FUTEX_WAKE_BITSET)
        return __occlum_futex_wake((volatile int *)uaddr, clamp(val));
    if (cmd == FUTEX_REQUEUE || cmd == FUTEX_CMP_REQUEUE || cmd == FUTEX_WAKE_OP) {
        /* val2, the second count, travels in the timeout argument. */
        int n2 = clamp((uint32_t)(uintptr_t)timeout);
        if (!uaddr2 || ((uintptr_t)uaddr2 & 3)) {
            errno = uaddr2 ? EINVAL : EFAULT;
            return -1;
        }
        if (cmd == FUTEX_WAKE_OP)
            return wake_op(uaddr, clamp(val), uaddr2, n2, val3);
        if ((int)val < 0 || n2 < 0) {
            errno = EINVAL;
            return -1;
        }
        if (cmd == FUTEX_CMP_REQUEUE && __atomic_load_n(uaddr, __ATOMIC_SEQ_CST) != val3) {
            errno = EAGAIN;
            return -1;
        }
        /* Wasm cannot move a waiter to another word: the ones Linux would
         * requeue are woken instead (a spurious wake-up for them), so the
         * count is the same: woken plus "requeued". */
        long n = (long)clamp(val) + n2;
        return __occlum_futex_wake((volatile int *)uaddr, n > INT_MAX ? INT_MAX : (int)n);
    }
    if (timeout && (__occlum_bad_timespec(timeout) || timeout->tv_sec < 0)) {
        errno = EINVAL;
        return -1;
    }
    if (cmd == FUTEX_WAIT) {
        /* A relative timeout (CLOCK_MONOTONIC). */
        int64_t ns = -1;
        if (timeout && timeout->tv_sec < INT64_MAX / 1000000000)
            ns = (int64_t)timeout->tv_sec * 1000000000 + timeout->tv_nsec;
        r = __occlum_futex_wait((volatile int *)uaddr, (int)val, ns);
    } else {
        /* An absolute timeout on CLOCK_MONOTONIC, or CLOCK_REALTIME. */
        int clock = (op & FUTEX_CLOCK_REALTIME) ? OCCLUM_SYNC_REALTIME : OCCLUM_SYNC_MONOTONIC;
        r = __occlum_futex_timedwait((volatile int *)uaddr, (int)val, clock, timeout);
    }
    if (r == 0)
        return 0;
    errno = r; /* EAGAIN (EWOULDBLOCK), ETIMEDOUT, EINTR */
    return -1;
}
