/*
 * sys/times.h: wasi-libc's, with times() routed by an asm label to
 * libocclum's (src/misc.c), which counts in clock ticks (sysconf(_SC_CLK_TCK),
 * 100 a second) as Linux does; wasi-libc's counts nanoseconds. As wasi-libc's,
 * the process's times are the time since it started (WASI has no CPU clock
 * per process), and the children's are 0.
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_TIMES_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_TIMES_LABELS
#include <__struct_tms.h>
#ifdef __cplusplus
extern "C" {
#endif
clock_t times(struct tms *) __asm__("__occlum_wrap_times");
#ifdef __cplusplus
}
#endif
#endif

#include_next <sys/times.h>
