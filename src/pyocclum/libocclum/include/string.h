/*
 * string.h: wasi-libc's (musl's), plus, under _GNU_SOURCE as glibc's:
 * - the GNU strerror_r (it returns the message, char *); musl has only the
 *   XSI one (int), which a program gets without _GNU_SOURCE;
 * - the GNU basename in C (src/posix_misc.c: "" for a trailing '/', the
 *   argument untouched), unless <libgen.h> came first (it defines basename as the
 *   POSIX one, and undoes this if it comes later, as glibc's).
 */
#pragma GCC system_header

#include_next <string.h>

#if defined(_GNU_SOURCE) && !defined(__OCCLUM_BUILDING_LIBOCCLUM) && !defined(_PYOCCLUM_STRING_H)
#define _PYOCCLUM_STRING_H
#ifdef __cplusplus
extern "C" {
#endif
char *__occlum_gnu_strerror_r(int, char *, __SIZE_TYPE__);
#ifdef __cplusplus
}
#endif
#define strerror_r __occlum_gnu_strerror_r
#endif

/* C only: a macro would rename C++ members called basename. */
#if defined(_GNU_SOURCE) && !defined(__OCCLUM_BUILDING_LIBOCCLUM) && !defined(basename) && \
    !defined(__cplusplus)
char *__occlum_gnu_basename(const char *);
#define basename __occlum_gnu_basename
#endif
