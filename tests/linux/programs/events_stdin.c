/* Standard input in poll, select and epoll: /dev/null (the suite's stdin) is
 * always readable and at end of file; /dev/null cannot join an epoll set
 * (EPERM); a pipe put on fd 0 with dup2 can, and wakes epoll_wait. */
#include "linuxtest.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

int main(void) {
    struct pollfd pfd = {.fd = 0, .events = POLLIN};
    CHECK(poll(&pfd, 1, 1000));
    printf("revents %#x\n", pfd.revents);
    char c;
    CHECK(read(0, &c, 1));
    fd_set r;
    FD_ZERO(&r);
    FD_SET(0, &r);
    struct timeval tv = {1, 0};
    CHECK(select(1, &r, NULL, NULL, &tv));
    printf("stdin readable %d\n", FD_ISSET(0, &r));

    int ep = epoll_create1(0);
    MUST(ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = 0}, out[2];
    int null = open("/dev/null", O_RDONLY);
    MUST(null >= 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, null, &ev));
    int zero = open("/dev/zero", O_RDONLY);
    MUST(zero >= 0);
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, zero, &ev));

    int p[2];
    MUST(pipe(p) == 0);
    CHECK(dup2(p[0], 0));
    CHECK(close(p[0]));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev));
    CHECK(epoll_wait(ep, out, 2, 20));
    MUST(write(p[1], "in", 2) == 2);
    int n = epoll_wait(ep, out, 2, 1000);
    CHECK(n);
    printf("fd %d events %#x\n", out[0].data.fd, out[0].events);
    char buf[4] = {0};
    CHECK(read(0, buf, sizeof buf - 1));
    printf("read '%s'\n", buf);
    CHECK(close(p[1]));
    n = epoll_wait(ep, out, 2, 1000);
    CHECK(n);
    printf("fd %d events %#x\n", out[0].data.fd, out[0].events);
    CHECK(read(0, buf, 1));
    return 0;
}
