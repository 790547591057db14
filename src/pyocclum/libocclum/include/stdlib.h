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
#ifdef __cplusplus
}
#endif
#endif
