/*
 * setjmp.h: wasi-libc's (musl's), which needs the exception-handling
 * feature that occlum-cc turns on for C (src/posix_setjmp.c has the
 * runtime), plus sigsetjmp/siglongjmp (the signal mask saved and restored,
 * as Linux) and _setjmp/_longjmp (which keep the mask alone, as glibc's).
 */
#pragma GCC system_header

#include_next <setjmp.h>

#if !defined(_PYOCCLUM_SETJMP_H) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_SETJMP_H
#ifdef __cplusplus
extern "C" {
#endif
void __occlum_sigjmp_save(void *, int);
_Noreturn void __occlum_siglongjmp(void *, int);
#ifdef __cplusplus
}
#endif
#if defined(_POSIX_SOURCE) || defined(_POSIX_C_SOURCE) || defined(_XOPEN_SOURCE) || \
    defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
#define sigsetjmp(env, savemask) (__occlum_sigjmp_save((env), (savemask)), setjmp(env))
#define siglongjmp(env, val) __occlum_siglongjmp((env), (val))
#endif
#if defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
#define _setjmp(env) setjmp(env)
#define _longjmp(env, val) longjmp((env), (val))
#endif
#endif
