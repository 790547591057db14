/*
 * Process identity and the system over the kernel: pids, process groups,
 * sessions, limits, uname, sysinfo; users (there is only root), fork
 * (there is none) and getrandom. getpid() lives in init.c (it takes over
 * wasi-libc's).
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "occlum.h"

/* --- processes, groups, sessions --- */

pid_t getppid(void) {
    return __occlum_getppid();
}

pid_t getpgid(pid_t pid) {
    int32_t pgid = 0;
    int32_t rc = __occlum_getpgid(pid, &pgid);
    return rc != 0 ? __occlum_result(rc) : pgid;
}

pid_t getpgrp(void) {
    return getpgid(0);
}

int setpgid(pid_t pid, pid_t pgid) {
    return __occlum_result(__occlum_setpgid(pid, pgid));
}

pid_t setpgrp(void) {
    return setpgid(0, 0);
}

pid_t getsid(pid_t pid) {
    int32_t sid = 0;
    int32_t rc = __occlum_getsid(pid, &sid);
    return rc != 0 ? __occlum_result(rc) : sid;
}

pid_t setsid(void) {
    int32_t sid = 0;
    int32_t rc = __occlum_setsid(&sid);
    return rc != 0 ? __occlum_result(rc) : sid;
}

/* No fork under PyOcclum, as in Occlum: WebAssembly cannot copy a running
 * stack. Use posix_spawn. */
pid_t fork(void) {
    errno = ENOSYS;
    return -1;
}

pid_t vfork(void) {
    errno = ENOSYS;
    return -1;
}

/* --- users: every process runs as root --- */

uid_t getuid(void) {
    return 0;
}

uid_t geteuid(void) {
    return 0;
}

gid_t getgid(void) {
    return 0;
}

gid_t getegid(void) {
    return 0;
}

/* root's supplementary groups: just group 0 (as /proc/<pid>/status says).
 * size 0 asks for the count; a smaller list than the groups is EINVAL. */
int getgroups(int size, gid_t list[]) {
    static const gid_t groups[] = {0};
    int n = (int)(sizeof groups / sizeof *groups);
    if (size < 0 || (size != 0 && size < n)) {
        errno = EINVAL;
        return -1;
    }
    if (size != 0)
        memcpy(list, groups, sizeof groups);
    return n;
}

/* --- limits and system information --- */

int getrlimit(int resource, struct rlimit *rlim) {
    uint64_t limit[2];
    int32_t rc = __occlum_getrlimit(resource, limit);
    if (rc == 0) {
        rlim->rlim_cur = limit[0];
        rlim->rlim_max = limit[1];
    }
    return __occlum_result(rc);
}

int setrlimit(int resource, const struct rlimit *rlim) {
    uint64_t limit[2] = {rlim->rlim_cur, rlim->rlim_max};
    return __occlum_result(__occlum_setrlimit(resource, limit));
}

/* The kernel writes the first five fields; the domain name stays empty. */
_Static_assert(offsetof(struct utsname, machine) == 4 * 65, "utsname fields are 65 bytes");

int uname(struct utsname *buf) {
    char fields[5 * 65];
    int32_t rc = __occlum_uname(fields);
    if (rc != 0)
        return __occlum_result(rc);
    memset(buf, 0, sizeof *buf);
    memcpy(buf, fields, sizeof fields);
    buf->machine[64] = '\0'; /* whatever the kernel wrote, strings end */
    buf->version[64] = buf->release[64] = buf->nodename[64] = buf->sysname[64] = '\0';
    return 0;
}

/* Linux's struct sysinfo has 32-bit fields on a 32-bit target: memory is
 * counted in larger units (mem_unit) when it does not fit, as Linux does. */
int sysinfo(struct sysinfo *info) {
    struct occlum_sysinfo k;
    int32_t rc = __occlum_sysinfo(&k);
    if (rc != 0)
        return __occlum_result(rc);
    uint64_t unit = k.mem_unit != 0 ? k.mem_unit : 1;
    uint64_t total = k.totalram, avail = k.freeram;
    while (total > ULONG_MAX && unit < (1u << 31)) {
        total >>= 1;
        avail >>= 1;
        unit <<= 1;
    }
    memset(info, 0, sizeof *info);
    info->uptime = k.uptime > ULONG_MAX ? ULONG_MAX : (unsigned long)k.uptime;
    info->totalram = total > ULONG_MAX ? ULONG_MAX : (unsigned long)total;
    info->freeram = avail > ULONG_MAX ? ULONG_MAX : (unsigned long)avail;
    info->procs = k.procs > USHRT_MAX ? USHRT_MAX : (unsigned short)k.procs;
    info->mem_unit = (unsigned)unit;
    return 0;
}

/* WASI's random source through getentropy, which takes 256 bytes at most;
 * it never blocks, so the flags change nothing. */
ssize_t getrandom(void *buf, size_t len, unsigned flags) {
    if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE)) {
        errno = EINVAL;
        return -1;
    }
    if (len > SSIZE_MAX)
        len = SSIZE_MAX;
    for (size_t done = 0; done < len;) {
        size_t n = len - done < 256 ? len - done : 256;
        if (getentropy((char *)buf + done, n) != 0)
            return done > 0 ? (ssize_t)done : -1;
        done += n;
    }
    return (ssize_t)len;
}
