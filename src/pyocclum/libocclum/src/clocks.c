/*
 * CLOCK_PROCESS_CPUTIME_ID and CLOCK_THREAD_CPUTIME_ID (include/time.h):
 * wasi-libc's clockid_t points to a record holding the WASI clock id, which
 * its clock_gettime and clock_getres pass to WASI; it defines records for
 * the realtime and monotonic clocks only.
 */
#include <time.h>
#include <wasi/api.h>

/* wasi-libc's (cloudlibc's common/clock.h), which its public headers leave
 * incomplete. */
struct __clockid {
    __wasi_clockid_t id;
};

const struct __clockid _CLOCK_PROCESS_CPUTIME_ID = {__WASI_CLOCKID_PROCESS_CPUTIME_ID};
const struct __clockid _CLOCK_THREAD_CPUTIME_ID = {__WASI_CLOCKID_THREAD_CPUTIME_ID};
