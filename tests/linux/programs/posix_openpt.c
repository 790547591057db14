/* A pseudo-terminal pair: posix_openpt, grantpt, unlockpt, ptsname, and
 * opening the slave (what terminal emulators, expect and script do). */
// linux-test: xfail=there are no pseudo-terminals inside (no /dev/ptmx): posix_openpt fails with ENOENT
#include "linuxtest.h"
#include <fcntl.h>
#include <unistd.h>

int main(void) {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    printf("posix_openpt %s\n", m >= 0 ? "ok" : errname(errno));
    if (m < 0)
        return 1;
    CHECK(grantpt(m));
    CHECK(unlockpt(m));
    char *name = ptsname(m);
    printf("ptsname under /dev/pts %d\n", name && strncmp(name, "/dev/pts/", 9) == 0);
    int s = open(name, O_RDWR | O_NOCTTY);
    printf("slave %s isatty %d\n", s >= 0 ? "opened" : errname(errno), s >= 0 && isatty(s));
    return 0;
}
