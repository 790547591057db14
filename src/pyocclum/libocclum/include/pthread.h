/* wasi-libc's <pthread.h>, plus what its single-thread variant leaves out:
 * pthread_exit (and pthread_kill, which glibc declares in <signal.h>), as
 * libocclum implements them for programs built with occlum-cc -pthread
 * (src/thread.c, docs/threads.md). */
#ifndef _PYOCCLUM_PTHREAD_H
#define _PYOCCLUM_PTHREAD_H

#include_next <pthread.h>

#ifdef __cplusplus
extern "C" {
#endif

__attribute__((__noreturn__)) void pthread_exit(void *);
int pthread_kill(pthread_t, int);
#ifdef _GNU_SOURCE
int pthread_tryjoin_np(pthread_t, void **);
/* glibc 2.30's waits on a given clock (src/sync_*.c). */
int pthread_mutex_clocklock(pthread_mutex_t *__restrict, clockid_t,
                            const struct timespec *__restrict);
int pthread_cond_clockwait(pthread_cond_t *__restrict, pthread_mutex_t *__restrict, clockid_t,
                           const struct timespec *__restrict);
int pthread_rwlock_clockrdlock(pthread_rwlock_t *__restrict, clockid_t,
                               const struct timespec *__restrict);
int pthread_rwlock_clockwrlock(pthread_rwlock_t *__restrict, clockid_t,
                               const struct timespec *__restrict);
#endif

#ifdef __cplusplus
}
#endif

#endif
