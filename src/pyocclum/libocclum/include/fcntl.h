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
 *
 * Files (ABI version 3, src/files*.c): record locks (F_GETLK, F_SETLK,
 * F_SETLKW, F_OFD_*, struct flock as wasi-libc declares it, Linux's layout),
 * fallocate and FALLOC_FL_*, O_TMPFILE (a bit of its own, like O_CLOEXEC,
 * plus O_DIRECTORY), sync_file_range, AT_EMPTY_PATH; posix_fallocate goes to
 * libocclum by an asm label (wasi-libc's calls WASI's fd_allocate).
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_FCNTL_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_FCNTL_LABELS
#ifdef __cplusplus
extern "C" {
#endif
int open(const char *, int, ...) __asm__("__occlum_wrap_open");
int openat(int, const char *, int, ...) __asm__("__occlum_wrap_openat");
#include <__typedef_mode_t.h>
int creat(const char *, mode_t) __asm__("__occlum_wrap_creat"); /* src/paths.c: keeps the mode */
int posix_fallocate(int, long long, long long) __asm__("__occlum_wrap_posix_fallocate");
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

/* --- files (ABI version 3): Linux's values --- */

#ifndef F_GETLK
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#endif
/* Pipe sizes (Linux's values; the kernel's pipes, src/fd.c). */
#if defined(_GNU_SOURCE) && !defined(F_SETPIPE_SZ)
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif
#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#endif
#if defined(_LARGEFILE64_SOURCE) || defined(_GNU_SOURCE)
#ifndef F_GETLK64
#define F_GETLK64 F_GETLK
#define F_SETLK64 F_SETLK
#define F_SETLKW64 F_SETLKW
#define flock64 flock
#endif
#endif
#ifndef SEEK_SET
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2
#endif

/* O_TMPFILE: a bit wasi-libc leaves free, with O_DIRECTORY (as Linux's). */
#define __O_TMPFILE 0x20000000
#ifndef O_TMPFILE
#define O_TMPFILE (__O_TMPFILE | O_DIRECTORY)
#endif

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif

#ifdef _GNU_SOURCE
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef FALLOC_FL_COLLAPSE_RANGE
#define FALLOC_FL_COLLAPSE_RANGE 0x08
#define FALLOC_FL_ZERO_RANGE 0x10
#define FALLOC_FL_INSERT_RANGE 0x20
#define FALLOC_FL_UNSHARE_RANGE 0x40
#endif
#ifndef SYNC_FILE_RANGE_WAIT_BEFORE
#define SYNC_FILE_RANGE_WAIT_BEFORE 1
#define SYNC_FILE_RANGE_WRITE 2
#define SYNC_FILE_RANGE_WAIT_AFTER 4
#endif
#ifdef __cplusplus
extern "C" {
#endif
int fallocate(int, int, off_t, off_t);
int sync_file_range(int, off_t, off_t, unsigned);
#ifdef __cplusplus
}
#endif
#endif /* _GNU_SOURCE */

#endif /* _PYOCCLUM_FCNTL_H */
