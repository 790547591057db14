/*
 * sys/stat.h: wasi-libc's, plus umask(), which libocclum implements over the
 * kernel (the kernel applies the mask when it creates files), and the stat
 * and chmod families routed to libocclum by asm labels (src/stat.c): the
 * kernel reports and sets the permission bits that WASI's filestat lacks;
 * mkdir, mkdirat, utimensat and futimens likewise (src/paths.c).
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_SYS_STAT_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_SYS_STAT_LABELS
#include <__typedef_mode_t.h>
#ifdef __cplusplus
extern "C" {
#endif
struct stat;
int stat(const char *__restrict, struct stat *__restrict) __asm__("__occlum_wrap_stat");
int lstat(const char *__restrict, struct stat *__restrict) __asm__("__occlum_wrap_lstat");
int fstat(int, struct stat *) __asm__("__occlum_wrap_fstat");
int fstatat(int, const char *__restrict, struct stat *__restrict, int)
    __asm__("__occlum_wrap_fstatat");
int chmod(const char *, mode_t) __asm__("__occlum_wrap_chmod");
int fchmod(int, mode_t) __asm__("__occlum_wrap_fchmod");
int fchmodat(int, const char *, mode_t, int) __asm__("__occlum_wrap_fchmodat");
/* src/paths.c: mkdir with its mode (WASI's has none), times with Linux's rules. */
struct timespec;
int mkdir(const char *, mode_t) __asm__("__occlum_wrap_mkdir");
int mkdirat(int, const char *, mode_t) __asm__("__occlum_wrap_mkdirat");
int utimensat(int, const char *, const struct timespec *, int) __asm__("__occlum_wrap_utimensat");
int futimens(int, const struct timespec *) __asm__("__occlum_wrap_futimens");
#ifdef __cplusplus
}
#endif
#endif

#include_next <sys/stat.h>

#ifndef _PYOCCLUM_SYS_STAT_H
#define _PYOCCLUM_SYS_STAT_H

#ifdef __cplusplus
extern "C" {
#endif

mode_t umask(mode_t);

#ifdef _GNU_SOURCE
/* statx: Linux's struct statx (linux/stat.h), src/files_statx.c. */
#include <linux/stat.h>
int statx(int, const char *__restrict, int, unsigned int, struct statx *__restrict);
#endif

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_SYS_STAT_H */
