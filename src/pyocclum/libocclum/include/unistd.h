/*
 * unistd.h: wasi-libc's <unistd.h>, plus the process, pipe and descriptor
 * functions that WASI lacks and libocclum implements over the kernel
 * (declared as in musl), and chdir() routed through libocclum; the path
 * functions (access, unlink, rmdir, link, symlink, readlink and their *at
 * forms) go to src/paths.c by asm labels, and the chown family and
 * eaccess, which WASI lacks, are declared.
 *
 * zig's linker driver drops -Wl,--wrap for wasm, so the chdir wrap happens
 * here at compile time: an asm label makes every call to (and address of)
 * chdir in a program built by occlum-cc refer to __occlum_wrap_chdir, which
 * calls wasi-libc's chdir and tells the kernel (see libocclum/src/chdir.c).
 * libocclum's own sources define __OCCLUM_BUILDING_LIBOCCLUM to see the
 * original declaration.
 *
 * fork() and vfork() exist but always fail with ENOSYS: there is no fork
 * under PyOcclum (as in Occlum); use posix_spawn.
 *
 * sysconf() is routed to __occlum_wrap_sysconf (src/misc.c) for
 * _SC_NPROCESSORS_ONLN/CONF, the enclave's CPUs (wasi-libc answers 1).
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_UNISTD_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_UNISTD_LABELS
#ifdef __cplusplus
extern "C" {
#endif
int chdir(const char *) __asm__("__occlum_wrap_chdir");
/* truncate, ftruncate, fsync, fdatasync (src/files.c): Linux's errors. */
int truncate(const char *, long long) __asm__("__occlum_wrap_truncate");
int ftruncate(int, long long) __asm__("__occlum_wrap_ftruncate");
int fsync(int) __asm__("__occlum_wrap_fsync");
int fdatasync(int) __asm__("__occlum_wrap_fdatasync");
/* The path calls (src/paths.c): Linux's semantics over the kernel. */
#include <__typedef_ssize_t.h>
int access(const char *, int) __asm__("__occlum_wrap_access");
int faccessat(int, const char *, int, int) __asm__("__occlum_wrap_faccessat");
int unlink(const char *) __asm__("__occlum_wrap_unlink");
int unlinkat(int, const char *, int) __asm__("__occlum_wrap_unlinkat");
int rmdir(const char *) __asm__("__occlum_wrap_rmdir");
int link(const char *, const char *) __asm__("__occlum_wrap_link");
int linkat(int, const char *, int, const char *, int) __asm__("__occlum_wrap_linkat");
int symlink(const char *, const char *) __asm__("__occlum_wrap_symlink");
int symlinkat(const char *, int, const char *) __asm__("__occlum_wrap_symlinkat");
ssize_t readlink(const char *__restrict, char *__restrict, __SIZE_TYPE__)
    __asm__("__occlum_wrap_readlink");
ssize_t readlinkat(int, const char *__restrict, char *__restrict, __SIZE_TYPE__)
    __asm__("__occlum_wrap_readlinkat");
long sysconf(int) __asm__("__occlum_wrap_sysconf");
/* POSIX sweep (src/posix_conf.c, src/posix_getopt.c): glibc's answers. */
long pathconf(const char *, int) __asm__("__occlum_wrap_pathconf");
long fpathconf(int, int) __asm__("__occlum_wrap_fpathconf");
int gethostname(char *, __SIZE_TYPE__) __asm__("__occlum_wrap_gethostname");
int getopt(int, char *const [], const char *) __asm__("__occlum_wrap_getopt");
__attribute__((__noreturn__)) void _exit(int) __asm__("__occlum_wrap__exit");
#ifdef __cplusplus
}
#endif
#endif

#include_next <unistd.h>

#ifndef _PYOCCLUM_UNISTD_H
#define _PYOCCLUM_UNISTD_H

#ifdef __cplusplus
extern "C" {
#endif

int pipe(int [2]);
int pipe2(int [2], int);
int dup(int);
int dup2(int, int);
int dup3(int, int, int);
int fchdir(int);

unsigned alarm(unsigned);
int pause(void);

pid_t fork(void);
int execve(const char *, char *const [], char *const []);
int execv(const char *, char *const []);
int execle(const char *, const char *, ...);
int execl(const char *, const char *, ...);
int execvp(const char *, char *const []);
int execlp(const char *, const char *, ...);

pid_t getppid(void);
pid_t getpgrp(void);
pid_t getpgid(pid_t);
int setpgid(pid_t, pid_t);
pid_t setsid(void);
pid_t getsid(pid_t);

int chown(const char *, uid_t, gid_t);
int fchown(int, uid_t, gid_t);
int lchown(const char *, uid_t, gid_t);
int fchownat(int, const char *, uid_t, gid_t, int);

uid_t getuid(void);
uid_t geteuid(void);
gid_t getgid(void);
gid_t getegid(void);
int getgroups(int, gid_t []);

#if defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
pid_t setpgrp(void);
int lockf(int, int, off_t);
void sync(void);
#endif
#ifdef _GNU_SOURCE
int syncfs(int);
ssize_t copy_file_range(int, off_t *, int, off_t *, size_t, unsigned);
#endif

#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
pid_t vfork(void);
int eaccess(const char *, int);
int euidaccess(const char *, int);
int execvpe(const char *, char *const [], char *const []);
#endif

/* Events and the rest (src/misc.c, src/syscall.c). */
#if defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
int nice(int);
#endif
#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
long syscall(long, ...);
#endif

/* Threads (src/thread_id.c): the pid in the main thread. */
#ifdef _GNU_SOURCE
pid_t gettid(void);
#endif

/* POSIX sweep (src/posix_conf.c): ids (root only), names, terminals. */
int setuid(uid_t);
int setgid(gid_t);
int seteuid(uid_t);
int setegid(gid_t);
int setreuid(uid_t, uid_t);
int setregid(gid_t, gid_t);
char *ttyname(int);
int ttyname_r(int, char *, size_t);
pid_t tcgetpgrp(int); /* src/posix_termios.c */
int tcsetpgrp(int, pid_t);
#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
int daemon(int, int);
char *getpass(const char *);
int getdtablesize(void);
int getdomainname(char *, size_t);
int setdomainname(const char *, size_t);
int sethostname(const char *, size_t);
#endif
#ifdef _GNU_SOURCE
char *get_current_dir_name(void); /* src/posix_gnu.c */
int getresuid(uid_t *, uid_t *, uid_t *);
int getresgid(gid_t *, gid_t *, gid_t *);
int setresuid(uid_t, uid_t, uid_t);
int setresgid(gid_t, gid_t, gid_t);
#endif

#ifndef _POSIX_SPAWN
#define _POSIX_SPAWN _POSIX_VERSION
#endif
#ifndef _POSIX_JOB_CONTROL
#define _POSIX_JOB_CONTROL 1
#endif

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_UNISTD_H */
