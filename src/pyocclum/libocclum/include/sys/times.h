/*
 * sys/times.h: wasi-libc's, with times() routed by an asm label to
 * libocclum's (src/rusage.c): the process's CPU time and its reaped
 * children's from the kernel, in clock ticks (sysconf(_SC_CLK_TCK), 100 a
 * second) as Linux counts them; wasi-libc's counts nanoseconds of wall-clock
 * time since start-up, and 0 for the children.
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
