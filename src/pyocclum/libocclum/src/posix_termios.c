/*
 * POSIX sweep: terminal control, which wasi-libc leaves out: the termios
 * calls (tcgetattr, tcsetattr, tcdrain, tcflush, tcflow, tcsendbreak,
 * tcgetsid, tcgetpgrp, tcsetpgrp, cfmakeraw and the cf*speed functions) and
 * the terminal ioctls (label in <sys/ioctl.h>: TCGETS, TCSETS*,
 * TIOCGWINSZ, TIOCSWINSZ, TIOCGPGRP, TIOCSPGRP; other requests go to
 * wasi-libc's ioctl).
 *
 * Like Linux, every one of them fails with ENOTTY on a descriptor that is
 * not a terminal (EBADF on a closed one). The only terminal is the console
 * (isatty), which is the host's: its settings are recorded and reported back
 * (a new process starts with Linux's defaults for a terminal in cooked
 * mode) but not applied, and its size is $LINES x $COLUMNS, else 24 x 80,
 * until TIOCSWINSZ sets one.
 *
 * There are no pseudo-terminals: posix_openpt fails with ENOENT (Linux
 * without /dev/ptmx), grantpt/unlockpt/ptsname answer as glibc does for a
 * descriptor that is not a master. getpass reads /dev/tty (else stdin),
 * with echo on: the console is the host's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define LINUX_TCGETS 0x5401
#define LINUX_TCSETS 0x5402
#define LINUX_TCSETSW 0x5403
#define LINUX_TCSETSF 0x5404
#define LINUX_TIOCGPGRP 0x540F
#define LINUX_TIOCSPGRP 0x5410
#define LINUX_TIOCGWINSZ 0x5413
#define LINUX_TIOCSWINSZ 0x5414

struct occlum_winsize {
    unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel;
};

static struct termios console;
static int console_set;
static struct occlum_winsize size;
static int size_set;

/* 0 if fd is a terminal; else -1 with errno EBADF or ENOTTY (isatty's). */
static int need_tty(int fd) {
    if (isatty(fd))
        return 0;
    if (errno != EBADF)
        errno = ENOTTY;
    return -1;
}

static void defaults(void) {
    if (console_set)
        return;
    memset(&console, 0, sizeof console);
    console.c_iflag = ICRNL | IXON;
    console.c_oflag = OPOST | ONLCR;
    console.c_cflag = B38400 | CS8 | CREAD;
    console.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | IEXTEN | ECHOCTL | ECHOKE;
    static const unsigned char cc[] = {[VINTR] = 3, [VQUIT] = 034, [VERASE] = 0177,
                                       [VKILL] = 025, [VEOF] = 4, [VTIME] = 0, [VMIN] = 1,
                                       [VSTART] = 021, [VSTOP] = 023, [VSUSP] = 032,
                                       [VREPRINT] = 022, [VDISCARD] = 017, [VWERASE] = 027,
                                       [VLNEXT] = 026};
    memcpy(console.c_cc, cc, sizeof cc);
    console.__c_ispeed = console.__c_ospeed = B38400;
    console_set = 1;
}

int tcgetattr(int fd, struct termios *t) {
    if (need_tty(fd))
        return -1;
    defaults();
    *t = console;
    return 0;
}

int tcsetattr(int fd, int act, const struct termios *t) {
    if (need_tty(fd))
        return -1;
    if (act != TCSANOW && act != TCSADRAIN && act != TCSAFLUSH) {
        errno = EINVAL;
        return -1;
    }
    console = *t;
    console_set = 1;
    return 0;
}

int tcdrain(int fd) { return need_tty(fd); }

int tcflush(int fd, int queue) {
    if (need_tty(fd))
        return -1;
    if (queue != TCIFLUSH && queue != TCOFLUSH && queue != TCIOFLUSH) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int tcflow(int fd, int action) {
    if (need_tty(fd))
        return -1;
    if (action < TCOOFF || action > TCION) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int tcsendbreak(int fd, int duration) {
    (void)duration;
    return need_tty(fd);
}

pid_t tcgetsid(int fd) { return need_tty(fd) ? -1 : getsid(0); }
pid_t tcgetpgrp(int fd) { return need_tty(fd) ? -1 : getpgrp(); }

int tcsetpgrp(int fd, pid_t pgrp) {
    if (need_tty(fd))
        return -1;
    if (pgrp < 0) {
        errno = EINVAL;
        return -1;
    }
    if (pgrp != getpgrp()) {
        errno = EPERM; /* only the caller's own group can have the console */
        return -1;
    }
    return 0;
}

void cfmakeraw(struct termios *t) {
    t->c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t->c_oflag &= ~(tcflag_t)OPOST;
    t->c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
    t->c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t->c_cflag |= CS8;
    t->c_cc[VMIN] = 1;
    t->c_cc[VTIME] = 0;
}

speed_t cfgetospeed(const struct termios *t) { return t->c_cflag & CBAUD; }
speed_t cfgetispeed(const struct termios *t) { return cfgetospeed(t); }

int cfsetospeed(struct termios *t, speed_t speed) {
    if (speed & ~(speed_t)CBAUD) {
        errno = EINVAL;
        return -1;
    }
    t->c_cflag = (t->c_cflag & ~(tcflag_t)CBAUD) | speed;
    t->__c_ospeed = speed;
    return 0;
}

int cfsetispeed(struct termios *t, speed_t speed) { return speed ? cfsetospeed(t, speed) : 0; }
int cfsetspeed(struct termios *t, speed_t speed) { return cfsetospeed(t, speed); }

int ioctl(int, int, ...); /* wasi-libc's: FIONREAD, FIONBIO */

int __occlum_wrap_ioctl(int fd, int req, ...) {
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    switch (req) {
    case LINUX_TCGETS:
        return tcgetattr(fd, arg);
    case LINUX_TCSETS:
    case LINUX_TCSETSW:
    case LINUX_TCSETSF:
        return tcsetattr(fd, TCSANOW, arg);
    case LINUX_TIOCGPGRP:
        if (need_tty(fd))
            return -1;
        *(pid_t *)arg = getpgrp();
        return 0;
    case LINUX_TIOCSPGRP:
        return tcsetpgrp(fd, *(pid_t *)arg);
    case LINUX_TIOCGWINSZ:
        if (need_tty(fd))
            return -1;
        if (!size_set) {
            const char *l = getenv("LINES"), *c = getenv("COLUMNS");
            size.ws_row = l && atoi(l) > 0 ? (unsigned short)atoi(l) : 24;
            size.ws_col = c && atoi(c) > 0 ? (unsigned short)atoi(c) : 80;
        }
        memcpy(arg, &size, sizeof size);
        return 0;
    case LINUX_TIOCSWINSZ:
        if (need_tty(fd))
            return -1;
        memcpy(&size, arg, sizeof size);
        size_set = 1;
        return 0;
    default:
        return ioctl(fd, req, arg);
    }
}

/* --- pseudo-terminals: there are none (no /dev/ptmx) --- */

int posix_openpt(int flags) {
    (void)flags;
    errno = ENOENT; /* as Linux without /dev/ptmx */
    return -1;
}

/* No descriptor is a pseudo-terminal master: glibc's answers for one that
 * is not (EBADF for a closed one). */
static int not_master(int fd, int err) {
    errno = isatty(fd) || errno != EBADF ? err : EBADF;
    return -1;
}

int grantpt(int fd) { return not_master(fd, EINVAL); }
int unlockpt(int fd) { return not_master(fd, EINVAL); }

int ptsname_r(int fd, char *buf, size_t len) {
    (void)buf;
    (void)len;
    not_master(fd, ENOTTY);
    return errno;
}

char *ptsname(int fd) {
    not_master(fd, ENOTTY);
    return NULL;
}

/* getpass: the prompt to /dev/tty and a line from it, else stderr and
 * stdin (glibc's fallback). The console's echo cannot be turned off: the
 * host's terminal shows what is typed. */
char *getpass(const char *prompt) {
    static char line[128];
    FILE *in = fopen("/dev/tty", "r+e"), *out = in;
    if (!in) {
        in = stdin;
        out = stderr;
    }
    fputs(prompt, out);
    fflush(out);
    char *r = fgets(line, sizeof line, in);
    if (in != stdin)
        fclose(in);
    if (!r)
        return NULL;
    line[strcspn(line, "\n")] = 0;
    return line;
}
