/*
 * string.h: wasi-libc's (musl's), plus glibc's GNU strerror_r under
 * _GNU_SOURCE (it returns the message, char *), as glibc declares it; musl
 * has only the XSI one (int), which a program gets without _GNU_SOURCE.
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
