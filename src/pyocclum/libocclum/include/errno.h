/* wasi-libc's <errno.h>, but errno read and written through
 * __errno_location(), as glibc and musl do.
 *
 * wasi-libc declares errno as a plain thread-local variable. clang assumes
 * that malloc and friends touch only memory the program cannot see, so
 * with a plain variable it may fold `errno = 0; p = malloc(huge); e = errno;`
 * into e = 0 and lose malloc's ENOMEM; accesses through __errno_location()
 * are modelled as errno and are not folded. */
#ifndef _PYOCCLUM_ERRNO_H
#define _PYOCCLUM_ERRNO_H

#include_next <errno.h>

#ifdef __cplusplus
extern "C" {
#endif
int *__errno_location(void);
#ifdef __cplusplus
}
#endif

#undef errno
#define errno (*__errno_location())

/* POSIX sweep (src/posix_progname.c): wasi-libc never sets these; libocclum's
 * copies are filled from argv[0] at start-up. */
#if defined(_GNU_SOURCE) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#ifdef __cplusplus
extern "C" {
#endif
extern char *__occlum_progname_full, *__occlum_progname;
#ifdef __cplusplus
}
#endif
#define program_invocation_name __occlum_progname_full
#define program_invocation_short_name __occlum_progname
#endif

#endif
