/*
 * ftw.h: wasi-libc's (nftw), plus ftw, which it leaves out (src/posix_dirent.c:
 * nftw with FTW_PHYS, as musl's).
 */
#pragma GCC system_header

#include_next <ftw.h>

#ifndef _PYOCCLUM_FTW_H
#define _PYOCCLUM_FTW_H
#ifdef __cplusplus
extern "C" {
#endif
int ftw(const char *, int (*)(const char *, const struct stat *, int), int);
#ifdef __cplusplus
}
#endif
#endif
