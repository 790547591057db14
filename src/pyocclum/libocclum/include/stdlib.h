/*
 * stdlib.h: wasi-libc's, with asm labels routing two functions to
 * libocclum:
 *
 *   - realpath() -> __occlum_wrap_realpath (src/paths.c: the kernel
 *     resolves the whole path, with Linux's semantics);
 *   - abort() -> __occlum_abort (src/signal_sleep.c: raises SIGABRT, so a
 *     handler runs and the default action ends the process with SIGABRT,
 *     instead of wasi-libc's wasm trap). wasi-libc's start-up code refers
 *     to its own abort, so that member is always linked first and an object
 *     file cannot replace it (and zig drops -Wl,--wrap). assert() reaches
 *     SIGABRT through __assert_fail, which init.c takes over.
 */
#pragma GCC system_header

#include_next <stdlib.h>

#if !defined(_PYOCCLUM_STDLIB_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_STDLIB_LABELS
#ifdef __cplusplus
extern "C" {
#endif
char *realpath(const char *__restrict, char *__restrict) __asm__("__occlum_wrap_realpath");
__attribute__((__noreturn__)) void abort(void) __asm__("__occlum_abort");
/* POSIX sweep (src/posix_exit.c): MAP_SHARED mappings written back first. */
__attribute__((__noreturn__)) void _Exit(int) __asm__("__occlum_wrap__Exit");
#ifdef __cplusplus
}
#endif
#endif

#if defined(_GNU_SOURCE) && !defined(_PYOCCLUM_STDLIB_GNU)
#define _PYOCCLUM_STDLIB_GNU
#ifdef __cplusplus
extern "C" {
#endif
/* POSIX sweep (src/posix_gnu.c): realpath(path, NULL). */
char *canonicalize_file_name(const char *);
int ptsname_r(int, char *, __SIZE_TYPE__); /* src/posix_termios.c */
#ifdef __cplusplus
}
#endif
#endif

#if (defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE)) && !defined(_PYOCCLUM_STDLIB_PTY)
#define _PYOCCLUM_STDLIB_PTY
#ifdef __cplusplus
extern "C" {
#endif
/* POSIX sweep (src/posix_termios.c): no pseudo-terminals inside. */
int posix_openpt(int);
int grantpt(int);
int unlockpt(int);
char *ptsname(int);
#ifdef __cplusplus
}
#endif
#endif

#ifndef _PYOCCLUM_STDLIB_TEMP
#define _PYOCCLUM_STDLIB_TEMP
#ifdef __cplusplus
extern "C" {
#endif
#if defined(_POSIX_SOURCE) || defined(_POSIX_C_SOURCE) || defined(_XOPEN_SOURCE) \
 || defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
int mkstemp(char *);
int mkostemp(char *, int);
char *mkdtemp(char *);
#endif
#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
char *mktemp(char *);
int mkstemps(char *, int);
int mkostemps(char *, int, int);
#endif
#ifdef __cplusplus
}
#endif
#endif
