/*
 * The POSIX path functions over the kernel's `occlum` *at calls (ABI
 * version 3, syscalls/paths.py), with Linux's semantics: absolute paths and
 * absolute symlink targets start at the process's root, `..` at `/` stays
 * at `/`, a relative path starts at the kernel's cwd (kept in step with
 * wasi-libc's, see chdir.c) or at the directory fd. wasi-libc's versions go
 * through WASI's path calls, which follow WASI instead (relative paths below
 * a preopen only), and lack modes, owners and access checks.
 *
 * Headers route the functions wasi-libc also defines here with asm labels
 * (__occlum_wrap_NAME): mkdir, mkdirat, utimensat, futimens (sys/stat.h),
 * access, faccessat, unlink, unlinkat, rmdir, link, linkat, symlink,
 * symlinkat, readlink, readlinkat (unistd.h), rename, renameat, remove
 * (stdio.h), realpath (stdlib.h), utimes, futimesat (sys/time.h), utime
 * (utime.h), creat (fcntl.h: wasi-libc's loses the mode). The ones wasi-libc lacks are defined under their own names:
 * chown, fchown, lchown, fchownat, eaccess, euidaccess, renameat2, futimes,
 * lutimes. Under a harness without the kernel's calls (ENOSYS) each falls
 * back to wasi-libc's function, or fails with ENOSYS if it has none.
 *
 * wasi-libc's AT_* and UTIME_* values differ from Linux's (AT_FDCWD is -2,
 * AT_SYMLINK_NOFOLLOW 1, AT_SYMLINK_FOLLOW 2, AT_REMOVEDIR 4, AT_EACCESS 0,
 * UTIME_NOW -1, UTIME_OMIT -2): translated here. AT_EACCESS being 0 changes
 * nothing: every process is root with equal real and effective ids.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#include "internal.h"
#include "occlum.h"

#define LINUX_AT_FDCWD (-100)
#define LINUX_AT_SYMLINK_NOFOLLOW 0x100
#define LINUX_AT_REMOVEDIR 0x200
#define LINUX_AT_SYMLINK_FOLLOW 0x400
#define LINUX_AT_EMPTY_PATH 0x1000
#define LINUX_UTIME_NOW 0x3fffffff
#define LINUX_UTIME_OMIT 0x3ffffffe
#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000 /* Linux's value, which libocclum's <fcntl.h> gives */
#endif

static int32_t kfd(int fd) { return fd == AT_FDCWD ? LINUX_AT_FDCWD : fd; }

/* Linux's *at flags for wasi-libc's `flags`, of which only `allowed` may be
 * set; -1 (EINVAL) for any other bit. */
static int64_t linux_at_flags(int flags, int allowed) {
    if (flags & ~allowed)
        return -1;
    int64_t out = 0;
    if (flags & AT_SYMLINK_NOFOLLOW)
        out |= LINUX_AT_SYMLINK_NOFOLLOW;
    if (flags & AT_SYMLINK_FOLLOW)
        out |= LINUX_AT_SYMLINK_FOLLOW;
    if (flags & AT_REMOVEDIR)
        out |= LINUX_AT_REMOVEDIR;
    if (flags & AT_EMPTY_PATH)
        out |= LINUX_AT_EMPTY_PATH;
    return out;
}

static int einval(void) {
    errno = EINVAL;
    return -1;
}

/* The kernel's answer: 0, -1 with errno, or 1 if the kernel lacks the call
 * (the caller falls back to wasi-libc). */
static int answer(int32_t rc) {
    if (rc == ENOSYS)
        return 1;
    return __occlum_result(rc);
}

static size_t len(const char *s) { return s ? strlen(s) : 0; }

/* == creating and removing names ========================================== */

int __occlum_wrap_open(const char *path, int flags, ...); /* fd.c */

/* creat(2): wasi-libc's calls its own open, which drops the mode. */
int __occlum_wrap_creat(const char *path, mode_t mode) {
    return __occlum_wrap_open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

int __occlum_wrap_mkdirat(int fd, const char *path, mode_t mode) {
    int r = answer(__occlum_mkdirat(kfd(fd), path, len(path), mode));
    return r == 1 ? mkdirat(fd, path, mode) : r;
}

int __occlum_wrap_mkdir(const char *path, mode_t mode) {
    int r = answer(__occlum_mkdirat(LINUX_AT_FDCWD, path, len(path), mode));
    return r == 1 ? mkdir(path, mode) : r;
}

int __occlum_wrap_unlinkat(int fd, const char *path, int flag) {
    int64_t flags = linux_at_flags(flag, AT_REMOVEDIR);
    if (flags < 0)
        return einval();
    int r = answer(__occlum_unlinkat(kfd(fd), path, len(path), (uint32_t)flags));
    return r == 1 ? unlinkat(fd, path, flag) : r;
}

int __occlum_wrap_unlink(const char *path) {
    int r = answer(__occlum_unlinkat(LINUX_AT_FDCWD, path, len(path), 0));
    return r == 1 ? unlink(path) : r;
}

int __occlum_wrap_rmdir(const char *path) {
    int r = answer(__occlum_unlinkat(LINUX_AT_FDCWD, path, len(path), LINUX_AT_REMOVEDIR));
    return r == 1 ? rmdir(path) : r;
}

/* remove(3): unlink, and rmdir where that says it is a directory (musl). */
int __occlum_wrap_remove(const char *path) {
    int r = answer(__occlum_unlinkat(LINUX_AT_FDCWD, path, len(path), 0));
    if (r == 1)
        return remove(path);
    if (r == 0 || errno != EISDIR)
        return r;
    return __occlum_result(__occlum_unlinkat(LINUX_AT_FDCWD, path, len(path), LINUX_AT_REMOVEDIR));
}

/* flags: Linux's RENAME_NOREPLACE (1), RENAME_EXCHANGE (2), RENAME_WHITEOUT
 * (4); the kernel has NOREPLACE alone (the others are EINVAL). */
int renameat2(int oldfd, const char *old, int newfd, const char *new, unsigned flags) {
    int32_t rc = __occlum_renameat2(kfd(oldfd), old, len(old), kfd(newfd), new, len(new), flags);
    if (rc == ENOSYS && flags == 0)
        return renameat(oldfd, old, newfd, new);
    return __occlum_result(rc);
}

int __occlum_wrap_renameat(int oldfd, const char *old, int newfd, const char *new) {
    return renameat2(oldfd, old, newfd, new, 0);
}

int __occlum_wrap_rename(const char *old, const char *new) {
    int r = answer(__occlum_renameat2(LINUX_AT_FDCWD, old, len(old), LINUX_AT_FDCWD, new,
                                      len(new), 0));
    return r == 1 ? rename(old, new) : r;
}

int __occlum_wrap_linkat(int oldfd, const char *old, int newfd, const char *new, int flag) {
    int64_t flags = linux_at_flags(flag, AT_SYMLINK_FOLLOW | AT_EMPTY_PATH);
    if (flags < 0)
        return einval();
    int r = answer(__occlum_linkat(kfd(oldfd), old, len(old), kfd(newfd), new, len(new),
                                   (uint32_t)flags));
    return r == 1 ? linkat(oldfd, old, newfd, new, flag) : r;
}

int __occlum_wrap_link(const char *old, const char *new) {
    int r = answer(__occlum_linkat(LINUX_AT_FDCWD, old, len(old), LINUX_AT_FDCWD, new, len(new),
                                   0));
    return r == 1 ? link(old, new) : r;
}

int __occlum_wrap_symlinkat(const char *target, int fd, const char *path) {
    int r = answer(__occlum_symlinkat(target, len(target), kfd(fd), path, len(path)));
    return r == 1 ? symlinkat(target, fd, path) : r;
}

int __occlum_wrap_symlink(const char *target, const char *path) {
    int r = answer(__occlum_symlinkat(target, len(target), LINUX_AT_FDCWD, path, len(path)));
    return r == 1 ? symlink(target, path) : r;
}

/* == reading names ========================================================= */

ssize_t __occlum_wrap_readlinkat(int fd, const char *__restrict path, char *__restrict buf,
                                 size_t size) {
    if (size > INT_MAX) /* Linux takes an int: a "negative" size */
        return einval();
    size_t n = 0;
    int32_t rc = __occlum_readlinkat(kfd(fd), path, len(path), buf, size, &n);
    if (rc == ENOSYS)
        return readlinkat(fd, path, buf, size);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return (ssize_t)n;
}

ssize_t __occlum_wrap_readlink(const char *__restrict path, char *__restrict buf, size_t size) {
    return __occlum_wrap_readlinkat(AT_FDCWD, path, buf, size);
}

/* realpath(3): the kernel resolves the whole path in one call. */
char *__occlum_wrap_realpath(const char *__restrict path, char *__restrict resolved) {
    if (!path) {
        errno = EINVAL;
        return NULL;
    }
    char out[PATH_MAX];
    size_t n = 0;
    int32_t rc = __occlum_realpath(path, strlen(path), out, sizeof out - 1, &n);
    if (rc == ENOSYS)
        return realpath(path, resolved);
    if (rc != 0) {
        errno = rc == ERANGE ? ENAMETOOLONG : rc;
        return NULL;
    }
    out[n] = '\0';
    if (!resolved)
        return strdup(out);
    memcpy(resolved, out, n + 1);
    return resolved;
}

/* == access ================================================================== */

int __occlum_wrap_faccessat(int fd, const char *path, int mode, int flag) {
    int64_t flags = linux_at_flags(flag, AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
    if (flags < 0)
        return einval();
    int r = answer(__occlum_faccessat(kfd(fd), path, len(path), (uint32_t)mode,
                                      (uint32_t)flags));
    return r == 1 ? faccessat(fd, path, mode, flag) : r;
}

int __occlum_wrap_access(const char *path, int mode) {
    return __occlum_wrap_faccessat(AT_FDCWD, path, mode, 0);
}

int eaccess(const char *path, int mode) { return __occlum_wrap_faccessat(AT_FDCWD, path, mode, 0); }

int euidaccess(const char *path, int mode) { return eaccess(path, mode); }

/* == owners ================================================================== */

int fchownat(int fd, const char *path, uid_t uid, gid_t gid, int flag) {
    int64_t flags = linux_at_flags(flag, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
    if (flags < 0)
        return einval();
    return __occlum_result(
        __occlum_fchownat(kfd(fd), path, len(path), uid, gid, (uint32_t)flags));
}

int chown(const char *path, uid_t uid, gid_t gid) { return fchownat(AT_FDCWD, path, uid, gid, 0); }

int lchown(const char *path, uid_t uid, gid_t gid) {
    return fchownat(AT_FDCWD, path, uid, gid, AT_SYMLINK_NOFOLLOW);
}

int fchown(int fd, uid_t uid, gid_t gid) {
    if (fd == AT_FDCWD) { /* the kernel would take it for the cwd */
        errno = EBADF;
        return -1;
    }
    return fchownat(fd, "", uid, gid, AT_EMPTY_PATH);
}

/* == times =================================================================== */

/* One time for the kernel: Linux's UTIME_NOW/UTIME_OMIT for wasi-libc's. */
static void kernel_time(const struct timespec *ts, int64_t out[2]) {
    out[0] = ts->tv_sec;
    out[1] = ts->tv_nsec == UTIME_NOW    ? LINUX_UTIME_NOW
             : ts->tv_nsec == UTIME_OMIT ? LINUX_UTIME_OMIT
                                         : ts->tv_nsec;
}

int __occlum_wrap_utimensat(int fd, const char *path, const struct timespec times[2], int flag) {
    int64_t flags = linux_at_flags(flag, AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH);
    if (flags < 0)
        return einval();
    if (!path) { /* Linux: a NULL path names fd itself (musl's futimens does this) */
        if (fd == AT_FDCWD) {
            errno = EFAULT;
            return -1;
        }
        path = "";
        flags |= LINUX_AT_EMPTY_PATH;
    }
    int64_t k[4];
    if (times) {
        kernel_time(&times[0], &k[0]);
        kernel_time(&times[1], &k[2]);
    }
    int r = answer(__occlum_utimensat(kfd(fd), path, strlen(path), times ? k : NULL,
                                      (uint32_t)flags));
    if (r != 1)
        return r;
    if (!*path && flags & LINUX_AT_EMPTY_PATH) /* wasi-libc has no AT_EMPTY_PATH */
        return futimens(fd, times);
    return utimensat(fd, path, times, flag);
}

int __occlum_wrap_futimens(int fd, const struct timespec times[2]) {
    if (fd == AT_FDCWD) {
        errno = EBADF;
        return -1;
    }
    return __occlum_wrap_utimensat(fd, "", times, AT_EMPTY_PATH);
}

/* utimes(2) and friends take microseconds: EINVAL outside [0, 1e6), as Linux. */
static int from_timevals(const struct timeval tv[2], struct timespec ts[2]) {
    for (int i = 0; i < 2; i++) {
        if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
            return -1;
        ts[i].tv_sec = tv[i].tv_sec;
        ts[i].tv_nsec = tv[i].tv_usec * 1000;
    }
    return 0;
}

static int utimes_at(int fd, const char *path, const struct timeval tv[2], int flag) {
    struct timespec ts[2];
    if (tv && from_timevals(tv, ts) != 0)
        return einval();
    return __occlum_wrap_utimensat(fd, path, tv ? ts : NULL, flag);
}

int __occlum_wrap_futimesat(int fd, const char *path, const struct timeval tv[2]) {
    return utimes_at(fd, path, tv, 0);
}

int __occlum_wrap_utimes(const char *path, const struct timeval tv[2]) {
    return utimes_at(AT_FDCWD, path, tv, 0);
}

int lutimes(const char *path, const struct timeval tv[2]) {
    return utimes_at(AT_FDCWD, path, tv, AT_SYMLINK_NOFOLLOW);
}

int futimes(int fd, const struct timeval tv[2]) {
    if (fd == AT_FDCWD) {
        errno = EBADF;
        return -1;
    }
    return utimes_at(fd, "", tv, AT_EMPTY_PATH);
}

int __occlum_wrap_utime(const char *path, const struct utimbuf *times) {
    struct timespec ts[2];
    if (times) {
        ts[0] = (struct timespec){.tv_sec = times->actime, .tv_nsec = 0};
        ts[1] = (struct timespec){.tv_sec = times->modtime, .tv_nsec = 0};
    }
    return __occlum_wrap_utimensat(AT_FDCWD, path, times ? ts : NULL, 0);
}
