/* Time zones from POSIX TZ strings (no database needed): offsets and DST rules,
 * localtime/mktime round trips, tzname/timezone/daylight, mktime with
 * tm_isdst -1. Named zones are posix_tz_named's. */
#include "linuxtest.h"
#include <time.h>
#include <unistd.h>

static void at(const char *tz, time_t t) {
    setenv("TZ", tz, 1);
    tzset();
    struct tm tm;
    MUST(localtime_r(&t, &tm) != NULL);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
    printf("%-28s %lld: %s isdst %d gmtoff %ld\n", tz, (long long)t, buf, tm.tm_isdst,
           (long)tm.tm_gmtoff);
    struct tm back = tm;
    printf("  mktime round trip %d\n", mktime(&back) == t);
}

int main(void) {
    time_t winter = 1700000000; /* 2023-11-14 */
    time_t summer = 1690000000; /* 2023-07-22 */
    const char *zones[] = {"UTC0", "EST5EDT,M3.2.0,M11.1.0", "CET-1CEST,M3.5.0,M10.5.0/3",
                           "<+0530>-5:30", "JST-9", "NZST-12NZDT,M9.5.0,M4.1.0/3"};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        at(zones[i], winter);
        at(zones[i], summer);
    }
    setenv("TZ", "EST5EDT,M3.2.0,M11.1.0", 1);
    tzset();
    printf("tzname %s %s timezone %ld daylight %d\n", tzname[0], tzname[1], timezone, daylight);
    /* mktime with tm_isdst -1 in the gap-free summer */
    struct tm tm = {.tm_year = 123, .tm_mon = 6, .tm_mday = 4, .tm_hour = 12, .tm_isdst = -1};
    time_t t = mktime(&tm);
    printf("mktime isdst=-1: %lld isdst %d\n", (long long)t, tm.tm_isdst);
    return 0;
}
