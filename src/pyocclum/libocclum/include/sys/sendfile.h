/*
 * sys/sendfile.h: Linux's sendfile() (wasi-libc has none), implemented by
 * libocclum with reads and writes (src/files_copy.c).
 */
#pragma GCC system_header

#ifndef _PYOCCLUM_SYS_SENDFILE_H
#define _PYOCCLUM_SYS_SENDFILE_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

ssize_t sendfile(int, int, off_t *, size_t);

#if defined(_LARGEFILE64_SOURCE) || defined(_GNU_SOURCE)
#define sendfile64 sendfile
#endif

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_SYS_SENDFILE_H */
