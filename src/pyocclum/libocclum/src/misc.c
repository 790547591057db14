/*
 * The rest of the Linux calls programs expect: getauxval, the CPUs
 * (sysconf, sched_getaffinity/sched_setaffinity, sched_getcpu), the
 * scheduler policy calls (SCHED_OTHER only), prctl, and nice values.
 * docs/abi.md "Events and the rest" says what each answers.
 */

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "internal.h"
#include "occlum.h"

static int fail(int e) {
    errno = e;
    return -1;
}

/* --- CPUs --- */

/* The enclave's CPUs: the host's (those the LibOS may run on), at least 1. */
static int cpu_count(void) {
    int32_t n = __occlum_cpu_count();
    if (n < 1)
        return 1;
    return n > CPU_SETSIZE ? CPU_SETSIZE : n;
}

/* wasi-libc's sysconf says 1 CPU; posix_conf.c answers the names it gets
 * wrong; everything else is its answer. */
long __occlum_posix_sysconf(int name);
long __occlum_wrap_sysconf(int name) {
    if (name == _SC_NPROCESSORS_ONLN || name == _SC_NPROCESSORS_CONF)
        return cpu_count();
    long v = __occlum_posix_sysconf(name);
    return v != -2 ? v : sysconf(name);
}

/* This process's affinity mask; all CPUs until sched_setaffinity. */
static cpu_set_t affinity;
static int affinity_set;

static int check_pid(pid_t pid) {
    if (pid < 0)
        return ESRCH; /* Linux finds no process -1 */
    if (pid != 0 && pid != getpid() && kill(pid, 0) != 0)
        return ESRCH;
    return 0;
}

/* Linux: the size must hold every possible CPU and be a whole number of longs. */
static int check_size(size_t size) {
    if (size * 8 < (size_t)cpu_count() || size % sizeof(long) != 0)
        return EINVAL;
    return 0;
}

int sched_getaffinity(pid_t pid, size_t size, cpu_set_t *set) {
    int e = check_pid(pid);
    if (e == 0)
        e = check_size(size);
    if (e != 0)
        return fail(e);
    memset(set, 0, size);
    int n = cpu_count();
    for (int cpu = 0; cpu < n && (size_t)cpu / 8 < size; cpu++) {
        int mine = pid == 0 || pid == getpid();
        if (!affinity_set || !mine || CPU_ISSET(cpu, &affinity))
            CPU_SET_S(cpu, size, set);
    }
    return 0;
}

/* Recorded for the calling process (what sched_getaffinity answers); the
 * host schedules the LibOS's threads, so it changes nothing else. Another
 * process's mask is accepted and not kept. */
int sched_setaffinity(pid_t pid, size_t size, const cpu_set_t *set) {
    int e = check_pid(pid);
    if (e != 0)
        return fail(e);
    cpu_set_t mask;
    CPU_ZERO(&mask);
    int n = cpu_count();
    for (int cpu = 0; cpu < n && (size_t)cpu / 8 < size; cpu++) {
        if (CPU_ISSET_S(cpu, size, set))
            CPU_SET(cpu, &mask);
    }
    if (CPU_COUNT(&mask) == 0)
        return fail(EINVAL); /* no online CPU in the mask, as Linux */
    if (pid == 0 || pid == getpid()) {
        affinity = mask;
        affinity_set = 1;
    }
    return 0;
}

int __sched_cpucount(size_t size, const cpu_set_t *set) {
    int count = 0;
    const unsigned char *p = (const unsigned char *)set;
    for (size_t i = 0; i < size; i++)
        count += __builtin_popcount(p[i]);
    return count;
}

/* The first CPU the process may run on: the host does not say which one
 * runs it now, and any allowed CPU is a valid answer. */
int sched_getcpu(void) {
    if (affinity_set) {
        for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
            if (CPU_ISSET(cpu, &affinity))
                return cpu;
        }
    }
    return 0;
}

/* --- scheduling policy: SCHED_OTHER only --- */

/* The policy calls refuse a negative pid with EINVAL (affinity: ESRCH). */
static int check_sched_pid(pid_t pid) {
    return pid < 0 ? EINVAL : check_pid(pid);
}

int sched_get_priority_max(int policy) {
    if (policy == SCHED_FIFO || policy == SCHED_RR)
        return 99;
    if (policy == SCHED_OTHER || policy == SCHED_BATCH || policy == SCHED_IDLE ||
        policy == SCHED_DEADLINE)
        return 0;
    return fail(EINVAL);
}

int sched_get_priority_min(int policy) {
    if (policy == SCHED_FIFO || policy == SCHED_RR)
        return 1;
    return sched_get_priority_max(policy);
}

int sched_getscheduler(pid_t pid) {
    int e = check_sched_pid(pid);
    return e != 0 ? fail(e) : SCHED_OTHER;
}

int sched_getparam(pid_t pid, struct sched_param *param) {
    int e = check_sched_pid(pid);
    if (e != 0)
        return fail(e);
    memset(param, 0, sizeof *param);
    return 0;
}

/* Real-time policies cannot be had (the host schedules the LibOS): EPERM,
 * what Linux answers a process without CAP_SYS_NICE. */
int sched_setscheduler(pid_t pid, int policy, const struct sched_param *param) {
    int e = check_sched_pid(pid);
    if (e != 0)
        return fail(e);
    int base = policy & ~SCHED_RESET_ON_FORK;
    if (param == NULL)
        return fail(EINVAL);
    if (base == SCHED_FIFO || base == SCHED_RR) {
        if (param->sched_priority < 1 || param->sched_priority > 99)
            return fail(EINVAL);
        return fail(EPERM);
    }
    if (base != SCHED_OTHER && base != SCHED_BATCH && base != SCHED_IDLE)
        return fail(EINVAL);
    if (param->sched_priority != 0)
        return fail(EINVAL);
    return 0;
}

int sched_setparam(pid_t pid, const struct sched_param *param) {
    return sched_setscheduler(pid, SCHED_OTHER, param);
}

int sched_rr_get_interval(pid_t pid, struct timespec *ts) {
    int e = check_sched_pid(pid);
    if (e != 0)
        return fail(e);
    ts->tv_sec = 0;
    ts->tv_nsec = 0; /* not SCHED_RR: Linux answers 0 */
    return 0;
}

/* --- getauxval --- */

static unsigned char at_random[16];
static int at_random_ready;

/* The auxiliary vector a Linux process gets, as far as it means something
 * here: the page size is WebAssembly's (what sysconf(_SC_PAGESIZE) and
 * getpagesize() answer), no hardware capabilities, root's ids, 16 random
 * bytes. Anything else: 0 with ENOENT, as glibc. */
unsigned long getauxval(unsigned long type) {
    switch (type) {
    case AT_PAGESZ:
        return (unsigned long)sysconf(_SC_PAGESIZE);
    case AT_CLKTCK:
        return 100;
    case AT_HWCAP:
    case AT_HWCAP2:
    case AT_SECURE:
    case AT_UID:
    case AT_EUID:
    case AT_GID:
    case AT_EGID:
    case AT_FLAGS:
        return 0;
    case AT_PLATFORM:
        return (unsigned long)"wasm32";
    case AT_RANDOM:
        if (!at_random_ready) {
            if (getentropy(at_random, sizeof at_random) != 0)
                return 0;
            at_random_ready = 1;
        }
        return (unsigned long)at_random;
    default:
        errno = ENOENT;
        return 0;
    }
}

/* --- prctl --- */

static int dumpable = 1, keepcaps, no_new_privs, subreaper, pdeathsig;
static unsigned long timerslack = 50000; /* Linux's default, ns */

int prctl(int option, ...) {
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long);
    unsigned long a3 = va_arg(ap, unsigned long);
    unsigned long a4 = va_arg(ap, unsigned long);
    unsigned long a5 = va_arg(ap, unsigned long);
    va_end(ap);
    switch (option) {
    case PR_SET_NAME: {
        const char *name = (const char *)a2;
        size_t n = 0;
        while (n < 15 && name[n] != '\0')
            n++;
        return __occlum_result(__occlum_set_comm(name, n));
    }
    case PR_GET_NAME: {
        char buf[16];
        uint32_t len = 0;
        int32_t rc = __occlum_get_comm(buf, sizeof buf, &len);
        if (rc != 0)
            return __occlum_result(rc);
        memcpy((char *)a2, buf, len);
        return 0;
    }
    case PR_SET_DUMPABLE:
        if (a2 > 1)
            return fail(EINVAL);
        dumpable = (int)a2;
        return 0;
    case PR_GET_DUMPABLE:
        return dumpable;
    case PR_SET_KEEPCAPS:
        if (a2 > 1)
            return fail(EINVAL);
        keepcaps = (int)a2;
        return 0;
    case PR_GET_KEEPCAPS:
        return keepcaps;
    case PR_SET_PDEATHSIG:
        if (a2 > 64)
            return fail(EINVAL);
        pdeathsig = (int)a2;
        return 0;
    case PR_GET_PDEATHSIG:
        *(int *)a2 = pdeathsig;
        return 0;
    case PR_SET_NO_NEW_PRIVS:
        if (a2 != 1 || a3 || a4 || a5)
            return fail(EINVAL);
        no_new_privs = 1;
        return 0;
    case PR_GET_NO_NEW_PRIVS:
        if (a2 || a3 || a4 || a5)
            return fail(EINVAL);
        return no_new_privs;
    case PR_SET_CHILD_SUBREAPER:
        subreaper = a2 != 0;
        return 0;
    case PR_GET_CHILD_SUBREAPER:
        *(int *)a2 = subreaper;
        return 0;
    case PR_SET_TIMERSLACK:
        timerslack = a2 != 0 ? a2 : 50000;
        return 0;
    case PR_GET_TIMERSLACK:
        return timerslack > INT_MAX ? INT_MAX : (int)timerslack;
    default:
        return fail(EINVAL);
    }
}

/* --- nice values (recorded by the kernel, shown in /proc/<pid>/stat) --- */

int getpriority(int which, id_t who) {
    uint32_t raw = 0;
    int32_t rc = __occlum_getpriority((uint32_t)which, (int32_t)who, &raw);
    if (rc != 0)
        return __occlum_result(rc);
    return 20 - (int)raw;
}

int setpriority(int which, id_t who, int prio) {
    return __occlum_result(__occlum_setpriority((uint32_t)which, (int32_t)who, prio));
}

int nice(int inc) {
    errno = 0;
    int cur = getpriority(PRIO_PROCESS, 0);
    if (cur == -1 && errno != 0)
        return -1;
    int want = cur + (inc > 40 ? 40 : inc < -40 ? -40 : inc);
    if (setpriority(PRIO_PROCESS, 0, want) != 0)
        return -1;
    return getpriority(PRIO_PROCESS, 0);
}
