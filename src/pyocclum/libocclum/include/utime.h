/*
 * utime.h: wasi-libc's, with utime() routed to libocclum by an asm label
 * (src/paths.c: the kernel's utimensat).
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_UTIME_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_UTIME_LABELS
#ifdef __cplusplus
extern "C" {
#endif
struct utimbuf;
int utime(const char *, const struct utimbuf *) __asm__("__occlum_wrap_utime");
#ifdef __cplusplus
}
#endif
#endif

#include_next <utime.h>
