/*
 * sys/stat.h: wasi-libc's, plus umask(), which libocclum implements over the
 * kernel (the kernel applies the mask when it creates files).
 */
#pragma GCC system_header

#include_next <sys/stat.h>

#ifndef _PYOCCLUM_SYS_STAT_H
#define _PYOCCLUM_SYS_STAT_H

#ifdef __cplusplus
extern "C" {
#endif

mode_t umask(mode_t);

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_SYS_STAT_H */
