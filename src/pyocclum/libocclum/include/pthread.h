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
#endif

#ifdef __cplusplus
}
#endif

#endif
