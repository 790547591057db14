/*
 * statx (wasi-libc has none) over the kernel's fstatat: the basic fields
 * (STATX_BASIC_STATS; no birth time, no mount id), with Linux's flag checks.
 * Flags are wasi-libc's AT_SYMLINK_NOFOLLOW and libocclum's AT_EMPTY_PATH,
 * plus AT_NO_AUTOMOUNT and AT_STATX_* (accepted: every file system here is
 * local and coherent).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "internal.h"

#define LINUX_AT_FDCWD (-100)
#define LINUX_AT_SYMLINK_NOFOLLOW 0x100
#define LINUX_AT_EMPTY_PATH 0x1000

static void timestamp(struct statx_timestamp *t, int64_t ns) {
    int64_t sec = ns / 1000000000, rem = ns % 1000000000;
    if (rem < 0) {
        sec -= 1;
        rem += 1000000000;
    }
    t->tv_sec = sec;
    t->tv_nsec = (uint32_t)rem;
}

int statx(int dirfd, const char *restrict path, int flags, unsigned int mask,
          struct statx *restrict buf) {
    (void)mask; /* what is asked for: the basic fields come whatever it says */
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE) ||
        (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (mask & STATX__RESERVED)) {
        errno = EINVAL;
        return -1;
    }
    if (path == NULL || buf == NULL) {
        errno = EFAULT;
        return -1;
    }
    if (*path == '\0' && !(flags & AT_EMPTY_PATH)) {
        errno = ENOENT;
        return -1;
    }
    uint32_t kflags = 0;
    if (flags & AT_SYMLINK_NOFOLLOW)
        kflags |= LINUX_AT_SYMLINK_NOFOLLOW;
    if (flags & AT_EMPTY_PATH)
        kflags |= LINUX_AT_EMPTY_PATH;
    struct occlum_stat2 st2;
    int32_t rc = __occlum_fstatat2(dirfd == AT_FDCWD ? LINUX_AT_FDCWD : dirfd, path,
                                   strlen(path), kflags, &st2);
    if (rc != 0)
        return __occlum_result(rc);
    const struct occlum_stat st = st2.st;
    memset(buf, 0, sizeof *buf);
    buf->stx_mask = STATX_BASIC_STATS;
    buf->stx_blksize = 4096;
    buf->stx_nlink = st.nlink;
    buf->stx_uid = st.uid;
    buf->stx_gid = st.gid;
    buf->stx_mode = (uint16_t)st.mode;
    buf->stx_ino = st.ino;
    buf->stx_size = st.size;
    /* As stat: whole 4 KiB blocks, in 512-byte units. */
    buf->stx_blocks = S_ISREG(st.mode) || S_ISDIR(st.mode) ? (st.size + 4095) / 4096 * 8 : 0;
    timestamp(&buf->stx_atime, st.atim);
    timestamp(&buf->stx_mtime, st.mtim);
    timestamp(&buf->stx_ctime, st.ctim);
    /* Linux's dev_t encoding, which <sys/sysmacros.h> decodes. */
    buf->stx_dev_major = major(st.dev);
    buf->stx_dev_minor = minor(st.dev);
    buf->stx_rdev_major = major(st2.rdev);
    buf->stx_rdev_minor = minor(st2.rdev);
    return 0;
}
