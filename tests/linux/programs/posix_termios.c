/* Terminal control on what is not a terminal (a file, /dev/null, a pipe: the
 * test's stdin/stdout are not terminals either): tcgetattr, tcsetattr,
 * tcflush, tcdrain, tcgetpgrp, tcgetsid and the terminal ioctls fail with
 * ENOTTY (EBADF for a closed fd); cfmakeraw and the speed functions work on
 * a struct termios alone. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
    int f = open("file", O_CREAT | O_RDWR, 0644);
    int n = open("/dev/null", O_RDWR);
    int p[2];
    MUST(f >= 0 && n >= 0 && pipe(p) == 0);
    int fds[] = {f, n, p[0], 99};
    const char *names[] = {"file", "/dev/null", "pipe", "closed fd"};
    for (int i = 0; i < 4; i++) {
        int fd = fds[i];
        struct termios t;
        struct winsize ws;
        pid_t pg;
        printf("%s:\n", names[i]);
        CHECK(tcgetattr(fd, &t));
        memset(&t, 0, sizeof t);
        CHECK(tcsetattr(fd, TCSANOW, &t));
        CHECK(tcflush(fd, TCIFLUSH));
        CHECK(tcdrain(fd));
        CHECK(tcgetpgrp(fd));
        CHECK(tcgetsid(fd));
        CHECK(ioctl(fd, TIOCGWINSZ, &ws));
        CHECK(ioctl(fd, TCGETS, &t));
        CHECK(ioctl(fd, TIOCGPGRP, &pg));
    }
    struct termios t;
    memset(&t, 0, sizeof t);
    t.c_iflag = ICRNL | IXON | BRKINT;
    t.c_oflag = OPOST | ONLCR;
    t.c_lflag = ICANON | ECHO | ISIG | IEXTEN | ECHOE;
    t.c_cflag = CS7 | PARENB | CREAD;
    cfmakeraw(&t);
    printf("raw: iflag %o oflag %o lflag %o cflag %o vmin %d vtime %d\n", t.c_iflag, t.c_oflag,
           t.c_lflag, t.c_cflag, t.c_cc[VMIN], t.c_cc[VTIME]);
    CHECK(cfsetospeed(&t, B9600));
    CHECK(cfsetispeed(&t, B9600));
    printf("ospeed B9600 %d ispeed B9600 %d\n", cfgetospeed(&t) == B9600, cfgetispeed(&t) == B9600);
    CHECK(cfsetospeed(&t, 12345));
    CHECK(cfsetspeed(&t, B115200));
    printf("speed B115200 %d\n", cfgetospeed(&t) == B115200);
    CHECK(isatty(STDOUT_FILENO));
    return 0;
}
