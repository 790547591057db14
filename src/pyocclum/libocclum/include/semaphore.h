/*
 * semaphore.h: musl's (zig's generic-musl headers), plus glibc's
 * sem_clockwait. libocclum implements them all (src/sync_sem.c).
 */
#pragma GCC system_header

#include_next <semaphore.h>

#ifndef _PYOCCLUM_SEMAPHORE_H
#define _PYOCCLUM_SEMAPHORE_H

#ifdef _GNU_SOURCE
#include <time.h>
#ifdef __cplusplus
extern "C" {
#endif
int sem_clockwait(sem_t *__restrict, clockid_t, const struct timespec *__restrict);
#ifdef __cplusplus
}
#endif
#endif

#endif /* _PYOCCLUM_SEMAPHORE_H */
