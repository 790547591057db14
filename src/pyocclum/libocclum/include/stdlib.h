/*
 * stdlib.h: wasi-libc's, with abort() raising SIGABRT (libocclum's
 * __occlum_abort: a handler runs, the default action ends the process with
 * SIGABRT) instead of wasi-libc's wasm trap. wasi-libc's start-up code
 * refers to its own abort, so that member is always linked first and an
 * object file cannot replace it (and zig drops -Wl,--wrap): an asm label
 * routes the program's calls instead. assert() reaches it through
 * __assert_fail, which init.c takes over.
 */
#pragma GCC system_header

#include_next <stdlib.h>

#if !defined(_PYOCCLUM_STDLIB_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_STDLIB_LABELS
#ifdef __cplusplus
extern "C" {
#endif
__attribute__((__noreturn__)) void abort(void) __asm__("__occlum_abort");
#ifdef __cplusplus
}
#endif
#endif
