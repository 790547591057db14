/* grantpt, unlockpt and ptsname on descriptors that are not pseudo-terminal
 * masters (a file, a pipe, a closed fd), and clock_getcpuclockid: the
 * caller's clock works with clock_gettime, a missing process is ESRCH. */
#include "linuxtest.h"
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    int f = open("file", O_CREAT | O_RDWR, 0644);
    int p[2];
    MUST(f >= 0 && pipe(p) == 0);
    int fds[] = {f, p[0], 99};
    const char *names[] = {"file", "pipe", "closed fd"};
    for (int i = 0; i < 3; i++) {
        printf("%s:\n", names[i]);
        CHECK(grantpt(fds[i]));
        CHECK(unlockpt(fds[i]));
        errno = 0;
        char *n = ptsname(fds[i]);
        printf("ptsname %s %s\n", n ? "name" : "NULL", errname(errno));
        char buf[64];
        CHECK_ERRNO(ptsname_r(fds[i], buf, sizeof buf));
    }
    clockid_t c;
    CHECK_ERRNO(clock_getcpuclockid(0, &c));
    struct timespec ts;
    CHECK(clock_gettime(c, &ts));
    CHECK_ERRNO(clock_getcpuclockid(getpid(), &c));
    CHECK_ERRNO(clock_getcpuclockid(999999, &c));
    return 0;
}
