/*
 * limits.h: wasi-libc's, plus PIPE_BUF (WASI has no pipes; PyOcclum's
 * kernel does, with Linux's atomic write size).
 */
#pragma GCC system_header

#include_next <limits.h>

#if !defined(PIPE_BUF) && (defined(_POSIX_SOURCE) || defined(_POSIX_C_SOURCE) \
 || defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || defined(_BSD_SOURCE))
#define PIPE_BUF 4096
#endif

/* wasi-libc hides these unless _REENTRANT; glibc has them always. */
#ifndef SEM_VALUE_MAX
#define SEM_VALUE_MAX 0x7fffffff
#endif
#ifndef SEM_NSEMS_MAX
#define SEM_NSEMS_MAX 256
#endif
