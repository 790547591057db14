/* poll and ppoll: what Linux reports for pipes (POLLHUP once the writer has
 * gone, POLLERR once the reader has), closed fds (POLLNVAL), negative fds
 * (skipped), regular files and /dev/null (always ready), timeouts, errors. */
#include "linuxtest.h"
#include <fcntl.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

static void show(const char *what, struct pollfd *fds, int n, int rc) {
    printf("%s: %d", what, rc);
    for (int i = 0; i < n; i++)
        printf(" %#x", fds[i].revents);
    printf("\n");
}

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void) {
    int p[2];
    MUST(pipe(p) == 0);
    struct pollfd fds[4] = {
        {.fd = p[0], .events = POLLIN | POLLRDNORM | POLLPRI},
        {.fd = p[1], .events = POLLOUT | POLLWRNORM},
        {.fd = -5, .events = POLLIN},
        {.fd = 60, .events = POLLIN},
    };
    show("fresh pipe", fds, 4, poll(fds, 4, 0));
    fds[3].fd = -1;
    show("without the closed fd", fds, 4, poll(fds, 4, 0));
    show("only the reader", fds, 1, poll(fds, 1, 0));
    MUST(write(p[1], "abc", 3) == 3);
    show("data", fds, 2, poll(fds, 2, 0));
    fds[0].events = 0;
    show("no events asked", fds, 1, poll(fds, 1, 0));
    fds[0].events = POLLIN;
    CHECK(close(p[1]));
    show("writer closed, data left", fds, 1, poll(fds, 1, 0));
    char buf[8];
    CHECK(read(p[0], buf, sizeof buf));
    show("writer closed, empty", fds, 1, poll(fds, 1, 0));
    fds[0].events = 0;
    show("HUP even unasked", fds, 1, poll(fds, 1, 0));
    CHECK(close(p[0]));

    int q[2];
    MUST(pipe(q) == 0);
    CHECK(close(q[0]));
    struct pollfd w = {.fd = q[1], .events = POLLOUT};
    show("reader closed", &w, 1, poll(&w, 1, 0));
    w.events = 0;
    show("ERR even unasked", &w, 1, poll(&w, 1, 0));
    CHECK(close(q[1]));

    /* A full pipe is not writable. */
    MUST(pipe(q) == 0);
    MUST(fcntl(q[1], F_SETFL, O_NONBLOCK) == 0);
    static char big[4096];
    while (write(q[1], big, sizeof big) > 0) {
    }
    w.fd = q[1];
    w.events = POLLOUT;
    show("full pipe", &w, 1, poll(&w, 1, 0));
    MUST(read(q[0], big, sizeof big) == sizeof big);
    show("room again", &w, 1, poll(&w, 1, 0));

    int f = open("file", O_CREAT | O_RDWR, 0644);
    int null = open("/dev/null", O_RDWR);
    MUST(f >= 0 && null >= 0);
    struct pollfd files[2] = {{.fd = f, .events = POLLIN | POLLOUT | POLLPRI},
                              {.fd = null, .events = POLLIN | POLLOUT}};
    show("regular file and /dev/null", files, 2, poll(files, 2, 0));
    struct pollfd in = {.fd = 0, .events = POLLIN};
    show("stdin (/dev/null)", &in, 1, poll(&in, 1, 0));

    /* Timeouts: nothing ready sleeps about that long. */
    struct pollfd idle = {.fd = q[0], .events = POLLIN};
    MUST(read(q[0], big, sizeof big) >= 0);
    while (poll(&idle, 1, 0) == 1)
        MUST(read(q[0], big, sizeof big) > 0);
    long t0 = now_ms();
    show("timeout 80 ms", &idle, 1, poll(&idle, 1, 80));
    long t = now_ms() - t0;
    printf("slept 70..3000 ms: %d\n", t >= 70 && t < 3000);
    t0 = now_ms();
    CHECK(poll(NULL, 0, 50));
    t = now_ms() - t0;
    printf("no fds slept 40..3000 ms: %d\n", t >= 40 && t < 3000);
    struct timespec ts = {0, 30 * 1000 * 1000};
    CHECK(ppoll(&idle, 1, &ts, NULL));
    struct timespec bad = {0, 1000000000};
    CHECK(ppoll(&idle, 1, &bad, NULL));
    struct timespec neg = {-1, 0};
    CHECK(ppoll(&idle, 1, &neg, NULL));
    volatile nfds_t too_many = 100000; /* above RLIMIT_NOFILE */
    CHECK(poll(&idle, too_many, 0));
    return 0;
}
