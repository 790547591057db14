/*
 * fopen and freopen with Linux's mode letters (include/stdio.h routes them
 * here): 'e' makes the descriptor close-on-exec (wasi-libc's O_CLOEXEC is 0,
 * so its fopen ignores the letter), and fopen opens through the kernel's
 * openat, so a created file gets 0666 & ~umask as on Linux. fdopen checks
 * the descriptor first, as glibc does (musl's accepts a bad fd, or a mode the
 * descriptor was not opened for); 'e' sets close-on-exec, as musl's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* musl's __fmodeflags, with libocclum's real O_CLOEXEC. */
static int mode_flags(const char *mode) {
    int flags;
    if (strchr(mode, '+'))
        flags = O_RDWR;
    else if (*mode == 'r')
        flags = O_RDONLY;
    else
        flags = O_WRONLY;
    if (strchr(mode, 'x'))
        flags |= O_EXCL;
    if (strchr(mode, 'e'))
        flags |= O_CLOEXEC;
    if (*mode != 'r')
        flags |= O_CREAT;
    if (*mode == 'w')
        flags |= O_TRUNC;
    if (*mode == 'a')
        flags |= O_APPEND;
    return flags;
}

FILE *__occlum_wrap_fopen(const char *restrict path, const char *restrict mode) {
    if (!strchr("rwa", *mode)) {
        errno = EINVAL;
        return NULL;
    }
    int fd = __occlum_wrap_open(path, mode_flags(mode), 0666);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, mode);
    if (f == NULL) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

FILE *__occlum_wrap_fdopen(int fd, const char *mode) {
    if (!strchr("rwa", *mode)) {
        errno = EINVAL;
        return NULL;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        return NULL; /* EBADF */
    /* wasi-libc's O_RDONLY and O_WRONLY are separate bits; O_RDWR is both. */
    int readable = (fl & O_RDONLY) != 0, writable = (fl & O_WRONLY) != 0;
    int plus = strchr(mode, '+') != NULL;
    if ((plus && !(readable && writable)) || (*mode == 'r' && !readable) ||
        (*mode != 'r' && !writable)) {
        errno = EINVAL;
        return NULL;
    }
    return fdopen(fd, mode);
}

FILE *__occlum_wrap_freopen(const char *restrict path, const char *restrict mode,
                            FILE *restrict f) {
    int cloexec = strchr(mode, 'e') != NULL;
    f = freopen(path, mode, f);
    if (f != NULL && cloexec)
        fcntl(fileno(f), F_SETFD, FD_CLOEXEC);
    return f;
}
