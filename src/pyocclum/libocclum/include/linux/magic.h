/*
 * linux/magic.h: the f_type values statfs() reports under PyOcclum (Linux's
 * where the file system has a Linux counterpart; docs/abi.md).
 */
#pragma GCC system_header

#ifndef _PYOCCLUM_LINUX_MAGIC_H
#define _PYOCCLUM_LINUX_MAGIC_H

#define TMPFS_MAGIC 0x01021994
#define RAMFS_MAGIC 0x858458f6
#define PROC_SUPER_MAGIC 0x9fa0
#define OVERLAYFS_SUPER_MAGIC 0x794c7630
#define FUSE_SUPER_MAGIC 0x65735546
#define PIPEFS_MAGIC 0x50495045
#define EXT4_SUPER_MAGIC 0xEF53
/* PyOcclum's own. */
#define OCCLUM_SEFS_MAGIC 0x53454653
#define OCCLUM_INTEGRITY_MAGIC 0x53454649

#endif /* _PYOCCLUM_LINUX_MAGIC_H */
