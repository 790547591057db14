/*
 * sync.h: internals shared by src/sync_*.c (not for programs, not for the
 * threads: their contract is futex.h).
 *
 * Storage layouts in wasi-libc's (musl's) types, all-zero = the static
 * initializer. Attribute objects keep musl's layouts, since wasi-libc's own
 * pthread_*attr_* setters fill them.
 *
 * pthread_mutex_t (6 ints):
 *   [0] type: musl's attribute bits (& 3 = NORMAL 0, RECURSIVE 1, ERRORCHECK 2;
 *       4 robust, 8 priority inheritance, 128 process-shared: accepted, no effect)
 *   [1] lock word (Drepper's "mutex3": 0 free, 1 locked, 2 locked and maybe waiters)
 *   [2] owner (__occlum_sync_self() of the holder, 0 when free)
 *   [5] recursion count (RECURSIVE)
 */
#ifndef _PYOCCLUM_SYNC_H
#define _PYOCCLUM_SYNC_H

#include <pthread.h>

#include "futex.h"

#define MUTEX_TYPE(m) ((m)->__u.__i[0])
#define MUTEX_LOCK(m) ((m)->__u.__vi[1])
#define MUTEX_OWNER(m) ((m)->__u.__vi[2])
#define MUTEX_COUNT(m) ((m)->__u.__i[5])

#define LOAD(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define STORE(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define SWAP(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)
#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define SUB(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_SEQ_CST)

/* Compare-and-swap: returns the old value (*p was set to n iff it equals o). */
static inline int cas(volatile int *p, int o, int n)
{
    __atomic_compare_exchange_n(p, &o, n, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    return o;
}

/* pthread_cond_wait's use of the mutex: release it whatever its recursion
 * count (0 or EPERM), and take it back with the count it had. */
int __occlum_mutex_release(pthread_mutex_t *m, int *saved_count);
void __occlum_mutex_reacquire(pthread_mutex_t *m, int saved_count);

#endif /* _PYOCCLUM_SYNC_H */
