/*
 * malloc.h: wasi-libc's, plus glibc's malloc_trim (src/posix_gnu.c: 0,
 * wasi-libc's malloc never gives memory back to the system).
 */
#pragma GCC system_header

#include_next <malloc.h>

#ifndef _PYOCCLUM_MALLOC_H
#define _PYOCCLUM_MALLOC_H
#ifdef __cplusplus
extern "C" {
#endif
int malloc_trim(__SIZE_TYPE__);
#ifdef __cplusplus
}
#endif
#endif
