/*
 * poll: poll() and select() on stdin with data ready, on a regular file,
 * and with no fds and a 30 ms timeout (which must last >= 30 ms).
 * Run with some bytes on stdin.
 */
#include <poll.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <time.h>

#include "common.h"

static long long mono_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
    struct pollfd p[2];

    /* stdin has data: ready at once */
    p[0].fd = 0;
    p[0].events = POLLIN;
    p[0].revents = 0;
    int rc = poll(p, 1, 5000);
    printf("poll stdin: %d, POLLIN %d\n", rc, (p[0].revents & POLLIN) != 0);
    CHECK(rc == 1 && (p[0].revents & POLLIN));

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(0, &rd);
    struct timeval tv = {5, 0};
    rc = select(1, &rd, NULL, NULL, &tv);
    printf("select stdin: %d, readable %d\n", rc, FD_ISSET(0, &rd) != 0);
    CHECK(rc == 1 && FD_ISSET(0, &rd));

    char buf[64];
    ssize_t n = read(0, buf, 5);
    printf("read after poll: %ld\n", (long)n);
    CHECK(n > 0);

    /* a regular file is always ready for reading and writing */
    int fd = open("/tmp/poll-file", O_RDWR | O_CREAT | O_TRUNC, 0644);
    EXPECT_OK(fd, "create /tmp/poll-file");
    CHECK(write(fd, "x", 1) == 1);
    CHECK(lseek(fd, 0, SEEK_SET) == 0); /* wasmtime: not readable at EOF */
    p[0].fd = fd;
    p[0].events = POLLIN;
    p[0].revents = 0;
    rc = poll(p, 1, 5000);
    printf("poll file POLLIN: %d, POLLIN %d\n", rc, (p[0].revents & POLLIN) != 0);
    CHECK(rc == 1 && (p[0].revents & POLLIN));
    p[0].events = POLLOUT;
    p[0].revents = 0;
    rc = poll(p, 1, 5000);
    printf("poll file POLLOUT: %d, POLLOUT %d\n", rc, (p[0].revents & POLLOUT) != 0);
    CHECK(rc == 1 && (p[0].revents & POLLOUT));
    FD_ZERO(&rd);
    FD_SET(fd, &rd);
    tv.tv_sec = 5;
    tv.tv_usec = 0;
    rc = select(fd + 1, &rd, NULL, NULL, &tv);
    printf("select file: %d, readable %d\n", rc, FD_ISSET(fd, &rd) != 0);
    CHECK(rc == 1 && FD_ISSET(fd, &rd));
    if (linux_mode(argc, argv)) {
        /* wasmtime reports one event per poll; Linux reports all that are ready */
        p[0].events = POLLIN | POLLOUT;
        p[0].revents = 0;
        rc = poll(p, 1, 5000);
        printf("linux: poll file POLLIN|POLLOUT: %d, POLLIN %d, POLLOUT %d\n", rc,
               (p[0].revents & POLLIN) != 0, (p[0].revents & POLLOUT) != 0);
        CHECK(rc == 1 && (p[0].revents & POLLIN) && (p[0].revents & POLLOUT));
        FD_ZERO(&rd);
        FD_SET(fd, &rd);
        fd_set wr;
        FD_ZERO(&wr);
        FD_SET(fd, &wr);
        tv.tv_sec = 5;
        tv.tv_usec = 0;
        rc = select(fd + 1, &rd, &wr, NULL, &tv);
        printf("linux: select file: %d, readable %d, writable %d\n", rc, FD_ISSET(fd, &rd) != 0,
               FD_ISSET(fd, &wr) != 0);
        CHECK(rc == 2);
        /* Linux: a regular file polls readable even at EOF */
        CHECK(lseek(fd, 0, SEEK_END) == 1);
        p[0].fd = fd;
        p[0].events = POLLIN;
        p[0].revents = 0;
        rc = poll(p, 1, 5000);
        printf("linux: poll file at EOF: %d, POLLIN %d\n", rc, (p[0].revents & POLLIN) != 0);
        CHECK(rc == 1 && (p[0].revents & POLLIN));
    }
    close(fd);
    unlink("/tmp/poll-file");

    /* stdout is writable */
    fflush(stdout);
    p[0].fd = 1;
    p[0].events = POLLOUT;
    p[0].revents = 0;
    rc = poll(p, 1, 5000);
    printf("poll stdout: %d, POLLOUT %d\n", rc, (p[0].revents & POLLOUT) != 0);
    CHECK(rc == 1 && (p[0].revents & POLLOUT));

    /* a negative fd is ignored */
    p[0].fd = -1;
    p[0].events = POLLIN;
    p[0].revents = 0;
    p[1].fd = 0;
    p[1].events = POLLIN;
    p[1].revents = 0;
    rc = poll(p, 2, 5000);
    printf("poll with fd -1: %d, revents %d/%d\n", rc, p[0].revents, (p[1].revents & POLLIN) != 0);
    CHECK(rc == 1 && p[0].revents == 0);

    /* timeouts with nothing to wait for */
    long long t0 = mono_ms();
    rc = poll(NULL, 0, 30);
    long long dt = mono_ms() - t0;
    printf("poll no fds 30 ms: %d, lasted >= 30 ms %d\n", rc, dt >= 30);
    CHECK(rc == 0 && dt >= 30 && dt < 3000);
    t0 = mono_ms();
    tv.tv_sec = 0;
    tv.tv_usec = 30000;
    rc = select(0, NULL, NULL, NULL, &tv);
    dt = mono_ms() - t0;
    printf("select no fds 30 ms: %d, lasted >= 30 ms %d\n", rc, dt >= 30);
    CHECK(rc == 0 && dt >= 30 && dt < 3000);
    t0 = mono_ms();
    rc = poll(NULL, 0, 0);
    printf("poll no fds 0 ms: %d\n", rc);
    CHECK(rc == 0 && mono_ms() - t0 < 1000);
    return finish();
}
