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
