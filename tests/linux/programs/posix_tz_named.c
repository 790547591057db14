/* Named time zones from the zone database (/usr/share/zoneinfo): a program
 * setting TZ=Europe/Berlin or America/New_York gets their offsets and
 * abbreviations, and an unknown zone falls back to UTC. */
// linux-test: xfail=no zone database in the image: occlum new does not copy /usr/share/zoneinfo (copy the zones a program needs to image/usr/share/zoneinfo)
#include "linuxtest.h"
#include <time.h>

static void at(const char *tz, time_t t) {
    setenv("TZ", tz, 1);
    tzset();
    struct tm tm;
    MUST(localtime_r(&t, &tm) != NULL);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %z %Z", &tm);
    printf("%s %lld: %s isdst %d\n", tz, (long long)t, buf, tm.tm_isdst);
}

int main(void) {
    time_t winter = 1700000000, summer = 1690000000;
    const char *zones[] = {"Europe/Berlin", "America/New_York", "Asia/Kolkata", "UTC"};
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        at(zones[i], winter);
        at(zones[i], summer);
    }
    at(":Europe/Berlin", summer);
    return 0;
}
