/*
 * dirent.h: wasi-libc's, with opendir() and scandir() routed to libocclum by
 * asm labels (src/paths.c): the directory is opened through the kernel's
 * openat (Linux's path resolution: absolute symlink targets from the root,
 * `..` at `/` staying there), then read with wasi-libc's fdopendir/readdir.
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_DIRENT_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_DIRENT_LABELS
#include <__typedef_DIR.h>
#ifdef __cplusplus
extern "C" {
#endif
struct dirent;
DIR *opendir(const char *) __asm__("__occlum_wrap_opendir");
int scandir(const char *, struct dirent ***, int (*)(const struct dirent *),
            int (*)(const struct dirent **, const struct dirent **))
    __asm__("__occlum_wrap_scandir");
/* src/posix_dirent.c: ENOTDIR for a descriptor that is not a directory. */
DIR *fdopendir(int) __asm__("__occlum_wrap_fdopendir");
#ifdef __cplusplus
}
#endif
#endif

#include_next <dirent.h>
