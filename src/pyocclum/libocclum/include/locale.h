/*
 * locale.h: wasi-libc's (musl's), with setlocale routed to
 * src/posix_locale.c: "" means "C" in an empty environment and names
 * without locale data fail, as glibc's.
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_LOCALE_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_LOCALE_LABELS
#ifdef __cplusplus
extern "C" {
#endif
char *setlocale(int, const char *) __asm__("__occlum_wrap_setlocale");
#ifdef __cplusplus
}
#endif
#endif

#include_next <locale.h>
