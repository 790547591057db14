/*
 * sys/resource.h: wasi-libc's (it requires -D_WASI_EMULATED_PROCESS_CLOCKS,
 * which occlum-cc passes) with libocclum's getrusage and Linux's struct
 * rusage (include/__struct_rusage.h) and RUSAGE_* values, plus resource
 * limits, which libocclum implements over the kernel. RLIMIT_* values are
 * Linux's.
 */
#pragma GCC system_header

/* getrusage is libocclum's (src/rusage.c), over the kernel's CPU accounting;
 * wasi-libc's counts the wall-clock time since start-up. */
#if !defined(_PYOCCLUM_RUSAGE_LABEL) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_RUSAGE_LABEL
#ifdef __cplusplus
extern "C" {
#endif
struct rusage;
int getrusage(int, struct rusage *) __asm__("__occlum_wrap_getrusage");
#ifdef __cplusplus
}
#endif
#endif

#include_next <sys/resource.h>

/* Linux's values (wasi-libc's are 1 and 2). */
#undef RUSAGE_SELF
#undef RUSAGE_CHILDREN
#define RUSAGE_SELF 0
#define RUSAGE_CHILDREN (-1)
#ifdef _GNU_SOURCE
#define RUSAGE_THREAD 1
#endif

#ifndef _PYOCCLUM_SYS_RESOURCE_H
#define _PYOCCLUM_SYS_RESOURCE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long long rlim_t;

struct rlimit {
    rlim_t rlim_cur;
    rlim_t rlim_max;
};

int getrlimit(int, struct rlimit *);
int setrlimit(int, const struct rlimit *);
#ifdef _GNU_SOURCE
#include <sys/types.h>
/* src/posix_conf.c: the calling process only (another's: EPERM). */
int prlimit(pid_t, int, const struct rlimit *, struct rlimit *);
#define prlimit64 prlimit
#endif

#define RLIM_INFINITY (~0ULL)
#define RLIM_SAVED_CUR RLIM_INFINITY
#define RLIM_SAVED_MAX RLIM_INFINITY

#define RLIMIT_CPU     0
#define RLIMIT_FSIZE   1
#define RLIMIT_DATA    2
#define RLIMIT_STACK   3
#define RLIMIT_CORE    4
#define RLIMIT_RSS     5
#define RLIMIT_NPROC   6
#define RLIMIT_NOFILE  7
#define RLIMIT_MEMLOCK 8
#define RLIMIT_AS      9
#define RLIMIT_LOCKS   10
#define RLIMIT_SIGPENDING 11
#define RLIMIT_MSGQUEUE 12
#define RLIMIT_NICE    13
#define RLIMIT_RTPRIO  14
#define RLIMIT_RTTIME  15
#define RLIMIT_NLIMITS 16
#define RLIM_NLIMITS RLIMIT_NLIMITS

/* Nice values (src/misc.c): recorded by the kernel, shown in /proc/<pid>/stat. */
#define PRIO_MIN (-20)
#define PRIO_MAX 20
#define PRIO_PROCESS 0
#define PRIO_PGRP 1
#define PRIO_USER 2
int getpriority(int, id_t);
int setpriority(int, id_t, int);

#if defined(_LARGEFILE64_SOURCE) || defined(_GNU_SOURCE)
#define RLIM64_INFINITY RLIM_INFINITY
#define getrlimit64 getrlimit
#define setrlimit64 setrlimit
#define rlimit64 rlimit
#define rlim64_t rlim_t
#endif

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_SYS_RESOURCE_H */
