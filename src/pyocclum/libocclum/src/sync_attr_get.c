/*
 * sync_attr_get.c: the pthread_*attr_get* functions
 * (libocclum: link as an object). They replace wasi-libc's member pthread_attr_get.o as a whole
 * (an object defining only some of its names would clash with it when it is
 * linked for the others), for the sake of pthread_condattr_getclock, whose
 * wasi-libc version never stores the clock (a precedence slip:
 * `attr & 0x7fffffff == id`). The others are musl's, over musl's layouts
 * (wasi-libc's setters fill them).
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "sync.h"

/* musl's pthread_attr_t fields (src/internal/pthread_impl.h, wasm32). */
#define A_STACKSIZE(a) ((a)->__u.__s[0])
#define A_GUARDSIZE(a) ((a)->__u.__s[1])
#define A_STACKADDR(a) ((a)->__u.__s[2])
#define A_DETACH(a) ((a)->__u.__i[3])

int pthread_attr_getdetachstate(const pthread_attr_t *a, int *state)
{
    *state = A_DETACH(a);
    return 0;
}

int pthread_attr_getguardsize(const pthread_attr_t *restrict a, size_t *restrict size)
{
    *size = A_GUARDSIZE(a);
    return 0;
}

int pthread_attr_getschedparam(const pthread_attr_t *restrict a,
                               struct sched_param *restrict param)
{
    (void)a;
    param->sched_priority = 0;
    return 0;
}

int pthread_attr_getstack(const pthread_attr_t *restrict a, void **restrict addr,
                          size_t *restrict size)
{
    if (!A_STACKADDR(a))
        return EINVAL;
    *size = A_STACKSIZE(a);
    *addr = (void *)(A_STACKADDR(a) - *size);
    return 0;
}

int pthread_attr_getstacksize(const pthread_attr_t *restrict a, size_t *restrict size)
{
    *size = A_STACKSIZE(a);
    return 0;
}

int pthread_barrierattr_getpshared(const pthread_barrierattr_t *restrict a,
                                   int *restrict pshared)
{
    *pshared = !!a->__attr;
    return 0;
}

int pthread_condattr_getclock(const pthread_condattr_t *restrict a, clockid_t *restrict clk)
{
    *clk = (a->__attr & 0x7fffffff) == OCCLUM_SYNC_MONOTONIC ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    return 0;
}

int pthread_condattr_getpshared(const pthread_condattr_t *restrict a, int *restrict pshared)
{
    *pshared = (int)(a->__attr >> 31);
    return 0;
}

int pthread_mutexattr_getprotocol(const pthread_mutexattr_t *restrict a,
                                  int *restrict protocol)
{
    *protocol = (int)(a->__attr / 8U % 2);
    return 0;
}

int pthread_mutexattr_getpshared(const pthread_mutexattr_t *restrict a, int *restrict pshared)
{
    *pshared = (int)(a->__attr / 128U % 2);
    return 0;
}

int pthread_mutexattr_getrobust(const pthread_mutexattr_t *restrict a, int *restrict robust)
{
    *robust = (int)(a->__attr / 4U % 2);
    return 0;
}

int pthread_mutexattr_gettype(const pthread_mutexattr_t *restrict a, int *restrict type)
{
    *type = (int)(a->__attr & 3);
    return 0;
}

int pthread_rwlockattr_getpshared(const pthread_rwlockattr_t *restrict a,
                                  int *restrict pshared)
{
    *pshared = (int)a->__attr[0];
    return 0;
}
