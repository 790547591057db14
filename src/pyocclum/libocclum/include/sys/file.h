/*
 * sys/file.h: BSD flock() (wasi-libc has none), implemented by libocclum
 * over the kernel's lock table (src/files_lock.c): a lock belongs to the
 * open file description, so dup'ed and inherited descriptors share it.
 */
#pragma GCC system_header

#ifndef _PYOCCLUM_SYS_FILE_H
#define _PYOCCLUM_SYS_FILE_H

#include <fcntl.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LOCK_SH 1
#define LOCK_EX 2
#define LOCK_NB 4
#define LOCK_UN 8

#define L_SET 0
#define L_INCR 1
#define L_XTND 2

int flock(int, int);

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_SYS_FILE_H */
