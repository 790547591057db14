/*
 * time.h: wasi-libc's, plus Linux clock ids that programs use and WASI's
 * two clocks can stand for: the coarse and raw clocks are the precise ones,
 * CLOCK_BOOTTIME is CLOCK_MONOTONIC (there is no suspend); and the CPU-time
 * clocks.
 */
#pragma GCC system_header

/* POSIX sweep (src/posix_clock.c): unknown clock ids are EINVAL; clock() in
 * microseconds of CPU time, as CLOCKS_PER_SEC (redefined below) says. */
#if !defined(_PYOCCLUM_TIME_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_TIME_LABELS
#ifdef __cplusplus
extern "C" {
#endif
struct timespec;
#include <__typedef_clockid_t.h>
int clock_gettime(clockid_t, struct timespec *) __asm__("__occlum_wrap_clock_gettime");
int clock_getres(clockid_t, struct timespec *) __asm__("__occlum_wrap_clock_getres");
#ifdef __cplusplus
}
#endif
#endif

#include_next <time.h>

#if defined(_TIME_H) && !defined(__OCCLUM_BUILDING_LIBOCCLUM) && !defined(_PYOCCLUM_CLOCK_LABEL)
#define _PYOCCLUM_CLOCK_LABEL
#ifdef __cplusplus
extern "C" {
#endif
clock_t clock(void) __asm__("__occlum_wrap_clock");
#ifdef __cplusplus
}
#endif
#undef CLOCKS_PER_SEC
#define CLOCKS_PER_SEC 1000000L
#endif

#if !defined(_PYOCCLUM_TIME_H) && defined(_TIME_H)
#define _PYOCCLUM_TIME_H

#ifndef CLOCK_REALTIME_COARSE
#define CLOCK_REALTIME_COARSE CLOCK_REALTIME
#endif
#ifndef CLOCK_MONOTONIC_COARSE
#define CLOCK_MONOTONIC_COARSE CLOCK_MONOTONIC
#endif
#ifndef CLOCK_MONOTONIC_RAW
#define CLOCK_MONOTONIC_RAW CLOCK_MONOTONIC
#endif
#ifndef CLOCK_BOOTTIME
#define CLOCK_BOOTTIME CLOCK_MONOTONIC
#endif
/* The CPU-time clocks, which WASI has (clock ids 2 and 3) and wasi-libc
 * does not name; src/clocks.c defines them. */
#ifndef CLOCK_PROCESS_CPUTIME_ID
extern const struct __clockid _CLOCK_PROCESS_CPUTIME_ID;
#define CLOCK_PROCESS_CPUTIME_ID (&_CLOCK_PROCESS_CPUTIME_ID)
#endif
#ifndef CLOCK_THREAD_CPUTIME_ID
extern const struct __clockid _CLOCK_THREAD_CPUTIME_ID;
#define CLOCK_THREAD_CPUTIME_ID (&_CLOCK_THREAD_CPUTIME_ID)
#endif

/* POSIX sweep (src/posix_tz.c): time zones, which wasi-libc leaves out. */
void tzset(void);
extern char *tzname[2];
#if defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
extern int daylight;
extern long timezone;
#endif

/* POSIX sweep (src/posix_conf.c): no clock can be set (EPERM, EINVAL). */
int clock_settime(clockid_t, const struct timespec *);
int clock_getcpuclockid(int, clockid_t *); /* pid_t is int */

#endif /* _PYOCCLUM_TIME_H */
