/*
 * time.h: wasi-libc's, plus Linux clock ids that programs use and WASI's
 * two clocks can stand for: the coarse and raw clocks are the precise ones,
 * CLOCK_BOOTTIME is CLOCK_MONOTONIC (there is no suspend).
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

#endif /* _PYOCCLUM_TIME_H */
