/*
 * syscall(): Linux x86-64 system call numbers (<sys/syscall.h>) carried out
 * by the libocclum/wasi-libc function with the same meaning; -1 with errno
 * on failure, as glibc's syscall(). Where the raw call differs from the
 * libc function, the raw meaning wins (getcwd returns the length,
 * getpriority 20 - nice, sched_getaffinity the mask size). Numbers not
 * listed fail with ENOSYS. Arguments are read as longs (32 bits on wasm32):
 * a 64-bit offset (lseek, pread64, ...) must fit in a long.
 *
 * Built like a program, without __OCCLUM_BUILDING_LIBOCCLUM: the headers'
 * asm labels apply, so each number reaches exactly the function a program's
 * own call of that name reaches.
 */
#undef __OCCLUM_BUILDING_LIBOCCLUM

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "occlum.h"

/* Other areas' functions, used when they are linked in (weak: absent, the
 * number answers ENOSYS). */
long __occlum_futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *timeout,
                    uint32_t *uaddr2, uint32_t val3) __attribute__((__weak__));
long __occlum_getdents64(int fd, void *buf, unsigned long n) __attribute__((__weak__));
pid_t gettid(void) __attribute__((__weak__));
int tgkill(pid_t tgid, pid_t tid, int sig) __attribute__((__weak__));
int chown(const char *, uid_t, gid_t) __attribute__((__weak__));
int fchown(int, uid_t, gid_t) __attribute__((__weak__));
int lchown(const char *, uid_t, gid_t) __attribute__((__weak__));
int fchownat(int, const char *, uid_t, gid_t, int) __attribute__((__weak__));
int flock(int, int) __attribute__((__weak__));

static long fail(int e) {
    errno = e;
    return -1;
}

/* A raw clock id (Linux's) as wasi-libc's clockid_t, or NULL. A program that
 * passes CLOCK_MONOTONIC or CLOCK_REALTIME passes wasi-libc's (a pointer):
 * those are taken as they are. */
static clockid_t clock_of(long id) {
    if (id == (long)CLOCK_REALTIME || id == (long)CLOCK_MONOTONIC)
        return (clockid_t)id;
    switch (id) {
    case 0: /* CLOCK_REALTIME */
    case 5: /* CLOCK_REALTIME_COARSE */
    case 8: /* CLOCK_REALTIME_ALARM */
        return CLOCK_REALTIME;
    case 1: /* CLOCK_MONOTONIC */
    case 4: /* CLOCK_MONOTONIC_RAW */
    case 6: /* CLOCK_MONOTONIC_COARSE */
    case 7: /* CLOCK_BOOTTIME */
    case 9: /* CLOCK_BOOTTIME_ALARM */
        return CLOCK_MONOTONIC;
    default:
        return NULL;
    }
}

/* The kernel's sigset_t is 8 bytes: other sizes are EINVAL, as Linux. */
static int bad_sigsetsize(long size) {
    return size != (long)sizeof(sigset_t);
}

/* Calls whose result is 0/-1 in libc and 0/-errno in the kernel: same thing. */
#define RET(call) return (long)(call)

long syscall(long n, ...) {
    va_list ap;
    va_start(ap, n);
    long a = va_arg(ap, long), b = va_arg(ap, long), c = va_arg(ap, long);
    long d = va_arg(ap, long), e = va_arg(ap, long), f = va_arg(ap, long);
    va_end(ap);
    void *pa = (void *)a, *pb = (void *)b, *pc = (void *)c, *pd = (void *)d;
    const char *sa = (const char *)a, *sb = (const char *)b;
    (void)f;

    switch (n) {
    /* --- files --- */
    case SYS_read: RET(read((int)a, pb, (size_t)c));
    case SYS_write: RET(write((int)a, pb, (size_t)c));
    case SYS_open: RET(open(sa, (int)b, (mode_t)c));
    case SYS_close: RET(close((int)a));
    case SYS_stat: RET(stat(sa, (struct stat *)pb));
    case SYS_fstat: RET(fstat((int)a, (struct stat *)pb));
    case SYS_lstat: RET(lstat(sa, (struct stat *)pb));
    case SYS_newfstatat: RET(fstatat((int)a, sb, (struct stat *)pc, (int)d));
    case SYS_lseek: RET(lseek((int)a, (off_t)b, (int)c));
    case SYS_pread64: RET(pread((int)a, pb, (size_t)c, (off_t)d));
    case SYS_pwrite64: RET(pwrite((int)a, pb, (size_t)c, (off_t)d));
    case SYS_readv: RET(readv((int)a, (const struct iovec *)pb, (int)c));
    case SYS_writev: RET(writev((int)a, (const struct iovec *)pb, (int)c));
    case SYS_access: RET(access(sa, (int)b));
    case SYS_faccessat: RET(faccessat((int)a, sb, (int)c, 0));
    case SYS_faccessat2: RET(faccessat((int)a, sb, (int)c, (int)d));
    case SYS_pipe: RET(pipe((int *)pa));
    case SYS_pipe2: RET(pipe2((int *)pa, (int)b));
    case SYS_dup: RET(dup((int)a));
    case SYS_dup2: RET(dup2((int)a, (int)b));
    case SYS_dup3: RET(dup3((int)a, (int)b, (int)c));
    case SYS_fcntl: RET(fcntl((int)a, (int)b, c));
    case SYS_flock:
        if (!flock)
            return fail(ENOSYS);
        RET(flock((int)a, (int)b));
    case SYS_fsync: RET(fsync((int)a));
    case SYS_fdatasync: RET(fdatasync((int)a));
    case SYS_truncate: RET(truncate(sa, (off_t)b));
    case SYS_ftruncate: RET(ftruncate((int)a, (off_t)b));
    case SYS_getdents64:
        if (!__occlum_getdents64)
            return fail(ENOSYS);
        RET(__occlum_getdents64((int)a, pb, (unsigned long)c));
    case SYS_getcwd:
        /* The raw call returns the length with the NUL, not the buffer. */
        if (getcwd((char *)pa, (size_t)b) == NULL)
            return -1;
        return (long)strlen((char *)pa) + 1;
    case SYS_chdir: RET(chdir(sa));
    case SYS_fchdir: RET(fchdir((int)a));
    case SYS_rename: RET(rename(sa, sb));
    case SYS_renameat: RET(renameat((int)a, sb, (int)c, (const char *)pd));
    case SYS_mkdir: RET(mkdir(sa, (mode_t)b));
    case SYS_mkdirat: RET(mkdirat((int)a, sb, (mode_t)c));
    case SYS_rmdir: RET(rmdir(sa));
    case SYS_link: RET(link(sa, sb));
    case SYS_linkat: RET(linkat((int)a, sb, (int)c, (const char *)pd, (int)e));
    case SYS_unlink: RET(unlink(sa));
    case SYS_unlinkat: RET(unlinkat((int)a, sb, (int)c));
    case SYS_symlink: RET(symlink(sa, sb));
    case SYS_symlinkat: RET(symlinkat(sa, (int)b, (const char *)pc));
    case SYS_readlink: RET(readlink(sa, (char *)pb, (size_t)c));
    case SYS_readlinkat: RET(readlinkat((int)a, sb, (char *)pc, (size_t)d));
    case SYS_chmod: RET(chmod(sa, (mode_t)b));
    case SYS_fchmod: RET(fchmod((int)a, (mode_t)b));
    case SYS_fchmodat: RET(fchmodat((int)a, sb, (mode_t)c, 0));
    case SYS_chown:
        if (!chown)
            return fail(ENOSYS);
        RET(chown(sa, (uid_t)b, (gid_t)c));
    case SYS_fchown:
        if (!fchown)
            return fail(ENOSYS);
        RET(fchown((int)a, (uid_t)b, (gid_t)c));
    case SYS_lchown:
        if (!lchown)
            return fail(ENOSYS);
        RET(lchown(sa, (uid_t)b, (gid_t)c));
    case SYS_fchownat:
        if (!fchownat)
            return fail(ENOSYS);
        RET(fchownat((int)a, sb, (uid_t)c, (gid_t)d, (int)e));
    case SYS_utimensat: RET(utimensat((int)a, sb, (const struct timespec *)pc, (int)d));
    case SYS_umask: RET(umask((mode_t)a));
    case SYS_openat: RET(openat((int)a, sb, (int)c, (mode_t)d));
    /* --- events --- */
    case SYS_poll: RET(poll((struct pollfd *)pa, (nfds_t)b, (int)c));
    case SYS_ppoll:
        if (d != 0 && bad_sigsetsize(e))
            return fail(EINVAL);
        RET(ppoll((struct pollfd *)pa, (nfds_t)b, (const struct timespec *)pc,
                                (const sigset_t *)pd));
    case SYS_select:
        RET(select((int)a, (fd_set *)pb, (fd_set *)pc, (fd_set *)pd,
                                 (struct timeval *)e));
    case SYS_pselect6: {
        /* The sixth argument is {const sigset_t *ss; size_t ss_len;}. */
        const struct { const sigset_t *ss; size_t len; } *sig = (const void *)f;
        if (sig != NULL && sig->ss != NULL && bad_sigsetsize((long)sig->len))
            return fail(EINVAL);
        RET(pselect((int)a, (fd_set *)pb, (fd_set *)pc, (fd_set *)pd,
                                  (const struct timespec *)e, sig ? sig->ss : NULL));
    }
    case SYS_epoll_create: RET(epoll_create((int)a));
    case SYS_epoll_create1: RET(epoll_create1((int)a));
    case SYS_epoll_ctl: RET(epoll_ctl((int)a, (int)b, (int)c, (struct epoll_event *)pd));
    case SYS_epoll_wait: RET(epoll_wait((int)a, (struct epoll_event *)pb, (int)c, (int)d));
    case SYS_epoll_pwait:
        if (e != 0 && bad_sigsetsize(f))
            return fail(EINVAL);
        RET(epoll_pwait((int)a, (struct epoll_event *)pb, (int)c, (int)d, (const sigset_t *)e));
    case SYS_eventfd: RET(eventfd((unsigned)a, 0));
    case SYS_eventfd2: RET(eventfd((unsigned)a, (int)b));
    case SYS_timerfd_create: {
        clockid_t clk = clock_of(a);
        if (clk == NULL)
            return fail(EINVAL);
        RET(timerfd_create(clk, (int)b));
    }
    case SYS_timerfd_settime:
        RET(timerfd_settime((int)a, (int)b, (const struct itimerspec *)pc,
                            (struct itimerspec *)pd));
    case SYS_timerfd_gettime: RET(timerfd_gettime((int)a, (struct itimerspec *)pb));
    case SYS_futex:
        if (!__occlum_futex)
            return fail(ENOSYS);
        RET(__occlum_futex((uint32_t *)pa, (int)b, (uint32_t)c, (const struct timespec *)pd,
                           (uint32_t *)e, (uint32_t)f));
    /* --- processes and signals --- */
    case SYS_getpid: RET(getpid());
    case SYS_getppid: RET(getppid());
    case SYS_gettid: RET(gettid ? gettid() : getpid());
    case SYS_getpgrp: RET(getpgrp());
    case SYS_getpgid: RET(getpgid((pid_t)a));
    case SYS_setpgid: RET(setpgid((pid_t)a, (pid_t)b));
    case SYS_getsid: RET(getsid((pid_t)a));
    case SYS_setsid: RET(setsid());
    case SYS_getuid: RET(getuid());
    case SYS_geteuid: RET(geteuid());
    case SYS_getgid: RET(getgid());
    case SYS_getegid: RET(getegid());
    case SYS_getgroups: RET(getgroups((int)a, (gid_t *)pb));
    case SYS_kill: RET(kill((pid_t)a, (int)b));
    case SYS_tkill:
    case SYS_tgkill: {
        pid_t tgid = n == SYS_tgkill ? (pid_t)a : getpid();
        pid_t tid = n == SYS_tgkill ? (pid_t)b : (pid_t)a;
        int sig = (int)(n == SYS_tgkill ? c : b);
        if (tgid <= 0 || tid <= 0)
            return fail(EINVAL);
        if (tgkill)
            RET(tgkill(tgid, tid, sig));
        if (tid != tgid) /* without threads, a process's only thread is its pid */
            return fail(ESRCH);
        RET(kill(tgid, sig));
    }
    case SYS_rt_sigprocmask:
        if (bad_sigsetsize(d))
            return fail(EINVAL);
        RET(sigprocmask((int)a, (const sigset_t *)pb, (sigset_t *)pc));
    case SYS_rt_sigpending:
        if (bad_sigsetsize(b))
            return fail(EINVAL);
        RET(sigpending((sigset_t *)pa));
    case SYS_rt_sigsuspend:
        if (bad_sigsetsize(b))
            return fail(EINVAL);
        RET(sigsuspend((const sigset_t *)pa));
    case SYS_pause: RET(pause());
    case SYS_alarm: RET(alarm((unsigned)a));
    case SYS_wait4: RET(wait4((pid_t)a, (int *)pb, (int)c, (struct rusage *)pd));
    case SYS_exit:
    case SYS_exit_group: _exit((int)a);
    case SYS_sched_yield: RET(sched_yield());
    case SYS_sched_getaffinity: {
        /* The raw call answers the size of the kernel's mask (whole 64-bit
         * words for the CPUs, x86-64's), not 0. */
        long words = (sysconf(_SC_NPROCESSORS_ONLN) + 63) / 64;
        long size = words * 8 < b ? words * 8 : b;
        if (sched_getaffinity((pid_t)a, (size_t)b, (cpu_set_t *)pc) != 0)
            return -1;
        return size;
    }
    case SYS_sched_setaffinity:
        RET(sched_setaffinity((pid_t)a, (size_t)b, (const cpu_set_t *)pc));
    case SYS_getpriority: {
        errno = 0;
        int nice_value = getpriority((int)a, (id_t)b);
        if (nice_value == -1 && errno != 0)
            return -1;
        return 20 - nice_value; /* the raw call's 1..40 */
    }
    case SYS_setpriority: RET(setpriority((int)a, (id_t)b, (int)c));
    case SYS_prctl: RET(prctl((int)a, b, c, d, e));
    /* --- time and the system --- */
    case SYS_clock_gettime: {
        clockid_t clk = clock_of(a);
        if (clk == NULL)
            return fail(EINVAL);
        RET(clock_gettime(clk, (struct timespec *)pb));
    }
    case SYS_clock_getres: {
        clockid_t clk = clock_of(a);
        if (clk == NULL)
            return fail(EINVAL);
        RET(clock_getres(clk, (struct timespec *)pb));
    }
    case SYS_clock_nanosleep: {
        clockid_t clk = clock_of(a);
        if (clk == NULL)
            return fail(EINVAL);
        int rc = clock_nanosleep(clk, (int)b, (const struct timespec *)pc, (struct timespec *)pd);
        return rc == 0 ? 0 : fail(rc);
    }
    case SYS_nanosleep: RET(nanosleep((const struct timespec *)pa, (struct timespec *)pb));
    case SYS_gettimeofday: RET(gettimeofday((struct timeval *)pa, NULL));
    case SYS_time: RET(time((time_t *)pa));
    case SYS_times: RET(times((struct tms *)pa));
    case SYS_getrusage: RET(getrusage((int)a, (struct rusage *)pb));
    case SYS_getrlimit: RET(getrlimit((int)a, (struct rlimit *)pb));
    case SYS_setrlimit: RET(setrlimit((int)a, (const struct rlimit *)pb));
    case SYS_sysinfo: RET(sysinfo((struct sysinfo *)pa));
    case SYS_uname: RET(uname((struct utsname *)pa));
    case SYS_getrandom: RET(getrandom(pa, (size_t)b, (unsigned)c));
    default:
        return fail(ENOSYS);
    }
}
