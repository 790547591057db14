/*
 * unistd.h: wasi-libc's <unistd.h>, with chdir() routed through libocclum.
 *
 * zig's linker driver drops -Wl,--wrap for wasm, so the wrap happens here at
 * compile time: an asm label makes every call to (and address of) chdir in a
 * program built by occlum-cc refer to __occlum_wrap_chdir, which calls
 * wasi-libc's chdir and tells the kernel (see libocclum/src/chdir.c).
 * libocclum's own sources define __OCCLUM_BUILDING_LIBOCCLUM to see the
 * original declaration.
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_UNISTD_H) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_UNISTD_H
#ifdef __cplusplus
extern "C" {
#endif
int chdir(const char *) __asm__("__occlum_wrap_chdir");
#ifdef __cplusplus
}
#endif
#endif

#include_next <unistd.h>
