/* Pipes: a write larger than PIPE_BUF, filling a pipe set to 64 KiB with
 * O_NONBLOCK (EAGAIN, and the count that fitted), F_GETPIPE_SZ/F_SETPIPE_SZ
 * (rounding, EBUSY, EINVAL, EBADF; the default size is posix_pipe_capacity's),
 * EPIPE with SIGPIPE ignored, end of file after the writer closes, and the
 * errors of reading the write end and writing the read end. */
#include "linuxtest.h"
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

int main(void) {
    printf("PIPE_BUF %d\n", PIPE_BUF);
    int p[2];
    MUST(pipe(p) == 0);
    CHECK(fcntl(p[1], F_SETPIPE_SZ, 65536));
    CHECK(fcntl(p[0], F_GETPIPE_SZ));
    CHECK(fcntl(p[1], F_SETFL, O_NONBLOCK));
    static char big[1 << 20];
    memset(big, 'p', sizeof big);
    ssize_t w = write(p[1], big, 8192);
    printf("write 8192 = %zd\n", w);
    ssize_t total = w;
    for (;;) {
        errno = 0;
        w = write(p[1], big, 4096);
        if (w < 0) break;
        total += w;
    }
    printf("filled: %zd then %s\n", total, errname(errno));
    CHECK(write(p[1], big, 1));
    static char rbuf[1 << 20];
    CHECK(fcntl(p[1], F_SETPIPE_SZ, 4096)); /* 64 KiB buffered */
    CHECK(read(p[0], rbuf, 8192));
    CHECK(write(p[1], big, 100));
    ssize_t drained = 0;
    CHECK(fcntl(p[0], F_SETFL, O_NONBLOCK));
    for (;;) {
        ssize_t r = read(p[0], rbuf, sizeof rbuf);
        if (r <= 0) break;
        drained += r;
    }
    printf("drained %zd then %s\n", drained, errname(errno));
    CHECK(fcntl(p[1], F_SETPIPE_SZ, 5000));
    CHECK(fcntl(p[1], F_GETPIPE_SZ));
    CHECK(fcntl(p[1], F_SETPIPE_SZ, 1 << 20));
    CHECK(fcntl(p[1], F_GETPIPE_SZ));
    CHECK(fcntl(p[1], F_SETPIPE_SZ, 4096));
    CHECK(fcntl(p[1], F_GETPIPE_SZ));
    CHECK(fcntl(p[1], F_SETPIPE_SZ, 0));
    CHECK(fcntl(p[1], F_GETPIPE_SZ));
    CHECK(fcntl(p[1], F_SETPIPE_SZ, -1));
    int fd = open("notapipe", O_CREAT | O_RDWR, 0644);
    MUST(fd >= 0);
    CHECK(fcntl(fd, F_GETPIPE_SZ));
    close(fd);

    CHECK(read(p[1], rbuf, 1));
    CHECK(write(p[0], "x", 1));
    CHECK(lseek(p[0], 0, SEEK_SET));

    CHECK(close(p[1]));
    CHECK(read(p[0], rbuf, 10));
    CHECK(close(p[0]));

    MUST(pipe(p) == 0);
    signal(SIGPIPE, SIG_IGN);
    CHECK(close(p[0]));
    CHECK(write(p[1], "x", 1));
    CHECK(close(p[1]));

    MUST(pipe2(p, O_NONBLOCK | O_CLOEXEC) == 0);
    printf("pipe2 flags nonblock %d cloexec %d\n", (fcntl(p[0], F_GETFL) & O_NONBLOCK) != 0,
           fcntl(p[1], F_GETFD) == FD_CLOEXEC);
    CHECK(read(p[0], rbuf, 1));
    CHECK(pipe2(p, 0x12345678));
    return 0;
}
