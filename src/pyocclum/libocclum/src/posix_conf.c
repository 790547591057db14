/*
 * POSIX sweep: configuration values, ids, names and terminals as Linux
 * (glibc) reports them where wasi-libc's (musl's) differ or are missing:
 *
 * - sysconf: the values misc.c's __occlum_wrap_sysconf does not answer
 *   itself come here first (_SC_OPEN_MAX from RLIMIT_NOFILE, the memory
 *   pages from sysinfo, Linux's host-name, line, group and signal limits);
 * - pathconf/fpathconf (labels in unistd.h): the file must exist (ENOENT,
 *   EBADF...), _PC_PIPE_BUF is PIPE_BUF, values as glibc's on Linux;
 * - getdtablesize, getresuid/getresgid, the set*id family (root may become
 *   root; anything else is EPERM: there is only uid 0), get/setdomainname,
 *   sethostname (EINVAL past 64 bytes, else EPERM: the name is the
 *   kernel's), gethostname (label: ENAMETOOLONG as glibc), ttyname/ttyname_r, prlimit (the calling process only),
 *   clock_settime (EPERM for the real-time clock, EINVAL for others), ulimit,
 *   clock_getcpuclockid (the caller's only), daemon (ENOSYS: no fork).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#include <ulimit.h>
#include <stdarg.h>

/* libocclum's path calls (Linux's resolution; wasi-libc's refuse absolute
 * symlink targets): src/stat.c. */
int __occlum_wrap_stat(const char *__restrict, struct stat *__restrict);
int __occlum_wrap_lstat(const char *__restrict, struct stat *__restrict);

/* Answers for the names wasi-libc's sysconf gets wrong; -2 for "ask it". */
long __occlum_posix_sysconf(int name) {
    switch (name) {
    case _SC_OPEN_MAX: {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
            return -1;
        return rl.rlim_cur == RLIM_INFINITY ? -1 : (long)rl.rlim_cur;
    }
    case _SC_PHYS_PAGES:
    case _SC_AVPHYS_PAGES: {
        struct sysinfo si;
        if (sysinfo(&si) != 0)
            return -1;
        unsigned long long unit = si.mem_unit ? si.mem_unit : 1;
        unsigned long long mem =
            (name == _SC_PHYS_PAGES ? si.totalram : si.freeram + si.bufferram) * unit;
        return (long)(mem / (unsigned long long)sysconf(_SC_PAGESIZE));
    }
    case _SC_HOST_NAME_MAX: return 64;   /* HOST_NAME_MAX on Linux */
    case _SC_LINE_MAX: return 2048;      /* glibc's LINE_MAX */
    case _SC_NGROUPS_MAX: return 65536;  /* NGROUPS_MAX on Linux */
    case _SC_RTSIG_MAX: return 32;       /* SIGRTMAX - SIGRTMIN + 1 on Linux */
    case _SC_SIGQUEUE_MAX: {             /* glibc: RLIMIT_SIGPENDING */
        struct rlimit rl;
        if (getrlimit(RLIMIT_SIGPENDING, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
            return -1;
        return (long)rl.rlim_cur;
    }
    case _SC_SYMLOOP_MAX: return -1;     /* glibc: indeterminate (Linux stops at 40) */
    default: return -2;
    }
}

/* The value of a pathconf name for an existing object of mode `mode`. */
static long path_value(mode_t mode, int name) {
    switch (name) {
    case _PC_LINK_MAX: return 127;
    case _PC_MAX_CANON: return 255;
    case _PC_MAX_INPUT: return 255;
    case _PC_NAME_MAX: return 255;
    case _PC_PATH_MAX: return 4096;
    case _PC_PIPE_BUF: return PIPE_BUF;
    case _PC_CHOWN_RESTRICTED: return 1;
    case _PC_NO_TRUNC: return 1;
    case _PC_VDISABLE: return 0;
    case _PC_SYNC_IO: return 1;
    case _PC_ASYNC_IO: return 1;
    case _PC_PRIO_IO: return -1;
    case _PC_SOCK_MAXBUF: return -1;
    case _PC_FILESIZEBITS: return 64;
    case _PC_REC_INCR_XFER_SIZE: return 4096;
    case _PC_REC_MAX_XFER_SIZE: return -1;
    case _PC_REC_MIN_XFER_SIZE: return 4096;
    case _PC_REC_XFER_ALIGN: return 4096;
    case _PC_ALLOC_SIZE_MIN: return 4096;
    case _PC_SYMLINK_MAX: return -1;
    case _PC_2_SYMLINKS: return 1;
    default:
        (void)mode;
        errno = EINVAL;
        return -1;
    }
}

/* glibc asks the file system, so a missing file is ENOENT (musl answers
 * without looking). -1 without errno is "no limit". */
long __occlum_wrap_pathconf(const char *path, int name) {
    struct stat st;
    if (__occlum_wrap_stat(path, &st) != 0)
        return -1;
    return path_value(st.st_mode, name);
}

long __occlum_wrap_fpathconf(int fd, int name) {
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    return path_value(st.st_mode, name);
}

int getdtablesize(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur > INT_MAX)
        return INT_MAX;
    return (int)rl.rlim_cur;
}

/* Every process is root, with all ids 0. */
int getresuid(uid_t *r, uid_t *e, uid_t *s) {
    *r = *e = *s = 0;
    return 0;
}

int getresgid(gid_t *r, gid_t *e, gid_t *s) {
    *r = *e = *s = 0;
    return 0;
}

/* Becoming uid/gid 0 again is allowed; there is no other user to become. */
static int only_root(long id) {
    if (id == -1)
        return 0; /* "unchanged" in the set*id calls that take several ids */
    if (id < 0) {
        errno = EINVAL;
        return -1;
    }
    if (id != 0) {
        errno = EPERM;
        return -1;
    }
    return 0;
}

int setuid(uid_t uid) { return uid == (uid_t)-1 ? (errno = EINVAL, -1) : only_root(uid); }
int setgid(gid_t gid) { return gid == (gid_t)-1 ? (errno = EINVAL, -1) : only_root(gid); }
int seteuid(uid_t uid) { return uid == (uid_t)-1 ? (errno = EINVAL, -1) : only_root(uid); }
int setegid(gid_t gid) { return gid == (gid_t)-1 ? (errno = EINVAL, -1) : only_root(gid); }

int setreuid(uid_t r, uid_t e) {
    return only_root(r == (uid_t)-1 ? -1 : (long)r) ? -1 : only_root(e == (uid_t)-1 ? -1 : (long)e);
}

int setregid(gid_t r, gid_t e) {
    return only_root(r == (gid_t)-1 ? -1 : (long)r) ? -1 : only_root(e == (gid_t)-1 ? -1 : (long)e);
}

int setresuid(uid_t r, uid_t e, uid_t s) {
    return setreuid(r, e) ? -1 : only_root(s == (uid_t)-1 ? -1 : (long)s);
}

int setresgid(gid_t r, gid_t e, gid_t s) {
    return setregid(r, e) ? -1 : only_root(s == (gid_t)-1 ? -1 : (long)s);
}

int setgroups(size_t n, const gid_t *list) {
    if (n > 65536) {
        errno = EINVAL;
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        if (list[i] != 0) {
            errno = EPERM;
            return -1;
        }
    return 0;
}

/* glibc's: the name truncated to len bytes (no error). */
int getdomainname(char *name, size_t len) {
    struct utsname u;
    if (uname(&u) != 0)
        return -1;
    size_t n = strlen(u.domainname) + 1;
    memcpy(name, u.domainname, n < len ? n : len);
    return 0;
}

/* glibc's: ENAMETOOLONG when the name and its NUL do not fit (musl's
 * truncates silently). */
int __occlum_wrap_gethostname(char *name, size_t len) {
    struct utsname u;
    if (uname(&u) != 0)
        return -1;
    size_t n = strlen(u.nodename) + 1;
    if (n > len) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(name, u.nodename, n);
    return 0;
}

/* The names are the kernel's (Occlum.json); no call changes them. */
static int set_name(size_t len) {
    errno = len > 64 ? EINVAL : EPERM;
    return -1;
}

int sethostname(const char *name, size_t len) {
    (void)name;
    return set_name(len);
}

int setdomainname(const char *name, size_t len) {
    (void)name;
    return set_name(len);
}

/* The only terminal is the console, /dev/tty. */
int ttyname_r(int fd, char *buf, size_t len) {
    if (!isatty(fd))
        return errno;
    if (len < sizeof "/dev/tty")
        return ERANGE;
    memcpy(buf, "/dev/tty", sizeof "/dev/tty");
    return 0;
}

char *ttyname(int fd) {
    static char name[32];
    int e = ttyname_r(fd, name, sizeof name);
    if (e) {
        errno = e;
        return NULL;
    }
    return name;
}

/* Linux: pid 0 is the caller; another process's limits are not reachable
 * through the ABI (EPERM, as for a process one may not touch). */
int prlimit(pid_t pid, int resource, const struct rlimit *new_limit,
            struct rlimit *old_limit) {
    if (pid < 0) {
        errno = ESRCH;
        return -1;
    }
    if (pid != 0 && pid != getpid()) {
        if (kill(pid, 0) != 0)
            return -1;
        errno = EPERM;
        return -1;
    }
    struct rlimit old;
    if (getrlimit(resource, &old) != 0)
        return -1;
    if (new_limit && setrlimit(resource, new_limit) != 0)
        return -1;
    if (old_limit)
        *old_limit = old;
    return 0;
}

/* Setting a clock needs CAP_SYS_TIME on Linux for the real-time clock; the
 * others cannot be set at all. The enclave never sets the host's clock. */
int clock_settime(clockid_t clock, const struct timespec *ts) {
    (void)ts;
    errno = clock == CLOCK_REALTIME ? EPERM : EINVAL;
    return -1;
}

/* ulimit (legacy POSIX): RLIMIT_FSIZE in 512-byte blocks; glibc's LONG_MAX
 * for no limit (wasm32's long cannot hold RLIM_INFINITY / 512). */
long ulimit(int cmd, ...) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_FSIZE, &rl) != 0)
        return -1;
    if (cmd == UL_SETFSIZE) {
        va_list ap;
        va_start(ap, cmd);
        long val = va_arg(ap, long);
        va_end(ap);
        if (val < 0) {
            errno = EINVAL;
            return -1;
        }
        rl.rlim_cur = 512ULL * (unsigned long long)val;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
            return -1;
    } else if (cmd != UL_GETFSIZE) {
        errno = EINVAL;
        return -1;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur / 512 > LONG_MAX)
        return LONG_MAX;
    return (long)(rl.rlim_cur / 512);
}

/* The caller's CPU clock; another process's cannot be read (EPERM), a
 * missing one is ESRCH. */
int clock_getcpuclockid(pid_t pid, clockid_t *clk) {
    if (pid != 0 && pid != getpid())
        return kill(pid, 0) != 0 ? ESRCH : EPERM;
    *clk = CLOCK_PROCESS_CPUTIME_ID;
    return 0;
}

/* daemon() forks, and there is no fork (as fork: ENOSYS). */
int daemon(int nochdir, int noclose) {
    (void)nochdir;
    (void)noclose;
    errno = ENOSYS;
    return -1;
}
