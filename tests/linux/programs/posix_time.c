/* Clocks and calendar time in UTC: clock_gettime/clock_getres for every clock
 * (and a bad one), time/gettimeofday agree, gmtime/timegm/mktime/localtime with
 * TZ=UTC, strftime, strptime, difftime, clock(). */
#include "linuxtest.h"
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct { clockid_t id; const char *name; } clocks[] = {
        {CLOCK_REALTIME, "REALTIME"}, {CLOCK_MONOTONIC, "MONOTONIC"},
        {CLOCK_PROCESS_CPUTIME_ID, "PROCESS_CPUTIME_ID"},
        {CLOCK_THREAD_CPUTIME_ID, "THREAD_CPUTIME_ID"},
        {CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW"}, {CLOCK_REALTIME_COARSE, "REALTIME_COARSE"},
        {CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE"}, {CLOCK_BOOTTIME, "BOOTTIME"},
    };
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        struct timespec a, b, r;
        errno = 0;
        int ga = clock_gettime(clocks[i].id, &a);
        int gb = clock_gettime(clocks[i].id, &b);
        int gr = clock_getres(clocks[i].id, &r);
        int ok = ga == 0 && gb == 0 &&
                 (b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec));
        printf("%s: gettime %d nondecreasing %d getres %d res<=10ms %d nsec ok %d\n",
               clocks[i].name, ga, ok, gr, gr == 0 && r.tv_sec == 0 && r.tv_nsec <= 10000000,
               a.tv_nsec >= 0 && a.tv_nsec < 1000000000);
    }
    struct timespec ts;
    CHECK(clock_gettime((clockid_t)12345, &ts));
    CHECK(clock_getres((clockid_t)12345, &ts));
    CHECK(clock_getres(CLOCK_REALTIME, NULL));
    CHECK(clock_settime(CLOCK_MONOTONIC, &ts));

    struct timeval tv;
    CHECK(gettimeofday(&tv, NULL));
    time_t t = time(NULL);
    printf("time ~ gettimeofday %d usec ok %d\n", t - tv.tv_sec <= 1 && t >= tv.tv_sec,
           tv.tv_usec >= 0 && tv.tv_usec < 1000000);
    time_t t2;
    printf("time(&t) same %d\n", time(&t2) == t2);
    clock_t c = clock();
    printf("clock ok %d CLOCKS_PER_SEC %ld\n", c != (clock_t)-1, (long)CLOCKS_PER_SEC);

    setenv("TZ", "UTC", 1);
    tzset();
    time_t fixed = 1700000000;
    struct tm tm;
    MUST(gmtime_r(&fixed, &tm) != NULL);
    printf("gmtime %04d-%02d-%02d %02d:%02d:%02d wday %d yday %d isdst %d\n",
           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
           tm.tm_wday, tm.tm_yday, tm.tm_isdst);
    printf("timegm %lld\n", (long long)timegm(&tm));
    struct tm lt;
    MUST(localtime_r(&fixed, &lt) != NULL);
    printf("localtime UTC hour %d gmtoff %ld zone %s\n", lt.tm_hour, (long)lt.tm_gmtoff, lt.tm_zone);
    lt.tm_mday += 40; /* normalised */
    time_t m = mktime(&lt);
    printf("mktime +40 days %lld -> %04d-%02d-%02d\n", (long long)m, lt.tm_year + 1900,
           lt.tm_mon + 1, lt.tm_mday);
    char buf[128];
    MUST(strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a %b %j %U %W %u %w %y %e %D %T %F %s %z %%",
                  &tm) > 0);
    printf("strftime %s\n", buf);
    printf("strftime too small %zu\n", strftime(buf, 4, "%Y-%m-%d", &tm));
    struct tm p;
    memset(&p, 0, sizeof p);
    char *end = strptime("2024-02-29 23:59:58 rest", "%Y-%m-%d %H:%M:%S", &p);
    printf("strptime rest '%s' %d-%d-%d %d:%d:%d\n", end ? end : "NULL", p.tm_year, p.tm_mon,
           p.tm_mday, p.tm_hour, p.tm_min, p.tm_sec);
    printf("strptime bad %s\n", strptime("2024-13-01", "%Y-%m-%d", &p) ? "ok" : "NULL");
    memset(&p, 0, sizeof p);
    end = strptime("Tue Mar  5 10:11:12 2024", "%a %b %d %H:%M:%S %Y", &p);
    printf("strptime %%a %%b: %d wday %d mon %d\n", end != NULL, p.tm_wday, p.tm_mon);
    printf("difftime %.1f\n", difftime(fixed + 90, fixed));
    printf("asctime %s", asctime(&tm));
    printf("ctime %s", ctime(&fixed));
    struct tm far;
    time_t big = 253402300799LL; /* 9999-12-31 */
    printf("gmtime 9999: %d\n", gmtime_r(&big, &far) ? far.tm_year + 1900 : -1);
    return 0;
}
