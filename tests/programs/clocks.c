/*
 * clocks: CLOCK_REALTIME and CLOCK_MONOTONIC are sane and monotone, sleeps
 * last at least as long as asked (measured by CLOCK_MONOTONIC),
 * clock_getres works, and time()/gettimeofday() agree with CLOCK_REALTIME.
 * Prints only "ok"/"FAIL" lines: never a time.
 */
#include <sys/time.h>
#include <time.h>

#include "common.h"

static long long ns_of(struct timespec ts) {
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long now_ns(clockid_t clock) {
    struct timespec ts;
    if (clock_gettime(clock, &ts) != 0) {
        FAILF("clock_gettime: %s", errname(errno));
        return -1;
    }
    if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
        FAILF("tv_nsec out of range");
    return ns_of(ts);
}

static void ok(const char *what, int good) {
    if (good)
        printf("%s: ok\n", what);
    else
        FAILF("%s", what);
}

static long long elapsed_ms_of(void (*sleeper)(void)) {
    long long t0 = now_ns(CLOCK_MONOTONIC);
    sleeper();
    return (now_ns(CLOCK_MONOTONIC) - t0) / 1000000LL;
}

static void do_nanosleep(void) {
    struct timespec req = {0, 20 * 1000000L}, rem = {0, 0};
    if (nanosleep(&req, &rem) != 0)
        FAILF("nanosleep: %s", errname(errno));
}

static void do_usleep(void) {
    if (usleep(20000) != 0)
        FAILF("usleep: %s", errname(errno));
}

static void do_clock_nanosleep(void) {
    struct timespec req = {0, 20 * 1000000L};
    int rc = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
    if (rc != 0)
        FAILF("clock_nanosleep: %s", errname(rc));
}

static void do_abs_sleep(void) {
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_nsec += 20 * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    int rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL);
    if (rc != 0)
        FAILF("clock_nanosleep TIMER_ABSTIME: %s", errname(rc));
}

int main(void) {
    /* 2020-01-01 .. 2100-01-01 */
    long long real = now_ns(CLOCK_REALTIME);
    ok("realtime after 2020", real > 1577836800LL * 1000000000LL);
    ok("realtime before 2100", real < 4102444800LL * 1000000000LL);

    long long prev_mono = now_ns(CLOCK_MONOTONIC), prev_real = real;
    int mono_ok = 1, real_ok = 1, advanced = 0;
    for (int i = 0; i < 2000; i++) {
        long long m = now_ns(CLOCK_MONOTONIC);
        long long r = now_ns(CLOCK_REALTIME);
        if (m < prev_mono)
            mono_ok = 0;
        if (r < prev_real - 1000000000LL) /* realtime may step, but not by this much */
            real_ok = 0;
        if (m > prev_mono)
            advanced = 1;
        prev_mono = m;
        prev_real = r;
    }
    ok("monotonic never goes back", mono_ok);
    ok("monotonic advances", advanced);
    ok("realtime steady", real_ok);
    ok("monotonic positive", prev_mono > 0);

    struct timespec res;
    ok("clock_getres realtime", clock_getres(CLOCK_REALTIME, &res) == 0 && ns_of(res) > 0 &&
                                    ns_of(res) <= 1000000000LL);
    ok("clock_getres monotonic", clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns_of(res) > 0 &&
                                     ns_of(res) <= 1000000000LL);

    long long ms = elapsed_ms_of(do_nanosleep);
    ok("nanosleep 20 ms lasts >= 20 ms", ms >= 20);
    ok("nanosleep 20 ms lasts < 2 s", ms < 2000);
    ms = elapsed_ms_of(do_usleep);
    ok("usleep 20 ms lasts >= 20 ms", ms >= 20);
    ms = elapsed_ms_of(do_clock_nanosleep);
    ok("clock_nanosleep 20 ms lasts >= 20 ms", ms >= 20);
    ms = elapsed_ms_of(do_abs_sleep);
    ok("clock_nanosleep TIMER_ABSTIME +20 ms lasts >= 19 ms", ms >= 19);
    {
        struct timespec zero = {0, 0};
        ok("nanosleep 0", nanosleep(&zero, NULL) == 0);
        struct timespec bad = {0, 1000000000L};
        errno = 0;
        int rc = nanosleep(&bad, NULL);
        printf("nanosleep tv_nsec=1e9: %s\n", rc == 0 ? "OK" : errname(errno));
    }

    time_t t = time(NULL);
    real = now_ns(CLOCK_REALTIME);
    long long diff = (long long)t - real / 1000000000LL;
    ok("time() within a day of realtime", diff > -86400 && diff < 86400);
    ok("time() within 2 s of realtime", diff > -2 && diff < 2);
    struct timeval tv;
    ok("gettimeofday", gettimeofday(&tv, NULL) == 0);
    diff = (long long)tv.tv_sec - now_ns(CLOCK_REALTIME) / 1000000000LL;
    ok("gettimeofday within 2 s of realtime", diff > -2 && diff < 2);
    ok("tv_usec in range", tv.tv_usec >= 0 && tv.tv_usec < 1000000);

    clock_t c0 = clock();
    volatile unsigned spin = 0;
    for (unsigned i = 0; i < 3000000; i++)
        spin += i;
    clock_t c1 = clock();
    ok("clock() does not go back", c1 >= c0 && c0 != (clock_t)-1);
    return finish();
}
