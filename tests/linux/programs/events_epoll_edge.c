/* epoll: edge-triggered (EPOLLET) reports each arrival once, EPOLLONESHOT fires
 * once until EPOLL_CTL_MOD re-arms it, level-triggered items take turns under
 * maxevents, and an eventfd and a timerfd in the set. */
#include "linuxtest.h"
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static struct epoll_event out[8];

static void show(const char *what, int n) {
    printf("%s: %d", what, n);
    for (int i = 0; i < n; i++)
        printf(" [%#x %llu]", out[i].events, (unsigned long long)out[i].data.u64);
    printf("\n");
}

int main(void) {
    int ep = epoll_create1(0);
    MUST(ep >= 0);
    int a[2], b[2], c[2];
    MUST(pipe(a) == 0 && pipe(b) == 0 && pipe(c) == 0);
    char buf[64];

    /* Edge-triggered: one report per arrival, none while nothing new comes. */
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 1};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &ev));
    show("et empty", epoll_wait(ep, out, 8, 0));
    MUST(write(a[1], "x", 1) == 1);
    show("et first write", epoll_wait(ep, out, 8, 0));
    show("et again", epoll_wait(ep, out, 8, 0));
    MUST(write(a[1], "y", 1) == 1);
    show("et second write (unread data)", epoll_wait(ep, out, 8, 0));
    show("et again", epoll_wait(ep, out, 8, 0));
    CHECK(read(a[0], buf, sizeof buf));
    show("et after read", epoll_wait(ep, out, 8, 0));
    /* MOD re-arms: the data now present is reported once more. */
    MUST(write(a[1], "z", 1) == 1);
    show("et", epoll_wait(ep, out, 8, 0));
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, a[0], &ev));
    show("et after mod", epoll_wait(ep, out, 8, 0));
    show("et again", epoll_wait(ep, out, 8, 0));
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, a[0], NULL));

    /* One-shot: reported once, then silent although still ready, until MOD. */
    ev.events = EPOLLIN | EPOLLONESHOT;
    ev.data.u64 = 2;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &ev));
    MUST(write(b[1], "q", 1) == 1);
    show("oneshot", epoll_wait(ep, out, 8, 0));
    show("oneshot again", epoll_wait(ep, out, 8, 0));
    MUST(write(b[1], "r", 1) == 1);
    show("oneshot new data", epoll_wait(ep, out, 8, 0));
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, b[0], &ev));
    ev.data.u64 = 3;
    CHECK(epoll_ctl(ep, EPOLL_CTL_MOD, b[0], &ev));
    show("oneshot re-armed", epoll_wait(ep, out, 8, 0));
    show("oneshot again", epoll_wait(ep, out, 8, 0));
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, b[0], NULL));
    CHECK(read(b[0], buf, sizeof buf));

    /* Level-triggered, three ready, maxevents 1: they take turns. */
    int fds[3] = {a[0], b[0], c[0]};
    int wr[3] = {a[1], b[1], c[1]};
    for (int i = 0; i < 3; i++) {
        struct epoll_event e = {.events = EPOLLIN, .data.u64 = 10 + i};
        CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &e));
        MUST(write(wr[i], "d", 1) == 1);
    }
    for (int round = 0; round < 4; round++)
        show("lt maxevents 1", epoll_wait(ep, out, 1, 0));
    show("lt all", epoll_wait(ep, out, 8, 0));
    for (int i = 0; i < 3; i++)
        CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, fds[i], NULL));

    /* An eventfd: readable while its counter is above 0; writable always. */
    int efd = eventfd(0, EFD_NONBLOCK);
    MUST(efd >= 0);
    ev.events = EPOLLIN | EPOLLOUT;
    ev.data.u64 = 20;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
    show("eventfd 0", epoll_wait(ep, out, 8, 0));
    CHECK(eventfd_write(efd, 5));
    show("eventfd 5", epoll_wait(ep, out, 8, 0));
    eventfd_t v = 0;
    CHECK(eventfd_read(efd, &v));
    printf("read %llu\n", (unsigned long long)v);
    CHECK(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL));

    /* A timerfd: readable once it has expired; epoll_wait sleeps until then. */
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    MUST(tfd >= 0);
    ev.events = EPOLLIN;
    ev.data.u64 = 30;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev));
    show("timer disarmed", epoll_wait(ep, out, 8, 0));
    struct itimerspec its = {{0, 0}, {0, 50 * 1000 * 1000}};
    CHECK(timerfd_settime(tfd, 0, &its, NULL));
    show("timer armed", epoll_wait(ep, out, 8, 0));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    show("timer waited", epoll_wait(ep, out, 8, 5000));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("slept 30..2000 ms: %d\n", ms >= 30 && ms < 2000);
    uint64_t n = 0;
    CHECK(read(tfd, &n, sizeof n));
    printf("expirations %llu\n", (unsigned long long)n);
    show("timer read", epoll_wait(ep, out, 8, 0));
    return 0;
}
