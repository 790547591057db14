/*
 * abort() and the sleeps, which init.c takes over from wasi-libc, and the
 * interval timers (over the kernel's setitimer).
 *
 * abort raises SIGABRT as glibc does: unblock it, raise it (a handler
 * runs), and if the process is still alive, reset it to SIG_DFL and raise
 * it again; the default action ends the process with SIGABRT.
 *
 * The sleeps wait in poll_oneoff, which a signal interrupts (EINTR, after
 * the handler ran; never restarted, as on Linux); the remaining time of a
 * relative sleep is measured on CLOCK_MONOTONIC. Only CLOCK_REALTIME and
 * CLOCK_MONOTONIC (and their aliases in <time.h>) can be slept on: the CPU
 * time clocks are EINVAL.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <wasi/api.h>

#include "internal.h"
#include "signal_internal.h"

_Noreturn void __occlum_abort(void) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGABRT);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(SIGABRT);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigfillset(&sa.sa_mask);
    sigaction(SIGABRT, &sa, NULL);
    raise(SIGABRT);
    __builtin_trap(); /* unreachable: the kernel ended the process */
}

static int64_t now_ns(__wasi_clockid_t clock) {
    __wasi_timestamp_t t = 0;
    (void)__wasi_clock_time_get(clock, 1, &t);
    return (int64_t)t;
}

int __occlum_clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                             struct timespec *rem) {
    __wasi_clockid_t id;
    if (clock == CLOCK_REALTIME)
        id = __WASI_CLOCKID_REALTIME;
    else if (clock == CLOCK_MONOTONIC)
        id = __WASI_CLOCKID_MONOTONIC;
    else
        return EINVAL;
    if (req == NULL)
        return EFAULT; /* Linux reads the request and faults */
    if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000)
        return EINVAL;
    int absolute = flags & TIMER_ABSTIME; /* Linux ignores the other bits */
    const int64_t max = INT64_MAX / 1000000000 - 1;
    int64_t ns = (req->tv_sec > max ? max : (int64_t)req->tv_sec) * 1000000000 + req->tv_nsec;
    int64_t start = absolute ? 0 : now_ns(__WASI_CLOCKID_MONOTONIC);
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = id;
    sub.u.u.clock.timeout = (__wasi_timestamp_t)ns;
    sub.u.u.clock.flags = absolute ? __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME : 0;
    __wasi_event_t ev;
    __wasi_size_t n = 0;
    __wasi_errno_t e = __wasi_poll_oneoff(&sub, &ev, 1, &n);
    if (e == EINTR && !absolute && rem != NULL) {
        int64_t left = ns - (now_ns(__WASI_CLOCKID_MONOTONIC) - start);
        if (left < 0)
            left = 0;
        rem->tv_sec = (time_t)(left / 1000000000);
        rem->tv_nsec = (long)(left % 1000000000);
    }
    if (e != 0)
        return e;
    return n == 1 ? ev.error : 0;
}

unsigned __occlum_sleep(unsigned seconds) {
    struct timespec req = {(time_t)seconds, 0}, rem = {0, 0};
    if (__occlum_clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem) == EINTR)
        return (unsigned)rem.tv_sec; /* whole seconds left, as glibc and musl */
    return 0;
}

/* --- interval timers --- */

static int timeval_ns(const struct timeval *tv, int64_t *out) {
    if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
        return EINVAL;
    const int64_t max = INT64_MAX / 1000000000 - 1;
    *out = (tv->tv_sec > max ? max : (int64_t)tv->tv_sec) * 1000000000 +
           (int64_t)tv->tv_usec * 1000;
    return 0;
}

static void ns_timeval(int64_t ns, struct timeval *tv) {
    /* rounded up to a microsecond: a timer that is armed never reads as 0 */
    int64_t us = (ns + 999) / 1000;
    tv->tv_sec = (time_t)(us / 1000000);
    tv->tv_usec = (suseconds_t)(us % 1000000);
}

int setitimer(int which, const struct itimerval *restrict value, struct itimerval *restrict old) {
    int64_t next[2] = {0, 0}, prev[2];
    if (value != NULL) { /* NULL disarms, as Linux */
        int e = timeval_ns(&value->it_value, &next[0]);
        if (e == 0)
            e = timeval_ns(&value->it_interval, &next[1]);
        if (e != 0) {
            errno = e;
            return -1;
        }
    }
    int32_t rc = __occlum_setitimer((uint32_t)which, next, old != NULL ? prev : NULL);
    if (rc != 0)
        return __occlum_result(rc);
    if (old != NULL) {
        ns_timeval(prev[0], &old->it_value);
        ns_timeval(prev[1], &old->it_interval);
    }
    return 0;
}

int getitimer(int which, struct itimerval *value) {
    int64_t cur[2];
    int32_t rc = __occlum_setitimer((uint32_t)which, NULL, cur);
    if (rc != 0)
        return __occlum_result(rc);
    ns_timeval(cur[0], &value->it_value);
    ns_timeval(cur[1], &value->it_interval);
    return 0;
}
