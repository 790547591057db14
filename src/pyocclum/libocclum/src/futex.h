/*
 * futex.h: libocclum's internal futex API (not installed for programs).
 *
 * Shared by the synchronization objects (src/sync_*.c: mutexes, condition
 * variables, rwlocks, once, barriers, semaphores, syscall(SYS_futex)) and the
 * threads (src/thread*.c: join, exit).
 *
 *   __occlum_futex_wait(addr, val, timeout_ns)
 *       If *addr == val (checked atomically with going to sleep), sleep until
 *       a __occlum_futex_wake on addr, the timeout (relative, nanoseconds;
 *       < 0 = none) or a signal handler. Returns 0 when woken (possibly
 *       spuriously: callers re-check their condition), EAGAIN if *addr != val
 *       on entry, ETIMEDOUT, or EINTR if a signal handler without SA_RESTART
 *       ran meanwhile (with SA_RESTART the wait goes on, as Linux restarts
 *       FUTEX_WAIT). Never sets errno.
 *   __occlum_futex_wake(addr, n)
 *       Wake up to n waiters on addr (n <= 0 wakes none; INT_MAX: all).
 *       Returns the number woken (0 in a single-threaded process).
 *
 * How it waits:
 *   - Threaded build (-matomics, __wasm_atomics__) once the process has
 *     started a thread (__occlum_multithreaded != 0): memory.atomic.wait32 /
 *     notify. A wasm thread in an atomic wait cannot be stopped by the kernel
 *     (SIGKILL, exit_group from another thread) nor run signal handlers, so
 *     it waits in slices of OCCLUM_FUTEX_SLICE_NS and calls
 *     occlum.sched_check(0) between slices, which runs pending handlers
 *     (-> EINTR unless they all have SA_RESTART) or ends the thread. A wake
 *     that falls between two slices is not lost: every wake bumps a global
 *     counter that the waiter compares after a slice (-> return 0, a
 *     possibly spurious wake-up), and the wake counts such waiters among
 *     those it woke (a per-address-hash count of waiters between slices).
 *   - Otherwise (single-threaded: the non-atomic build, or no thread started
 *     yet) no other thread can wake the waiter; only a signal handler can (it
 *     may post a semaphore or unlock). The wait sleeps in the kernel through
 *     occlum.sched_check(slice), which returns early when a handler ran
 *     (EINTR unless SA_RESTART), and re-checks *addr after each slice. A
 *     wait that nothing can end (e.g. relocking a PTHREAD_MUTEX_NORMAL mutex,
 *     without a timeout) blocks forever as on Linux, but the process stays
 *     killable and runs its handlers; it does not spin.
 *   - Under a harness without the kernel (sched_check answers ENOSYS), the
 *     single-threaded wait sleeps with nanosleep instead.
 *
 * Contract with the threads (src/thread*.c):
 *   - pthread_create sets __occlum_multithreaded = 1 (never back to 0) before
 *     the first thread starts; from then on waits use atomic waits (memory
 *     must be shared).
 *   - A thread's exit path (pthread_exit, return from the start routine, but
 *     not exit()) calls __occlum_run_key_destructors() (src/sync_key.c) once,
 *     before it releases its joiner; it runs the pthread_key_create
 *     destructors of the calling thread's non-NULL values, up to
 *     PTHREAD_DESTRUCTOR_ITERATIONS rounds, as POSIX requires.
 *   - Thread-specific values live in a _Thread_local array of src/sync_key.c,
 *     and lock owners are told apart by the address of a _Thread_local
 *     (__occlum_sync_self): both need the TLS that the thread start-up
 *     initialises (__wasm_init_tls).
 */
#ifndef _PYOCCLUM_FUTEX_H
#define _PYOCCLUM_FUTEX_H

#include <stdint.h>

/* Length of one atomic-wait or sleep slice between kernel checks. */
#define OCCLUM_FUTEX_SLICE_NS (50 * 1000 * 1000LL)

int __occlum_futex_wait(volatile int *addr, int val, int64_t timeout_ns);
int __occlum_futex_wake(volatile int *addr, int n);

/* Nonzero once the process has started a second thread (set by pthread_create). */
extern volatile int __occlum_multithreaded;

/* Run the calling thread's thread-specific-data destructors (thread exit). */
void __occlum_run_key_destructors(void);

/* --- helpers of src/sync_*.c --- */

struct timespec;

/* Clocks of the timed waits (as the WASI clock ids that condattrs store). */
#define OCCLUM_SYNC_REALTIME 0
#define OCCLUM_SYNC_MONOTONIC 1

/* Nonzero unless 0 <= at->tv_nsec < 1e9 (EINVAL for a timed wait). */
int __occlum_bad_timespec(const struct timespec *at);

/* Wait as __occlum_futex_wait until the absolute time `at` on `clock`
 * (OCCLUM_SYNC_*; NULL: no timeout). EINVAL for a bad at->tv_nsec. */
int __occlum_futex_timedwait(volatile int *addr, int val, int clock,
                             const struct timespec *at);

/* A nonzero id of the calling thread, unique among living threads (the
 * address of a thread-local variable): owners of mutexes and rwlocks. */
int __occlum_sync_self(void);

/* syscall(SYS_futex, ...): FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAIT_BITSET and
 * FUTEX_WAKE_BITSET (any bitset but 0 matches all), FUTEX_WAKE_OP,
 * FUTEX_REQUEUE and FUTEX_CMP_REQUEUE (the waiters to requeue are woken),
 * with FUTEX_PRIVATE_FLAG and FUTEX_CLOCK_REALTIME (WAIT_BITSET only); the PI
 * operations ENOSYS. Returns as syscall() does: the result, or -1 and errno. */
long __occlum_futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *timeout,
                    uint32_t *uaddr2, uint32_t val3);

#endif /* _PYOCCLUM_FUTEX_H */
