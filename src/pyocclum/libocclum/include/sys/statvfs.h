/*
 * sys/statvfs.h: wasi-libc's, with statvfs() and fstatvfs() routed to
 * libocclum by asm labels (src/files.c): wasi-libc's always fail with ENOSYS
 * (they share an archive member with open and stat, so only a label can
 * replace them).
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_STATVFS_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_STATVFS_LABELS
#ifdef __cplusplus
extern "C" {
#endif
struct statvfs;
int statvfs(const char *__restrict, struct statvfs *__restrict) __asm__("__occlum_wrap_statvfs");
int fstatvfs(int, struct statvfs *) __asm__("__occlum_wrap_fstatvfs");
#ifdef __cplusplus
}
#endif
#endif

#include_next <sys/statvfs.h>
