/*
 * fcntl.h: wasi-libc's <fcntl.h> with what a program that spawns processes
 * needs:
 *   - open/openat go to the kernel (asm labels route them to
 *     __occlum_wrap_open/__occlum_wrap_openat), which takes Linux's flags and
 *     gives a created file the mode asked for (less the umask): wasi-libc's
 *     open drops the mode, as WASI's path_open has none;
 *   - O_CLOEXEC is 0 in wasi-libc (WASI has no exec); here it is a bit of
 *     its own that wasi-libc's open ignores. libocclum turns it into the
 *     kernel's close-on-exec flag: in open/openat, pipe2, dup3 and
 *     posix_spawn_file_actions_addopen;
 *   - F_DUPFD and F_DUPFD_CLOEXEC (Linux's values; F_GETFD..F_SETFL and
 *     FD_CLOEXEC already match Linux's). libocclum's fcntl sends every
 *     command to the kernel, so close-on-exec flags live there.
 * O_* values other than O_CLOEXEC stay wasi-libc's: libocclum translates
 * them to Linux's where it talks to the kernel.
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_FCNTL_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_FCNTL_LABELS
#ifdef __cplusplus
extern "C" {
#endif
int open(const char *, int, ...) __asm__("__occlum_wrap_open");
int openat(int, const char *, int, ...) __asm__("__occlum_wrap_openat");
#ifdef __cplusplus
}
#endif
#endif

#include_next <fcntl.h>

#ifndef _PYOCCLUM_FCNTL_H
#define _PYOCCLUM_FCNTL_H

#undef O_CLOEXEC
#define O_CLOEXEC 0x40000000

#ifndef F_DUPFD
#define F_DUPFD 0
#endif
#ifndef F_DUPFD_CLOEXEC
#define F_DUPFD_CLOEXEC 1030
#endif

#endif /* _PYOCCLUM_FCNTL_H */
