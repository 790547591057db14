/*
 * sys/statfs.h: Linux's statfs() and fstatfs() (wasi-libc has neither),
 * implemented by libocclum over the kernel's statfs call (src/files.c).
 * The layout is musl's for 32-bit targets; f_type is the file system's
 * magic number (docs/abi.md lists PyOcclum's), f_flags Linux's ST_* plus
 * ST_VALID.
 */
#pragma GCC system_header

#ifndef _PYOCCLUM_SYS_STATFS_H
#define _PYOCCLUM_SYS_STATFS_H

#include <sys/statvfs.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef __DEFINED_fsid_t
#define __DEFINED_fsid_t
typedef struct __fsid_t {
    int __val[2];
} fsid_t;
#endif

struct statfs {
    unsigned long f_type, f_bsize;
    fsblkcnt_t f_blocks, f_bfree, f_bavail;
    fsfilcnt_t f_files, f_ffree;
    fsid_t f_fsid;
    unsigned long f_namelen, f_frsize, f_flags, f_spare[4];
};

#ifndef ST_VALID
#define ST_VALID 0x0020
#endif

int statfs(const char *, struct statfs *);
int fstatfs(int, struct statfs *);

#if defined(_LARGEFILE64_SOURCE) || defined(_GNU_SOURCE)
#define statfs64 statfs
#define fstatfs64 fstatfs
#define fsblkcnt64_t fsblkcnt_t
#define fsfilcnt64_t fsfilcnt_t
#endif

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_SYS_STATFS_H */
