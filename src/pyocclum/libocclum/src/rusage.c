/*
 * CPU time over the kernel's accounting (docs/abi.md "CPU time"): getrusage
 * and times for the process and its reaped children; wait4's rusage is in
 * wait.c. The LibOS's processes share one host process: each one's time is
 * what its host threads spent running it.
 */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <time.h>

#include "internal.h"
#include "occlum.h"

void __occlum_fill_rusage(const struct occlum_rusage *k, struct rusage *ru) {
    memset(ru, 0, sizeof *ru);
    ru->ru_utime.tv_sec = (time_t)(k->user_ns / 1000000000u);
    ru->ru_utime.tv_usec = (suseconds_t)(k->user_ns % 1000000000u / 1000u);
    ru->ru_stime.tv_sec = (time_t)(k->sys_ns / 1000000000u);
    ru->ru_stime.tv_usec = (suseconds_t)(k->sys_ns % 1000000000u / 1000u);
    ru->ru_maxrss = (long)k->maxrss_kib;
}

int __occlum_wrap_getrusage(int who, struct rusage *ru) {
    struct occlum_rusage k;
    int32_t rc = __occlum_getrusage(who, &k);
    if (rc != 0)
        return __occlum_result(rc);
    __occlum_fill_rusage(&k, ru);
    return 0;
}

/* Linux counts times() in clock ticks (100 a second); its return value is
 * the monotonic clock in ticks. */
clock_t __occlum_wrap_times(struct tms *buf) {
    const uint64_t per_tick = 1000000000u / 100;
    if (buf != NULL) {
        struct occlum_rusage self, children;
        int32_t rc = __occlum_getrusage(0, &self);
        if (rc == 0)
            rc = __occlum_getrusage(-1, &children);
        if (rc != 0)
            return (clock_t)__occlum_result(rc);
        buf->tms_utime = (clock_t)(self.user_ns / per_tick);
        buf->tms_stime = (clock_t)(self.sys_ns / per_tick);
        buf->tms_cutime = (clock_t)(children.user_ns / per_tick);
        buf->tms_cstime = (clock_t)(children.sys_ns / per_tick);
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (clock_t)((uint64_t)now.tv_sec * 100 + (uint64_t)now.tv_nsec / per_tick);
}
