/* Declarations shared between libocclum's sources; not installed for users. */
#ifndef _PYOCCLUM_INTERNAL_H
#define _PYOCCLUM_INTERNAL_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>

#include "occlum.h"

/* The records of occlum.h are part of the ABI: their sizes never change. */
_Static_assert(sizeof(struct occlum_file_action) == 32, "file action is 32 bytes");
_Static_assert(sizeof(struct occlum_spawn_attr) == 32, "spawn attribute is 32 bytes");
_Static_assert(sizeof(struct occlum_sigaction) == 16, "sigaction is 16 bytes");
_Static_assert(sizeof(struct occlum_sysinfo) == 32, "sysinfo is 32 bytes");
_Static_assert(sizeof(struct occlum_rusage) == 24, "rusage is 24 bytes");
_Static_assert(sizeof(sigset_t) == 8, "sigset_t is the kernel's u64 mask");

/* For the POSIX functions that return -1 and set errno: 0 if the kernel
 * call succeeded, else -1 with errno = its WASI errno (which is also
 * wasi-libc's errno numbering). */
static inline int __occlum_result(int32_t rc) {
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return 0;
}

/* Asks the kernel for the process's current directory. Returns a malloc'd,
 * NUL-terminated absolute path, or NULL with errno set (to the kernel's
 * errno, e.g. ENOSYS when a test harness does not implement the call). */
char *__occlum_kernel_getcwd(void);

/* wasi-libc's O_* flags (as a program passes them) to Linux's, which the
 * kernel takes; and Linux's back (for F_GETFL). fd.c. */
uint32_t __occlum_linux_oflags(int flags);
int __occlum_wasi_oflags(uint32_t linux_flags);

/* fstat over the kernel (stat.c): the mode, owner and device number that
 * wasi-libc's fstat lacks. */
struct stat;
int __occlum_wrap_fstat(int fd, struct stat *out);

/* A struct rusage from the kernel's figures (rusage.c; wait.c uses it too). */
struct rusage;
void __occlum_fill_rusage(const struct occlum_rusage *k, struct rusage *ru);

/* What init.c's fcntl() and signal() (which take over wasi-libc's) call. */
int __occlum_fcntl_impl(int fd, int cmd, int arg);
void (*__occlum_signal_impl(int sig, void (*handler)(int)))(int);

/* PATH search for posix_spawnp and execvp (spawn.c): calls run(path, ctx)
 * for file itself if it contains a '/', else for each PATH directory
 * (the process's PATH, or "/bin:/usr/bin"); run returns 0 or an errno.
 * Goes on after ENOENT, ENOTDIR and EACCES, stops at anything else.
 * Returns 0 or the error to report (EACCES if any candidate gave it). */
int __occlum_path_search(const char *file, int (*run)(const char *path, void *ctx),
                         void *ctx);

/* Files (ABI version 3). fd.c's fcntl sends the lock commands to
 * files_lock.c, and open/openat send O_TMPFILE to files.c; the open wrapper
 * is fopen's way to the kernel; __occlum_getdents64 is syscall()'s
 * SYS_getdents64 (Linux's struct linux_dirent64 records). */
struct flock;
int __occlum_fcntl_lock(int fd, int cmd, struct flock *fl);
int __occlum_openat_tmpfile(int dirfd, const char *path, int flags, unsigned mode);
int __occlum_wrap_open(const char *path, int flags, ...);
long __occlum_getdents64(int fd, void *buf, unsigned long n);

#endif
