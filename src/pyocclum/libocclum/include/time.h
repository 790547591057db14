/*
 * time.h: wasi-libc's, plus Linux clock ids that programs use and WASI's
 * two clocks can stand for: the coarse and raw clocks are the precise ones,
 * CLOCK_BOOTTIME is CLOCK_MONOTONIC (there is no suspend); and the CPU-time
 * clocks.
 */
#pragma GCC system_header

#include_next <time.h>

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

/* POSIX sweep (src/posix_conf.c): no clock can be set (EPERM, EINVAL). */
int clock_settime(clockid_t, const struct timespec *);

#endif /* _PYOCCLUM_TIME_H */
