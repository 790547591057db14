/*
 * stdio.h: wasi-libc's, plus popen() and pclose(), which libocclum
 * implements with a pipe and posix_spawn of /bin/sh -c.
 */
#pragma GCC system_header

#include_next <stdio.h>

#if !defined(_PYOCCLUM_STDIO_H) && defined(_STDIO_H)
#define _PYOCCLUM_STDIO_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_POSIX_SOURCE) || defined(_POSIX_C_SOURCE) \
 || defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) \
 || defined(_BSD_SOURCE)
FILE *popen(const char *, const char *);
int pclose(FILE *);
#endif

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_STDIO_H */
