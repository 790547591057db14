/*
 * sys/random.h: wasi-libc's (getentropy) plus Linux's getrandom, which
 * libocclum implements with WASI's random_get (through getentropy).
 */
#pragma GCC system_header

#include_next <sys/random.h>

#ifndef _PYOCCLUM_SYS_RANDOM_H
#define _PYOCCLUM_SYS_RANDOM_H

#define __NEED_ssize_t
#include <bits/alltypes.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GRND_NONBLOCK 0x0001
#define GRND_RANDOM   0x0002
#define GRND_INSECURE 0x0004

ssize_t getrandom(void *, size_t, unsigned);

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_SYS_RANDOM_H */
