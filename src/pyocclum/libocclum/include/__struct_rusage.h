/*
 * __struct_rusage.h: Linux's struct rusage (wasi-libc's has ru_utime and
 * ru_stime only), so that programs reading ru_maxrss and the rest compile.
 * libocclum's getrusage and wait4 fill it (src/rusage.c): the CPU times and
 * ru_maxrss; the other counters are 0.
 */
#pragma GCC system_header

#ifndef __wasilibc___struct_rusage_h
#define __wasilibc___struct_rusage_h

#include <__struct_timeval.h>

struct rusage {
    struct timeval ru_utime;
    struct timeval ru_stime;
    long ru_maxrss;
    long ru_ixrss;
    long ru_idrss;
    long ru_isrss;
    long ru_minflt;
    long ru_majflt;
    long ru_nswap;
    long ru_inblock;
    long ru_oublock;
    long ru_msgsnd;
    long ru_msgrcv;
    long ru_nsignals;
    long ru_nvcsw;
    long ru_nivcsw;
    long __reserved[16];
};

#endif
