/*
 * Files and descriptors over the kernel: pipe, dup, fcntl, close-on-exec,
 * fchdir, umask, open with a mode. Programs pass wasi-libc's O_* values (and libocclum's
 * O_CLOEXEC, see include/fcntl.h); the kernel takes Linux's, so they are
 * translated here. fcntl() itself lives in init.c (it takes over
 * wasi-libc's) and calls __occlum_fcntl_impl.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include "internal.h"
#include "occlum.h"

/* Linux's (x86-64) O_* values. */
#define LINUX_O_WRONLY    01u
#define LINUX_O_RDWR      02u
#define LINUX_O_ACCMODE   03u
#define LINUX_O_CREAT     0100u
#define LINUX_O_EXCL      0200u
#define LINUX_O_TRUNC     01000u
#define LINUX_O_APPEND    02000u
#define LINUX_O_NONBLOCK  04000u
#define LINUX_O_DSYNC     010000u
#define LINUX_O_DIRECTORY 0200000u
#define LINUX_O_NOFOLLOW  0400000u
#define LINUX_O_CLOEXEC   02000000u
#define LINUX_O_SYNC      04010000u /* includes O_DSYNC */
#define LINUX_O_PATH      010000000u

#define LINUX_AT_FDCWD (-100)

#define LINUX_F_DUPFD 0
#define LINUX_F_GETFD 1
#define LINUX_F_SETFD 2
#define LINUX_F_GETFL 3
#define LINUX_F_SETFL 4
#define LINUX_F_DUPFD_CLOEXEC 1030

_Static_assert(F_GETFD == LINUX_F_GETFD && F_SETFD == LINUX_F_SETFD &&
               F_GETFL == LINUX_F_GETFL && F_SETFL == LINUX_F_SETFL &&
               F_DUPFD == LINUX_F_DUPFD && F_DUPFD_CLOEXEC == LINUX_F_DUPFD_CLOEXEC &&
               FD_CLOEXEC == 1, "fcntl commands are Linux's");

/* wasi-libc flag -> Linux flag, for the flags that exist on both sides. */
static const struct {
    int wasi;
    uint32_t linux_;
} flag_map[] = {
    {O_CREAT, LINUX_O_CREAT},       {O_EXCL, LINUX_O_EXCL},
    {O_TRUNC, LINUX_O_TRUNC},       {O_APPEND, LINUX_O_APPEND},
    {O_NONBLOCK, LINUX_O_NONBLOCK}, {O_DIRECTORY, LINUX_O_DIRECTORY},
    {O_NOFOLLOW, LINUX_O_NOFOLLOW}, {O_CLOEXEC, LINUX_O_CLOEXEC},
    {O_DSYNC, LINUX_O_DSYNC},       {O_RSYNC, LINUX_O_SYNC},
    {O_SYNC, LINUX_O_SYNC},
};

uint32_t __occlum_linux_oflags(int flags) {
    uint32_t out;
    switch (flags & O_ACCMODE) {
    case O_WRONLY:
        out = LINUX_O_WRONLY;
        break;
    case O_RDWR:
        out = LINUX_O_RDWR;
        break;
    case O_SEARCH:
    case O_EXEC:
        out = LINUX_O_PATH;
        break;
    default: /* O_RDONLY, or 0 (Linux's O_RDONLY) */
        out = 0;
        break;
    }
    for (size_t i = 0; i < sizeof flag_map / sizeof flag_map[0]; i++)
        if (flags & flag_map[i].wasi)
            out |= flag_map[i].linux_;
    return out;
}

int __occlum_wasi_oflags(uint32_t linux_flags) {
    int out;
    if (linux_flags & LINUX_O_PATH)
        out = O_SEARCH;
    else if ((linux_flags & LINUX_O_ACCMODE) == LINUX_O_WRONLY)
        out = O_WRONLY;
    else if ((linux_flags & LINUX_O_ACCMODE) == LINUX_O_RDWR)
        out = O_RDWR;
    else
        out = O_RDONLY;
    /* All bits of an entry must be set: Linux's O_SYNC contains O_DSYNC. */
    for (size_t i = 0; i < sizeof flag_map / sizeof flag_map[0]; i++)
        if ((linux_flags & flag_map[i].linux_) == flag_map[i].linux_)
            out |= flag_map[i].wasi;
    return out;
}

/* --- fcntl --- */

/* What wasi-libc's own fcntl does, for test harnesses that run a program
 * without the kernel and answer ENOSYS: close-on-exec is not kept, the
 * status flags come from WASI's fdstat. */
static int wasi_fcntl(int fd, int cmd, int arg) {
    switch (cmd) {
    case F_GETFD:
        return FD_CLOEXEC;
    case F_SETFD:
        return 0;
    case F_GETFL: {
        __wasi_fdstat_t st;
        __wasi_errno_t e = __wasi_fd_fdstat_get(fd, &st);
        if (e != 0)
            return __occlum_result(e);
        int r = (st.fs_rights_base & (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR)) != 0;
        int w = (st.fs_rights_base & __WASI_RIGHTS_FD_WRITE) != 0;
        return st.fs_flags | (r && w ? O_RDWR : r ? O_RDONLY : w ? O_WRONLY : O_SEARCH);
    }
    case F_SETFL:
        return __occlum_result(__wasi_fd_fdstat_set_flags(fd, (__wasi_fdflags_t)(arg & 0xfff)));
    default:
        errno = EINVAL;
        return -1;
    }
}

int __occlum_fcntl_impl(int fd, int cmd, int arg) {
    int32_t karg;
    switch (cmd) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC:
    case F_SETFD:
    case F_SETPIPE_SZ: /* POSIX sweep: the kernel's pipe sizes */
        karg = arg;
        break;
    case F_GETFD:
    case F_GETFL:
    case F_GETPIPE_SZ:
        karg = 0; /* no argument: do not pass what va_arg found */
        break;
    case F_SETFL:
        karg = (int32_t)__occlum_linux_oflags(arg);
        break;
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW: /* arg is the struct flock pointer (32 bits on wasm32) */
        return __occlum_fcntl_lock(fd, cmd, (struct flock *)(uintptr_t)(uint32_t)arg);
    default: /* leases, notify, seals...: not supported */
        errno = EINVAL;
        return -1;
    }
    int32_t out = 0;
    int32_t rc = __occlum_fcntl(fd, cmd, karg, &out);
    if (rc == ENOSYS)
        return wasi_fcntl(fd, cmd, arg);
    if (rc != 0)
        return __occlum_result(rc);
    if (cmd == F_GETFL)
        return __occlum_wasi_oflags((uint32_t)out);
    return out;
}

/* --- open and openat (include/fcntl.h routes them here) --- */

/* Without the kernel's openat (a harness answering ENOSYS): wasi-libc opens,
 * then the kernel marks the new descriptor close-on-exec if it can. */
static int wasi_openat(int dirfd, const char *path, int flags, mode_t mode) {
    int fd = openat(dirfd, path, flags & ~O_CLOEXEC, mode);
    if (fd < 0 || !(flags & O_CLOEXEC))
        return fd;
    int32_t rc = __occlum_fcntl(fd, LINUX_F_SETFD, FD_CLOEXEC, &(int32_t){0});
    if (rc != 0 && rc != ENOSYS) {
        close(fd);
        errno = rc;
        return -1;
    }
    return fd;
}

/* The kernel opens with Linux's flags and the mode (wasi-libc's open drops
 * the mode: WASI's path_open has none, so every file it creates would be
 * 0666 & ~umask, and a program that checks the mode it asked for with fstat,
 * as SQLite does for its temporary files, would see a different one). */
static int kernel_openat(int dirfd, const char *path, int flags, mode_t mode) {
    if ((flags & __O_TMPFILE) == __O_TMPFILE)
        return __occlum_openat_tmpfile(dirfd, path, flags, mode);
    int32_t fd = -1;
    int32_t rc = __occlum_openat(dirfd == AT_FDCWD ? LINUX_AT_FDCWD : dirfd, path, strlen(path),
                                 __occlum_linux_oflags(flags), (uint32_t)mode, &fd);
    if (rc == ENOSYS)
        return wasi_openat(dirfd, path, flags, mode);
    if (rc != 0)
        return __occlum_result(rc);
    return fd;
}

int __occlum_wrap_open(const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return kernel_openat(AT_FDCWD, path, flags, mode);
}

int __occlum_wrap_openat(int dirfd, const char *path, int flags, ...) {
    mode_t mode = 0;
    if (flags & (O_CREAT | __O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = (mode_t)va_arg(ap, int);
        va_end(ap);
    }
    return kernel_openat(dirfd, path, flags, mode);
}

/* --- pipes and duplicates --- */

int pipe2(int fds[2], int flags) {
    if (flags & ~(O_CLOEXEC | O_NONBLOCK)) {
        errno = EINVAL;
        return -1;
    }
    int32_t out[2];
    int32_t rc = __occlum_pipe2(__occlum_linux_oflags(flags) & (LINUX_O_CLOEXEC | LINUX_O_NONBLOCK),
                                out);
    if (rc != 0)
        return __occlum_result(rc);
    fds[0] = out[0];
    fds[1] = out[1];
    return 0;
}

int pipe(int fds[2]) {
    return pipe2(fds, 0);
}

int dup(int fd) {
    int32_t out = 0;
    int32_t rc = __occlum_dup(fd, &out);
    return rc != 0 ? __occlum_result(rc) : out;
}

int dup3(int fd, int newfd, int flags) {
    if (flags & ~O_CLOEXEC) {
        errno = EINVAL;
        return -1;
    }
    int32_t rc = __occlum_dup3(fd, newfd, (flags & O_CLOEXEC) ? LINUX_O_CLOEXEC : 0);
    return rc != 0 ? __occlum_result(rc) : newfd;
}

int dup2(int fd, int newfd) {
    if (fd == newfd) {
        /* Nothing to do if fd is open (the kernel's dup3 refuses it). */
        int32_t rc = __occlum_fcntl(fd, LINUX_F_GETFD, 0, &(int32_t){0});
        return rc != 0 ? __occlum_result(rc) : newfd;
    }
    return dup3(fd, newfd, 0);
}

/* --- directories and creation mask --- */

/* Changes the kernel's cwd, then puts wasi-libc's in step with it (see
 * chdir.c); if wasi-libc cannot follow, the kernel goes back. */
int fchdir(int fd) {
    char *old = getcwd(NULL, 0);
    if (old == NULL)
        return -1;
    int ret = -1;
    int32_t rc = __occlum_fchdir(fd);
    if (rc != 0) {
        errno = rc;
        goto out;
    }
    char *cwd = __occlum_kernel_getcwd();
    if (cwd == NULL || chdir(cwd) != 0) {
        int saved = errno;
        (void)__occlum_chdir(old, strlen(old));
        errno = saved;
    } else {
        ret = 0;
    }
    free(cwd);
out:
    free(old);
    return ret;
}

mode_t umask(mode_t mask) {
    uint32_t old = 0;
    (void)__occlum_umask(mask & 0777, &old); /* cannot fail */
    return (mode_t)old;
}
