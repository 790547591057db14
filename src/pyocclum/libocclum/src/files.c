/*
 * Files (ABI version 3): statfs/fstatfs/statvfs/fstatvfs, fallocate and
 * posix_fallocate, O_TMPFILE, getdents64, sync/syncfs/sync_file_range.
 * Each is a thin layer over one kernel call, which takes Linux's values.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "internal.h"

#define LINUX_AT_FDCWD (-100)
#define LINUX_AT_EMPTY_PATH 0x1000
#define LINUX_O_TMPFILE_BIT 020000000u
#define LINUX_ST_VALID 0x20

_Static_assert(sizeof(struct occlum_statfs) == 88, "statfs record is 88 bytes");
_Static_assert(sizeof(struct occlum_flock) == 32, "flock record is 32 bytes");

static int kernel_dirfd(int fd) {
    return fd == AT_FDCWD ? LINUX_AT_FDCWD : fd;
}

/* --- statfs and statvfs --- */

static int kernel_statfs(int fd, const char *path, uint32_t flags, struct occlum_statfs *out) {
    if (path == NULL) {
        errno = EFAULT;
        return -1;
    }
    return __occlum_result(__occlum_statfs(fd, path, strlen(path), flags, out));
}

static void to_statfs(const struct occlum_statfs *k, struct statfs *buf) {
    memset(buf, 0, sizeof *buf);
    buf->f_type = (unsigned long)k->type;
    buf->f_bsize = (unsigned long)k->bsize;
    buf->f_blocks = k->blocks;
    buf->f_bfree = k->bfree;
    buf->f_bavail = k->bavail;
    buf->f_files = k->files;
    buf->f_ffree = k->ffree;
    buf->f_fsid.__val[0] = (int)(k->fsid & 0xffffffffu);
    buf->f_fsid.__val[1] = (int)(k->fsid >> 32);
    buf->f_namelen = (unsigned long)k->namelen;
    buf->f_frsize = (unsigned long)k->frsize;
    buf->f_flags = (unsigned long)k->flags;
}

/* As glibc: statvfs's f_flag is statfs's f_flags without ST_VALID. */
static void to_statvfs(const struct occlum_statfs *k, struct statvfs *buf) {
    memset(buf, 0, sizeof *buf);
    buf->f_bsize = (unsigned long)k->bsize;
    buf->f_frsize = (unsigned long)k->frsize;
    buf->f_blocks = k->blocks;
    buf->f_bfree = k->bfree;
    buf->f_bavail = k->bavail;
    buf->f_files = k->files;
    buf->f_ffree = k->ffree;
    buf->f_favail = k->ffree;
    buf->f_fsid = (unsigned long)k->fsid;
    buf->f_flag = (unsigned long)(k->flags & ~(uint64_t)LINUX_ST_VALID);
    buf->f_namemax = (unsigned long)k->namelen;
    buf->f_type = (unsigned)k->type;
}

int statfs(const char *path, struct statfs *buf) {
    struct occlum_statfs k;
    if (kernel_statfs(LINUX_AT_FDCWD, path, 0, &k) != 0)
        return -1;
    to_statfs(&k, buf);
    return 0;
}

int fstatfs(int fd, struct statfs *buf) {
    struct occlum_statfs k;
    if (kernel_statfs(fd, "", LINUX_AT_EMPTY_PATH, &k) != 0)
        return -1;
    to_statfs(&k, buf);
    return 0;
}

int __occlum_wrap_statvfs(const char *restrict path, struct statvfs *restrict buf) {
    struct occlum_statfs k;
    if (kernel_statfs(LINUX_AT_FDCWD, path, 0, &k) != 0)
        return -1;
    to_statvfs(&k, buf);
    return 0;
}

int __occlum_wrap_fstatvfs(int fd, struct statvfs *buf) {
    struct occlum_statfs k;
    if (kernel_statfs(fd, "", LINUX_AT_EMPTY_PATH, &k) != 0)
        return -1;
    to_statvfs(&k, buf);
    return 0;
}

/* --- fallocate --- */

int fallocate(int fd, int mode, off_t offset, off_t len) {
    return __occlum_result(__occlum_fallocate(fd, (uint32_t)mode, offset, len));
}

/* glibc's: EINVAL for a negative offset or length, else fallocate's errno
 * (returned, not set). */
int __occlum_wrap_posix_fallocate(int fd, long long offset, long long len) {
    if (offset < 0 || len < 0)
        return EINVAL;
    return __occlum_fallocate(fd, 0, offset, len);
}

/* --- O_TMPFILE (fd.c's open and openat come here) --- */

int __occlum_openat_tmpfile(int dirfd, const char *path, int flags, mode_t mode) {
    uint32_t lflags = __occlum_linux_oflags(flags & ~__O_TMPFILE) | LINUX_O_TMPFILE_BIT;
    int32_t fd = -1;
    int32_t rc = __occlum_open_tmpfile(kernel_dirfd(dirfd), path, strlen(path), lflags,
                                       (uint32_t)mode, &fd);
    if (rc != 0)
        return __occlum_result(rc);
    return fd;
}

/* --- truncate and ftruncate (include/unistd.h routes them here) --- */

/* Linux checks the length first, and an empty path is ENOENT (wasi-libc's
 * would truncate the directory it resolves to and say EISDIR). */
int __occlum_wrap_truncate(const char *path, long long length) {
    if (length < 0) {
        errno = EINVAL;
        return -1;
    }
    if (path != NULL && *path == '\0') {
        errno = ENOENT;
        return -1;
    }
    return truncate(path, length);
}

/* Only a regular file open for writing can be truncated: EINVAL for the rest
 * (WASI says EISDIR for a directory). */
int __occlum_wrap_ftruncate(int fd, long long length) {
    if (length < 0) {
        errno = EINVAL;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    if (S_ISDIR(st.st_mode)) {
        errno = EINVAL;
        return -1;
    }
    return ftruncate(fd, length);
}

/* --- directories and syncing --- */

/* Linux: EINVAL for what cannot be synced (pipes, sockets, devices), after
 * wasi-libc's sync has flushed whatever the stream holds. */

static int sync_checked(int fd, int (*sync)(int)) {
    if (sync(fd) != 0)
        return -1;
    struct stat st;
    if (__occlum_wrap_fstat(fd, &st) != 0)
        return -1;
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode)) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int __occlum_wrap_fsync(int fd) {
    return sync_checked(fd, fsync);
}

int __occlum_wrap_fdatasync(int fd) {
    return sync_checked(fd, fdatasync);
}

ssize_t __occlum_getdents64(int fd, void *buf, size_t n) {
    size_t len = 0;
    int32_t rc = __occlum_sys_getdents64(fd, buf, n, &len);
    if (rc != 0)
        return __occlum_result(rc);
    return (ssize_t)len;
}

void sync(void) {
    (void)__occlum_syncfs(-1);
}

int syncfs(int fd) {
    if (fd < 0) {
        errno = EBADF;
        return -1;
    }
    return __occlum_result(__occlum_syncfs(fd));
}

/* Linux's checks, then the data is made durable (as fdatasync): every file
 * system here writes through or syncs as a whole. */
int sync_file_range(int fd, off_t offset, off_t nbytes, unsigned flags) {
    if (flags & ~(unsigned)(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
                            SYNC_FILE_RANGE_WAIT_AFTER)) {
        errno = EINVAL;
        return -1;
    }
    if (offset < 0 || nbytes < 0 || offset + nbytes < offset) {
        errno = EINVAL;
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode) &&
        !S_ISBLK(st.st_mode)) {
        errno = ESPIPE;
        return -1;
    }
    if (flags == 0)
        return 0;
    return fdatasync(fd);
}
