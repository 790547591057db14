/*
 * occlum.h: the PyOcclum extension ABI, i.e. the functions a process imports
 * from the wasm import module "occlum" (ABI version 4; docs/abi.md is the
 * contract).
 *
 * Contract shared with the Python kernel:
 *   - every function but abi_version, getpid and getppid returns a WASI errno
 *     (0 = success) as an int32_t;
 *   - pointers are 32-bit guest addresses, sizes are 32-bit (size_t on wasm32);
 *   - strings are passed as (pointer, length) without a terminating NUL,
 *     except argv/envp: arrays of pointers to NUL-terminated strings;
 *   - out-parameters are written only on success;
 *   - flags and constants are Linux's (x86-64), not wasi-libc's.
 *
 * These are raw system calls: they do not set errno. Programs normally use
 * the POSIX functions (posix_spawn, waitpid, sigaction, ...) that libocclum
 * builds on them.
 */
#ifndef _PYOCCLUM_OCCLUM_H
#define _PYOCCLUM_OCCLUM_H

#pragma GCC system_header

#include <stddef.h>
#include <stdint.h>

#define OCCLUM_ABI_VERSION 4

#define __OCCLUM_IMPORT(name) \
    __attribute__((__import_module__("occlum"), __import_name__(#name)))

#ifdef __cplusplus
extern "C" {
#endif

/* --- records passed by pointer (little-endian, fixed layout) --- */

/* A posix_spawn file action (32 bytes). */
#define OCCLUM_FA_OPEN 1
#define OCCLUM_FA_DUP2 2
#define OCCLUM_FA_CLOSE 3
#define OCCLUM_FA_CHDIR 4
#define OCCLUM_FA_FCHDIR 5
struct occlum_file_action {
    uint32_t kind;     /* OCCLUM_FA_* */
    int32_t fd;
    int32_t newfd;     /* DUP2 target */
    uint32_t oflags;   /* Linux O_* (OPEN) */
    uint32_t mode;     /* OPEN */
    uint32_t path;     /* guest pointer (OPEN, CHDIR) */
    uint32_t path_len;
    uint32_t reserved;
};

/* A posix_spawn attribute (32 bytes); flags are Linux's POSIX_SPAWN_*. */
struct occlum_spawn_attr {
    uint32_t flags;
    int32_t pgroup;
    uint64_t sigdefault;
    uint64_t sigmask;
    uint64_t reserved;
};

/* A sigaction (16 bytes): handler 0 SIG_DFL, 1 SIG_IGN, else a function
 * table index; flags are Linux's SA_*; bit n-1 of a mask is signal n. */
struct occlum_sigaction {
    uint32_t handler;
    uint32_t flags;
    uint64_t mask;
};

/* What the fstatat call writes (64 bytes): mode holds Linux's S_IF* type
 * bits and the permission bits; times are nanoseconds since the epoch. */
struct occlum_stat {
    uint64_t dev;
    uint64_t ino;
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid;
    uint32_t gid;
    uint64_t size;
    int64_t atim;
    int64_t mtim;
    int64_t ctim;
};

/* What fstatat2 writes (72 bytes): the stat record and a device file's number
 * (Linux's dev_t encoding; 0 for other files). */
struct occlum_stat2 {
    struct occlum_stat st;
    uint64_t rdev;
};

/* What the sysinfo call writes (32 bytes). */
struct occlum_sysinfo {
    uint64_t uptime;
    uint64_t totalram;
    uint64_t freeram;
    uint32_t procs;
    uint32_t mem_unit;
};

/* --- version 1 --- */

/* Returns the ABI version the kernel implements; not an errno. */
int32_t __occlum_abi_version(void) __OCCLUM_IMPORT(abi_version);

/* Resolves path[0..path_len) against the process's kernel-side current
 * directory, checks that it is a directory, and makes it the process's
 * current directory. */
int32_t __occlum_chdir(const char *path, size_t path_len) __OCCLUM_IMPORT(chdir);

/* Writes the kernel's current directory of the process (absolute, no NUL)
 * into buf and its length into *out_len; ERANGE if buf_len is too small. */
int32_t __occlum_getcwd(char *buf, size_t buf_len, size_t *out_len) __OCCLUM_IMPORT(getcwd);

/* --- version 2: processes --- */

int32_t __occlum_spawn(const char *path, size_t path_len,
                       char *const *argv, size_t argc, char *const *envp, size_t envc,
                       const struct occlum_file_action *actions, size_t nactions,
                       const struct occlum_spawn_attr *attr, int32_t *out_pid)
    __OCCLUM_IMPORT(spawn);
int32_t __occlum_execve(const char *path, size_t path_len,
                        char *const *argv, size_t argc, char *const *envp, size_t envc)
    __OCCLUM_IMPORT(execve);
int32_t __occlum_wait4(int32_t pid, uint32_t options, int32_t *out_status, int32_t *out_pid)
    __OCCLUM_IMPORT(wait4);
int32_t __occlum_getpid(void) __OCCLUM_IMPORT(getpid);   /* the pid, not an errno */
int32_t __occlum_getppid(void) __OCCLUM_IMPORT(getppid); /* the pid, not an errno */
int32_t __occlum_getpgid(int32_t pid, int32_t *out_pgid) __OCCLUM_IMPORT(getpgid);
int32_t __occlum_setpgid(int32_t pid, int32_t pgid) __OCCLUM_IMPORT(setpgid);
int32_t __occlum_getsid(int32_t pid, int32_t *out_sid) __OCCLUM_IMPORT(getsid);
int32_t __occlum_setsid(int32_t *out_sid) __OCCLUM_IMPORT(setsid);
int32_t __occlum_kill(int32_t pid, int32_t sig) __OCCLUM_IMPORT(kill);

/* --- version 2: signals --- */

int32_t __occlum_sigaction(int32_t sig, const struct occlum_sigaction *act,
                           struct occlum_sigaction *oldact) __OCCLUM_IMPORT(sigaction);
int32_t __occlum_sigprocmask(int32_t how, const uint64_t *set, uint64_t *oldset)
    __OCCLUM_IMPORT(sigprocmask);
int32_t __occlum_sigpending(uint64_t *out_set) __OCCLUM_IMPORT(sigpending);
int32_t __occlum_sigsuspend(uint64_t mask) __OCCLUM_IMPORT(sigsuspend);
int32_t __occlum_alarm(uint32_t seconds, uint32_t *out_remaining) __OCCLUM_IMPORT(alarm);

/* --- version 2: files and descriptors --- */

int32_t __occlum_pipe2(uint32_t flags, int32_t out_fds[2]) __OCCLUM_IMPORT(pipe2);
int32_t __occlum_dup(int32_t fd, int32_t *out_fd) __OCCLUM_IMPORT(dup);
int32_t __occlum_dup3(int32_t fd, int32_t newfd, uint32_t flags) __OCCLUM_IMPORT(dup3);
int32_t __occlum_fcntl(int32_t fd, int32_t cmd, int32_t arg, int32_t *out)
    __OCCLUM_IMPORT(fcntl);
int32_t __occlum_fchdir(int32_t fd) __OCCLUM_IMPORT(fchdir);
int32_t __occlum_umask(uint32_t mask, uint32_t *out_old) __OCCLUM_IMPORT(umask);
/* Linux openat: dirfd a directory or -100 (AT_FDCWD), Linux O_* flags; a
 * created file gets mode & ~umask (WASI's path_open has no mode). */
int32_t __occlum_openat(int32_t dirfd, const char *path, size_t path_len, uint32_t flags,
                        uint32_t mode, int32_t *out_fd) __OCCLUM_IMPORT(openat);
/* fd: a directory, or -100 (AT_FDCWD); flags: Linux's AT_SYMLINK_NOFOLLOW
 * (0x100), AT_EMPTY_PATH (0x1000: an empty path names fd itself). */
int32_t __occlum_fstatat(int32_t fd, const char *path, size_t path_len, uint32_t flags,
                         struct occlum_stat *out) __OCCLUM_IMPORT(fstatat);
/* fstatat with the device number; what libocclum's stat family uses. */
int32_t __occlum_fstatat2(int32_t fd, const char *path, size_t path_len, uint32_t flags,
                          struct occlum_stat2 *out) __OCCLUM_IMPORT(fstatat2);
int32_t __occlum_fchmodat(int32_t fd, const char *path, size_t path_len, uint32_t mode,
                          uint32_t flags) __OCCLUM_IMPORT(fchmodat);

/* --- version 2: system --- */

int32_t __occlum_getrlimit(int32_t resource, uint64_t out[2]) __OCCLUM_IMPORT(getrlimit);
int32_t __occlum_setrlimit(int32_t resource, const uint64_t limit[2])
    __OCCLUM_IMPORT(setrlimit);
int32_t __occlum_uname(char out[5 * 65]) __OCCLUM_IMPORT(uname);
int32_t __occlum_sysinfo(struct occlum_sysinfo *out) __OCCLUM_IMPORT(sysinfo);

/* --- version 3: synchronization (futexes) --- */

/* Run pending signal handlers (EINTR if any ran) or let a kill end the
 * caller, then wait up to timeout_ns (0..1e9; 0: not at all) for a signal.
 * libocclum's futex waits call it between their bounded slices. */
int32_t __occlum_sched_check(int64_t timeout_ns) __OCCLUM_IMPORT(sched_check);

/* --- version 3: signals (siginfo, real-time signals, sigwait) --- */

/* A siginfo record (32 bytes): what sigtimedwait writes; the trampoline
 * receives the same fields as arguments. si_code, pid, uid and value as in
 * Linux's siginfo_t; status is a SIGCHLD child's exit code or signal. */
struct occlum_siginfo {
    int32_t signo;
    int32_t code;
    int32_t pid;
    uint32_t uid;
    int32_t value;
    int32_t status;
    int32_t errno_;
    int32_t reserved;
};

/* rt_sigqueueinfo: send sig with si_code `code` (SI_QUEUE -1 to anyone;
 * SI_TKILL -6 or >= 0 only to oneself) and si_value `value`. */
int32_t __occlum_sigqueueinfo(int32_t pid, int32_t sig, int32_t code, int32_t value)
    __OCCLUM_IMPORT(sigqueueinfo);
/* rt_sigtimedwait: take the lowest pending signal of mask; timeout_ns < 0
 * waits for ever. EAGAIN on timeout, EINTR if a handler ran. */
int32_t __occlum_sigtimedwait(uint64_t mask, int64_t timeout_ns, struct occlum_siginfo *out)
    __OCCLUM_IMPORT(sigtimedwait);
/* setitimer/getitimer (new NULL): {value, interval} in ns; old (if not NULL)
 * receives the previous timer. ITIMER_REAL 0, ITIMER_VIRTUAL 1, ITIMER_PROF 2. */
int32_t __occlum_setitimer(uint32_t which, const int64_t new_value[2], int64_t old_value[2])
    __OCCLUM_IMPORT(setitimer);

/* --- version 3: files (statfs, fallocate, O_TMPFILE, locks) --- */

/* What the statfs call writes (88 bytes): Linux's struct statfs, every
 * field a u64; flags are Linux's ST_* with ST_VALID (0x20). */
struct occlum_statfs {
    uint64_t type;
    uint64_t bsize;
    uint64_t blocks;
    uint64_t bfree;
    uint64_t bavail;
    uint64_t files;
    uint64_t ffree;
    uint64_t fsid;
    uint64_t namelen;
    uint64_t frsize;
    uint64_t flags;
};

/* Linux's struct flock (32 bytes): type F_RDLCK 0 / F_WRLCK 1 / F_UNLCK 2,
 * whence SEEK_SET/CUR/END, len 0 = to end of file. */
struct occlum_flock {
    int16_t type;
    int16_t whence;
    uint32_t reserved;
    int64_t start;
    int64_t len;
    int32_t pid;
    uint32_t reserved2;
};

/* statfs of path from fd (-100 AT_FDCWD); flags AT_EMPTY_PATH (0x1000)
 * with an empty path: the file open as fd (fstatfs). */
int32_t __occlum_statfs(int32_t fd, const char *path, size_t path_len, uint32_t flags,
                        struct occlum_statfs *out) __OCCLUM_IMPORT(statfs);
/* Linux fallocate: mode FALLOC_FL_* (Linux's values). */
int32_t __occlum_fallocate(int32_t fd, uint32_t mode, int64_t offset, int64_t len)
    __OCCLUM_IMPORT(fallocate);
/* openat with Linux's O_TMPFILE (flags hold __O_TMPFILE 020000000 and
 * O_DIRECTORY): an unnamed regular file in the directory path. */
int32_t __occlum_open_tmpfile(int32_t dirfd, const char *path, size_t path_len, uint32_t flags,
                              uint32_t mode, int32_t *out_fd) __OCCLUM_IMPORT(open_tmpfile);
/* fcntl's lock commands (F_GETLK 5, F_SETLK 6, F_SETLKW 7, F_OFD_* 36..38);
 * F_GETLK writes its answer to out (may be NULL for the others). */
int32_t __occlum_lock(int32_t fd, uint32_t cmd, const struct occlum_flock *req,
                      struct occlum_flock *out) __OCCLUM_IMPORT(lock);
/* BSD flock: LOCK_SH 1, LOCK_EX 2, LOCK_NB 4, LOCK_UN 8. */
int32_t __occlum_flock(int32_t fd, uint32_t op) __OCCLUM_IMPORT(flock);
/* Linux getdents64: struct linux_dirent64 records from the directory's
 * offset; *out_len 0 at the end; EINVAL if one record does not fit. */
int32_t __occlum_sys_getdents64(int32_t fd, void *buf, size_t len, size_t *out_len)
    __OCCLUM_IMPORT(getdents64);
/* syncfs(fd); fd -1: every file system (sync). */
int32_t __occlum_syncfs(int32_t fd) __OCCLUM_IMPORT(syncfs);

/* --- version 3: events and the rest (epoll, poll, eventfd, timerfd, prctl) --- */

/* Linux's struct epoll_event as x86-64 has it (12 bytes, packed). */
struct occlum_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((__packed__));

/* Linux's struct itimerspec with 64-bit fields (32 bytes). */
struct occlum_itimerspec {
    int64_t interval_sec;
    int64_t interval_nsec;
    int64_t value_sec;
    int64_t value_nsec;
};

/* epoll_create1: flags EPOLL_CLOEXEC (Linux's O_CLOEXEC 0x80000) or 0. */
int32_t __occlum_epoll_create1(uint32_t flags, int32_t *out_fd) __OCCLUM_IMPORT(epoll_create1);
/* epoll_ctl: op EPOLL_CTL_ADD 1 / DEL 2 / MOD 3; event may be NULL for DEL. */
int32_t __occlum_epoll_ctl(int32_t epfd, uint32_t op, int32_t fd,
                           const struct occlum_epoll_event *event) __OCCLUM_IMPORT(epoll_ctl);
/* epoll_pwait: up to events_len / 12 events; timeout_ns < 0 waits for ever;
 * sigmask (NULL: keep) is the signal mask while waiting. */
int32_t __occlum_epoll_pwait(int32_t epfd, struct occlum_epoll_event *events, size_t events_len,
                             int64_t timeout_ns, const uint64_t *sigmask, uint32_t *out_n)
    __OCCLUM_IMPORT(epoll_pwait);
/* ppoll: nfds struct pollfd (8 bytes: int fd, short events, short revents;
 * Linux's POLL* values) read from fds and written back to out (out_len
 * bytes, normally the same array) with revents set. */
int32_t __occlum_poll(const void *fds, size_t nfds, void *out, size_t out_len, int64_t timeout_ns,
                      const uint64_t *sigmask, uint32_t *out_n) __OCCLUM_IMPORT(poll);
/* eventfd2: flags EFD_SEMAPHORE 1, O_NONBLOCK 0x800, O_CLOEXEC 0x80000 (Linux's). */
int32_t __occlum_eventfd2(uint32_t initval, uint32_t flags, int32_t *out_fd)
    __OCCLUM_IMPORT(eventfd2);
/* timerfd_create: Linux's clock id; flags O_NONBLOCK, O_CLOEXEC (Linux's). */
int32_t __occlum_timerfd_create(int32_t clock, uint32_t flags, int32_t *out_fd)
    __OCCLUM_IMPORT(timerfd_create);
/* timerfd_settime: flags TFD_TIMER_ABSTIME 1; old may be NULL. */
int32_t __occlum_timerfd_settime(int32_t fd, uint32_t flags, const struct occlum_itimerspec *new_,
                                 struct occlum_itimerspec *old) __OCCLUM_IMPORT(timerfd_settime);
int32_t __occlum_timerfd_gettime(int32_t fd, struct occlum_itimerspec *cur)
    __OCCLUM_IMPORT(timerfd_gettime);
/* The number of CPUs the enclave runs on (a value, not an errno). */
int32_t __occlum_cpu_count(void) __OCCLUM_IMPORT(cpu_count);
/* prctl(PR_SET_NAME): the process's name (first 15 bytes). */
int32_t __occlum_set_comm(const char *name, size_t len) __OCCLUM_IMPORT(set_comm);
/* prctl(PR_GET_NAME): the name with its NUL (ERANGE if len is too small). */
int32_t __occlum_get_comm(char *buf, size_t len, uint32_t *out_len) __OCCLUM_IMPORT(get_comm);
/* Linux's raw getpriority (20 - nice) and setpriority; which PRIO_PROCESS 0,
 * PRIO_PGRP 1, PRIO_USER 2. */
int32_t __occlum_getpriority(uint32_t which, int32_t who, uint32_t *out)
    __OCCLUM_IMPORT(getpriority);
int32_t __occlum_setpriority(uint32_t which, int32_t who, int32_t nice)
    __OCCLUM_IMPORT(setpriority);
/* CPU time (user, system; ns) and the peak memory (KiB) of a process. */
struct occlum_rusage {
    uint64_t user_ns;
    uint64_t sys_ns;
    uint64_t maxrss_kib;
};
/* Linux's getrusage: who RUSAGE_SELF 0, RUSAGE_CHILDREN -1, RUSAGE_THREAD 1. */
int32_t __occlum_getrusage(int32_t who, struct occlum_rusage *out) __OCCLUM_IMPORT(getrusage);
/* wait4 with the reaped child's usage (its own and its reaped children's);
 * out_usage may be NULL. */
int32_t __occlum_wait4_usage(int32_t pid, uint32_t options, int32_t *out_status,
                             int32_t *out_pid, struct occlum_rusage *out_usage)
    __OCCLUM_IMPORT(wait4_usage);

/* --- version 3: threads (docs/threads.md) --- */

/* Start a thread of the calling process: a new instance of the program on
 * the process's shared memory, entered at the export
 * __occlum_thread_start(tid, start_arg). EAGAIN past max_num_of_threads or
 * if the program was not built with -pthread; ENOMEM if no instance. */
int32_t __occlum_thread_spawn(uint32_t start_arg, int32_t *out_tid)
    __OCCLUM_IMPORT(thread_spawn);
/* End the calling thread (pthread_exit, after its guest part); never returns. */
_Noreturn void __occlum_thread_exit(void) __OCCLUM_IMPORT(thread_exit);
int32_t __occlum_gettid(void) __OCCLUM_IMPORT(gettid); /* the tid, not an errno */
/* Send sig to thread tid of the calling process (ESRCH if none; sig 0 checks). */
int32_t __occlum_tkill(int32_t tid, int32_t sig) __OCCLUM_IMPORT(tkill);

/* --- version 3: modes, ownership and paths (syscalls/paths.py) --- */

/* Linux's *at semantics: dirfd a directory or -100 (AT_FDCWD: the kernel's
 * cwd; an absolute path ignores dirfd); absolute paths and symlink targets
 * start at the root; flags are Linux's (AT_SYMLINK_NOFOLLOW 0x100,
 * AT_REMOVEDIR 0x200, AT_EACCESS 0x200, AT_SYMLINK_FOLLOW 0x400,
 * AT_EMPTY_PATH 0x1000). */
int32_t __occlum_mkdirat(int32_t dirfd, const char *path, size_t path_len, uint32_t mode)
    __OCCLUM_IMPORT(mkdirat);
int32_t __occlum_unlinkat(int32_t dirfd, const char *path, size_t path_len, uint32_t flags)
    __OCCLUM_IMPORT(unlinkat);
/* flags: RENAME_NOREPLACE 1 (others EINVAL). */
int32_t __occlum_renameat2(int32_t olddirfd, const char *oldpath, size_t oldpath_len,
                           int32_t newdirfd, const char *newpath, size_t newpath_len,
                           uint32_t flags) __OCCLUM_IMPORT(renameat2);
int32_t __occlum_linkat(int32_t olddirfd, const char *oldpath, size_t oldpath_len,
                        int32_t newdirfd, const char *newpath, size_t newpath_len,
                        uint32_t flags) __OCCLUM_IMPORT(linkat);
int32_t __occlum_symlinkat(const char *target, size_t target_len, int32_t dirfd,
                           const char *path, size_t path_len) __OCCLUM_IMPORT(symlinkat);
/* Writes at most buf_len bytes of the target (no NUL) and their count. */
int32_t __occlum_readlinkat(int32_t dirfd, const char *path, size_t path_len, char *buf,
                            size_t buf_len, size_t *out_len) __OCCLUM_IMPORT(readlinkat);
/* The canonical absolute path (no NUL); ERANGE if longer than buf_len. */
int32_t __occlum_realpath(const char *path, size_t path_len, char *buf, size_t buf_len,
                          size_t *out_len) __OCCLUM_IMPORT(realpath);
/* times: {atime s, atime ns, mtime s, mtime ns} with Linux's UTIME_NOW
 * (0x3fffffff) and UTIME_OMIT (0x3ffffffe), or NULL for "both now". */
int32_t __occlum_utimensat(int32_t dirfd, const char *path, size_t path_len,
                           const int64_t times[4], uint32_t flags) __OCCLUM_IMPORT(utimensat);
/* mode: R_OK 4, W_OK 2, X_OK 1 (F_OK 0). */
int32_t __occlum_faccessat(int32_t dirfd, const char *path, size_t path_len, uint32_t mode,
                           uint32_t flags) __OCCLUM_IMPORT(faccessat);
/* uid, gid: 0xffffffff leaves one unchanged. */
int32_t __occlum_fchownat(int32_t dirfd, const char *path, size_t path_len, uint32_t uid,
                          uint32_t gid, uint32_t flags) __OCCLUM_IMPORT(fchownat);

/* --- version 3: raw WASI (docs/abi.md "Raw WASI") --- */

/* Linux's lseek (WASI's fd_seek is wasmtime's: EBADF for a directory):
 * whence SEEK_SET 0, SEEK_CUR 1, SEEK_END 2, SEEK_DATA 3, SEEK_HOLE 4. */
int32_t __occlum_lseek(int32_t fd, int64_t offset, uint32_t whence, uint64_t *out_offset)
    __OCCLUM_IMPORT(lseek);

/* --- version 4: sockets (docs/abi.md "Sockets") --- */

/* Constants are Linux x86-64's; addresses are Linux's binary struct
 * sockaddr_* (an address out-buffer gets the whole address, at most 128
 * bytes, and *out_addrlen its full length); SCM_RIGHTS fds are arrays of
 * i32; iovs are WASI iovecs (wasi-libc's struct iovec). */
int32_t __occlum_socket(int32_t domain, int32_t type, int32_t protocol, int32_t *out_fd)
    __OCCLUM_IMPORT(socket);
int32_t __occlum_socketpair(int32_t domain, int32_t type, int32_t protocol, int32_t out_fds[2])
    __OCCLUM_IMPORT(socketpair);
int32_t __occlum_bind(int32_t fd, const void *addr, uint32_t addrlen) __OCCLUM_IMPORT(bind);
int32_t __occlum_listen(int32_t fd, int32_t backlog) __OCCLUM_IMPORT(listen);
/* flags: SOCK_NONBLOCK 0x800, SOCK_CLOEXEC 0x80000. */
int32_t __occlum_accept4(int32_t fd, uint32_t flags, void *addr_buf, uint32_t addr_cap,
                         uint32_t *out_addrlen, int32_t *out_fd) __OCCLUM_IMPORT(accept4);
int32_t __occlum_connect(int32_t fd, const void *addr, uint32_t addrlen) __OCCLUM_IMPORT(connect);
/* addr NULL/0: none; fds: nfds descriptors to pass (SCM_RIGHTS). */
int32_t __occlum_sendmsg(int32_t fd, const void *iovs, size_t iovs_len, uint32_t flags,
                         const void *addr, uint32_t addrlen, const int32_t *fds, size_t nfds,
                         size_t *out_sent) __OCCLUM_IMPORT(sendmsg);
/* fds_cap and *out_fds_len in bytes (4 per fd); fds past fds_cap are closed
 * and MSG_CTRUNC set in *out_msg_flags. */
int32_t __occlum_recvmsg(int32_t fd, const void *iovs, size_t iovs_len, uint32_t flags,
                         void *addr_buf, uint32_t addr_cap, uint32_t *out_addrlen,
                         int32_t *fds_buf, uint32_t fds_cap, uint32_t *out_fds_len,
                         size_t *out_received, uint32_t *out_msg_flags) __OCCLUM_IMPORT(recvmsg);
int32_t __occlum_shutdown(int32_t fd, int32_t how) __OCCLUM_IMPORT(shutdown);
int32_t __occlum_getsockname(int32_t fd, void *addr_buf, uint32_t addr_cap, uint32_t *out_addrlen)
    __OCCLUM_IMPORT(getsockname);
int32_t __occlum_getpeername(int32_t fd, void *addr_buf, uint32_t addr_cap, uint32_t *out_addrlen)
    __OCCLUM_IMPORT(getpeername);
/* The value as Linux's bytes (ints are i32), at most cap of them. */
int32_t __occlum_getsockopt(int32_t fd, int32_t level, int32_t name, void *buf, uint32_t cap,
                            uint32_t *out_len) __OCCLUM_IMPORT(getsockopt);
int32_t __occlum_setsockopt(int32_t fd, int32_t level, int32_t name, const void *value,
                            uint32_t value_len) __OCCLUM_IMPORT(setsockopt);

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_OCCLUM_H */
