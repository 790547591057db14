/*
 * sys/time.h: wasi-libc's, with utimes() and futimesat() routed to libocclum
 * by asm labels (src/paths.c: the kernel's utimensat), and futimes(),
 * lutimes(), getitimer() and setitimer(), which wasi-libc leaves out,
 * declared (libocclum has them).
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_SYS_TIME_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_SYS_TIME_LABELS
#ifdef __cplusplus
extern "C" {
#endif
struct timeval;
int utimes(const char *, const struct timeval *) __asm__("__occlum_wrap_utimes");
int futimesat(int, const char *, const struct timeval *) __asm__("__occlum_wrap_futimesat");
#ifdef __cplusplus
}
#endif
#endif

#include_next <sys/time.h>

#if !defined(_PYOCCLUM_SYS_TIME_H) && defined(_SYS_TIME_H)
#define _PYOCCLUM_SYS_TIME_H
#ifdef __cplusplus
extern "C" {
#endif
#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
int futimes(int, const struct timeval [2]);
int lutimes(const char *, const struct timeval [2]);
#endif
/* Interval timers (src/signal_sleep.c, the kernel's setitimer): the CPU-time
 * ones count the calling thread's CPU time. */
#define ITIMER_REAL    0
#define ITIMER_VIRTUAL 1
#define ITIMER_PROF    2
struct itimerval {
    struct timeval it_interval;
    struct timeval it_value;
};
int getitimer(int, struct itimerval *);
int setitimer(int, const struct itimerval *__restrict, struct itimerval *__restrict);
#ifdef __cplusplus
}
#endif
#endif /* _PYOCCLUM_SYS_TIME_H */
