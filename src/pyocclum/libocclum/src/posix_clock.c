/*
 * POSIX sweep: clock_gettime and clock_getres refuse a clock id that is not
 * one of the four clocks (EINVAL, as Linux): wasi-libc's clockid_t is a
 * pointer to a record holding WASI's id, and its functions read whatever a
 * cast integer points at. clock() is the process's CPU time in
 * microseconds, as CLOCKS_PER_SEC says on Linux (wasi-libc's counts
 * nanoseconds of wall time since start-up). Without the kernel (wasmtime's
 * own WASI has no CPU-time clocks: EBADF) clock() falls back to
 * wasi-libc's, converted to microseconds, rather than returning -1.
 * Labels in <time.h>.
 */
#include <errno.h>
#include <time.h>

static int known(clockid_t clk) {
    return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC || clk == CLOCK_PROCESS_CPUTIME_ID ||
           clk == CLOCK_THREAD_CPUTIME_ID;
}

int __occlum_wrap_clock_gettime(clockid_t clk, struct timespec *ts) {
    if (!known(clk)) {
        errno = EINVAL;
        return -1;
    }
    return clock_gettime(clk, ts);
}

int __occlum_wrap_clock_getres(clockid_t clk, struct timespec *res) {
    if (!known(clk)) {
        errno = EINVAL;
        return -1;
    }
    struct timespec ignored;
    return clock_getres(clk, res ? res : &ignored);
}

clock_t __occlum_wrap_clock(void) {
    struct timespec ts;
    int saved = errno;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0) {
        errno = saved;
        return clock() / 1000; /* wasi-libc's: nanoseconds since start-up */
    }
    return (clock_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
