/*
 * stat and chmod over the kernel: the permission bits and the owner that
 * WASI's filestat lacks (wasi-libc's stat() reports the file type alone,
 * and its chmod family always fails with ENOSYS).
 *
 * include/sys/stat.h routes stat, lstat, fstat, fstatat, chmod, fchmod and
 * fchmodat here with asm labels (__occlum_wrap_NAME). Paths go to the
 * kernel as the program gave
 * them: the kernel resolves a relative one against its own cwd, which
 * libocclum keeps in step with wasi-libc's (see chdir.c), or against the
 * directory fd. If the kernel lacks the call (ENOSYS: a test harness that
 * runs programs under plain WASI), stat falls back to wasi-libc's.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "internal.h"
#include "occlum.h"

#define LINUX_AT_FDCWD (-100)
#define LINUX_AT_SYMLINK_NOFOLLOW 0x100
#define LINUX_AT_EMPTY_PATH 0x1000

_Static_assert(sizeof(struct occlum_stat) == 64, "stat record is 64 bytes");
_Static_assert(sizeof(struct occlum_stat2) == 72, "stat2 record is 72 bytes");

static int32_t linux_dirfd(int fd) { return fd == AT_FDCWD ? LINUX_AT_FDCWD : fd; }

static struct timespec to_timespec(int64_t ns) {
    struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};
    if (ts.tv_nsec < 0) {
        ts.tv_sec -= 1;
        ts.tv_nsec += 1000000000;
    }
    return ts;
}

static void to_stat(const struct occlum_stat2 *in2, struct stat *out) {
    const struct occlum_stat *in = &in2->st;
    memset(out, 0, sizeof *out);
    out->st_rdev = (dev_t)in2->rdev;
    out->st_dev = in->dev;
    out->st_ino = in->ino;
    out->st_mode = in->mode;
    out->st_nlink = in->nlink;
    out->st_uid = in->uid;
    out->st_gid = in->gid;
    out->st_size = (off_t)in->size;
    out->st_blksize = 4096;
    /* The kernel does not count blocks: estimate whole 4 KiB blocks, as a
     * non-sparse file takes on a 4 KiB-block file system (a symlink short
     * enough to live in its inode takes none, as on ext4). */
    if (!S_ISLNK(in->mode) || in->size > 59)
        out->st_blocks = (blkcnt_t)((in->size + 4095) / 4096 * 8);
    out->st_atim = to_timespec(in->atim);
    out->st_mtim = to_timespec(in->mtim);
    out->st_ctim = to_timespec(in->ctim);
}

/* 0 and *out filled, -1 with errno set; ENOSYS only if the kernel lacks the call. */
static int kernel_stat(int32_t dirfd, const char *path, uint32_t flags, struct stat *out) {
    struct occlum_stat2 st;
    int32_t rc = __occlum_fstatat2(dirfd, path, strlen(path), flags, &st);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    to_stat(&st, out);
    return 0;
}

int __occlum_wrap_fstatat(int fd, const char *__restrict path, struct stat *__restrict out,
                     int flag) {
    if (flag & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) {
        errno = EINVAL;
        return -1;
    }
    if (!*path && !(flag & AT_EMPTY_PATH)) { /* before the fd, as Linux */
        errno = ENOENT;
        return -1;
    }
    uint32_t flags = (flag & AT_SYMLINK_NOFOLLOW) ? LINUX_AT_SYMLINK_NOFOLLOW : 0;
    if (flag & AT_EMPTY_PATH) /* an empty path names fd itself */
        flags |= LINUX_AT_EMPTY_PATH;
    int saved = errno;
    if (kernel_stat(linux_dirfd(fd), path, flags, out) == 0)
        return 0;
    if (errno != ENOSYS)
        return -1;
    errno = saved; /* a successful stat leaves errno alone (readdir loops test it) */
    return fstatat(fd, path, out, flag);
}

int __occlum_wrap_stat(const char *__restrict path, struct stat *__restrict out) {
    return __occlum_wrap_fstatat(AT_FDCWD, path, out, 0);
}

int __occlum_wrap_lstat(const char *__restrict path, struct stat *__restrict out) {
    return __occlum_wrap_fstatat(AT_FDCWD, path, out, AT_SYMLINK_NOFOLLOW);
}

int __occlum_wrap_fstat(int fd, struct stat *out) {
    if (fd == AT_FDCWD) { /* the kernel would take it for its own AT_FDCWD */
        errno = EBADF;
        return -1;
    }
    int saved = errno;
    if (kernel_stat(fd, "", LINUX_AT_EMPTY_PATH, out) == 0)
        return 0;
    if (errno != ENOSYS)
        return -1;
    errno = saved;
    return fstat(fd, out);
}

int __occlum_wrap_fchmodat(int fd, const char *path, mode_t mode, int flag) {
    if (flag & ~AT_SYMLINK_NOFOLLOW) {
        errno = EINVAL;
        return -1;
    }
    uint32_t flags = (flag & AT_SYMLINK_NOFOLLOW) ? LINUX_AT_SYMLINK_NOFOLLOW : 0;
    return __occlum_result(
        __occlum_fchmodat(linux_dirfd(fd), path, strlen(path), mode & 07777, flags));
}

int __occlum_wrap_chmod(const char *path, mode_t mode) {
    return __occlum_wrap_fchmodat(AT_FDCWD, path, mode, 0);
}

int __occlum_wrap_fchmod(int fd, mode_t mode) {
    if (fd == AT_FDCWD) {
        errno = EBADF;
        return -1;
    }
    return __occlum_result(__occlum_fchmodat(fd, "", 0, mode & 07777, LINUX_AT_EMPTY_PATH));
}
