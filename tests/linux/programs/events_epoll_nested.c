/* epoll sets inside epoll sets (readiness passes up, loops are ELOOP), poll on
 * an epoll fd, and a registration living as long as its open file description
 * (a dup keeps it; the last close drops it). */
#include "linuxtest.h"
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

int main(void) {
    struct epoll_event ev = {.events = EPOLLIN}, out[4];
    int inner = epoll_create1(0), outer = epoll_create1(0), third = epoll_create1(0);
    MUST(inner >= 0 && outer >= 0 && third >= 0);
    int p[2];
    MUST(pipe(p) == 0);

    ev.data.u64 = 1;
    CHECK(epoll_ctl(inner, EPOLL_CTL_ADD, p[0], &ev));
    ev.data.u64 = 2;
    CHECK(epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev));
    ev.data.u64 = 3;
    CHECK(epoll_ctl(third, EPOLL_CTL_ADD, outer, &ev));
    /* Loops: inner cannot watch outer or third (they see inner already). */
    CHECK(epoll_ctl(inner, EPOLL_CTL_ADD, outer, &ev));
    CHECK(epoll_ctl(inner, EPOLL_CTL_ADD, third, &ev));
    CHECK(epoll_ctl(outer, EPOLL_CTL_ADD, third, &ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    CHECK(epoll_ctl(third, EPOLL_CTL_ADD, inner, &ev));
    ev.events = EPOLLIN;

    CHECK(epoll_wait(third, out, 4, 0));
    struct pollfd pfd = {.fd = outer, .events = POLLIN | POLLOUT};
    CHECK(poll(&pfd, 1, 0));
    MUST(write(p[1], "x", 1) == 1);
    int n = epoll_wait(third, out, 4, 1000);
    CHECK(n);
    printf("third: %#x %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
    n = epoll_wait(outer, out, 4, 0);
    CHECK(n);
    printf("outer: %#x %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
    n = epoll_wait(inner, out, 4, 0);
    CHECK(n);
    printf("inner: %#x %llu\n", out[0].events, (unsigned long long)out[0].data.u64);
    pfd.revents = 0;
    CHECK(poll(&pfd, 1, 0));
    printf("poll on outer: %#x\n", pfd.revents);
    char c;
    CHECK(read(p[0], &c, 1));
    CHECK(epoll_wait(third, out, 4, 0));
    CHECK(epoll_wait(inner, out, 4, 0));

    /* A dup keeps the registration alive after the registered fd closes. */
    int d = dup(p[0]);
    MUST(d >= 0);
    CHECK(close(p[0]));
    MUST(write(p[1], "y", 1) == 1);
    n = epoll_wait(inner, out, 4, 0);
    CHECK(n);
    printf("after close of the registered fd: %llu\n", (unsigned long long)out[0].data.u64);
    CHECK(epoll_ctl(inner, EPOLL_CTL_DEL, p[0], NULL));
    CHECK(epoll_ctl(inner, EPOLL_CTL_ADD, d, &ev));
    CHECK(close(d));
    CHECK(epoll_wait(inner, out, 4, 0));

    /* Closing the inner set drops it from outer. */
    CHECK(close(inner));
    CHECK(epoll_wait(outer, out, 4, 0));
    CHECK(epoll_ctl(outer, EPOLL_CTL_DEL, inner, NULL));
    return 0;
}
