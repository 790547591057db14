/* epoll_create/epoll_create1/epoll_ctl/epoll_wait over pipes: the errnos of
 * every misuse, level-triggered readiness, EPOLLIN/OUT/HUP/ERR, data round trip. */
#include "linuxtest.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

static int ep;
static struct epoll_event out[8];

static void show(int n) {
    for (int i = 0; i < n; i++)
        printf("  event %#x data %#llx\n", out[i].events, (unsigned long long)out[i].data.u64);
}

int main(void) {
    struct epoll_event ev = {0};
    CHECK(epoll_create(0));
    CHECK(epoll_create(-1));
    CHECK(epoll_create1(12345));
    int old = epoll_create(1);
    MUST(old >= 0);
    CHECK(fcntl(old, F_GETFD));
    ep = epoll_create1(EPOLL_CLOEXEC);
    MUST(ep >= 0);
    CHECK(fcntl(ep, F_GETFD));
    CHECK(close(old));

    int p[2];
    MUST(pipe(p) == 0);
    int f = open("file", O_CREAT | O_RDWR, 0644);
    MUST(f >= 0);

    /* epoll_ctl errors, in Linux's order. */
    ev.events = EPOLLIN;
    ev.data.u64 = 0x0123456789abcdefULL;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, 99, &ev));
    CHECK(epoll_ctl(99, EPOLL_CTL_ADD, p[0], &ev));
    CHECK(epoll_ctl(p[1], EPOLL_CTL_ADD, p[0], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, f, &ev));
    CHECK(epoll_ctl(ep, 77, p[0], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    ev.events = EPOLLIN | EPOLLEXCLUSIVE;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &ev));

    /* epoll_wait errors. */
    CHECK(epoll_wait(ep, out, 0, 0));
    volatile int negative = -1;
    CHECK(epoll_wait(ep, out, negative, 0));
    CHECK(epoll_wait(99, out, 8, 0));
    CHECK(epoll_wait(p[0], out, 8, 0));

    /* Nothing ready yet; then data: level-triggered, reported while it stays. */
    CHECK(epoll_wait(ep, out, 8, 0));
    CHECK(epoll_wait(ep, out, 8, 30));
    MUST(write(p[1], "ab", 2) == 2);
    int n = epoll_wait(ep, out, 8, 1000);
    CHECK(n);
    show(n);
    CHECK(epoll_wait(ep, out, 8, 0));
    char buf[4];
    CHECK(read(p[0], buf, 2));
    CHECK(epoll_wait(ep, out, 8, 0));

    /* The write end: EPOLLOUT; with the reader gone, EPOLLERR too. */
    ev.events = EPOLLOUT;
    ev.data.fd = p[1];
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
    n = epoll_wait(ep, out, 8, 0);
    CHECK(n);
    printf("  out %#x fd ok %d\n", out[0].events, out[0].data.fd == p[1]);

    /* Modify to ask for nothing: only HUP/ERR would still come. */
    ev.events = 0;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev));
    CHECK(epoll_wait(ep, out, 8, 0));

    /* The writer closes: the read end reports EPOLLHUP (with EPOLLIN only while
     * data is left). */
    MUST(write(p[1], "z", 1) == 1);
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
    CHECK(close(p[1]));
    n = epoll_wait(ep, out, 8, 0);
    CHECK(n);
    show(n);
    CHECK(read(p[0], buf, 4));
    n = epoll_wait(ep, out, 8, 0);
    CHECK(n);
    show(n);

    /* A reader gone: the write end of another pipe reports EPOLLOUT|EPOLLERR. */
    int q[2];
    MUST(pipe(q) == 0);
    ev.events = EPOLLOUT;
    ev.data.u64 = 7;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, q[1], &ev));
    CHECK(close(q[0]));
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
    n = epoll_wait(ep, out, 8, 0);
    CHECK(n);
    show(n);

    /* Closing the only fd of a registered file removes it from the set. */
    CHECK(close(q[1]));
    CHECK(epoll_wait(ep, out, 8, 0));
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, q[1], NULL));
    CHECK(close(ep));
    CHECK(epoll_wait(ep, out, 8, 0));
    return 0;
}
