/* poll and select over a mix: a listening TCP socket, a connected pair, a
 * pipe and a timerfd. Each becomes ready for its own reason, and only it;
 * a peer's shutdown gives POLLIN|POLLRDHUP, its close POLLHUP on an AF_UNIX
 * stream; epoll sees the same. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "linuxtest.h"

enum { LISTEN, CONN, PIPE, TIMER, UNIX, N };
static const char *names[N] = {"listen", "conn", "pipe", "timer", "unix"};

static void show(struct pollfd *p, int n, int r) {
    printf("poll = %d:", r);
    for (int i = 0; i < n; i++) {
        short e = p[i].revents;
        if (!e)
            continue;
        printf(" %s[%s%s%s%s%s]", names[i], e & POLLIN ? "in" : "", e & POLLOUT ? " out" : "",
               e & POLLRDHUP ? " rdhup" : "", e & POLLHUP ? " hup" : "", e & POLLERR ? " err" : "");
    }
    printf("\n");
}

int main(void) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    MUST(bind(ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(ls, 4) == 0);
    socklen_t len = sizeof a;
    MUST(getsockname(ls, (struct sockaddr *)&a, &len) == 0);
    int p[2];
    MUST(pipe(p) == 0);
    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    MUST(t >= 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    int u[2];
    MUST(socketpair(AF_UNIX, SOCK_STREAM, 0, u) == 0);

    struct pollfd fds[N] = {{ls, POLLIN, 0}, {c, POLLIN | POLLRDHUP, 0}, {p[0], POLLIN, 0},
                            {t, POLLIN, 0}, {u[0], POLLIN | POLLRDHUP, 0}};
    show(fds, N, poll(fds, N, 0)); /* an unconnected TCP socket: POLLOUT|POLLHUP */
    fds[CONN].fd = -1;
    show(fds, N, poll(fds, N, 0)); /* nothing */

    struct itimerspec its = {.it_value = {0, 30 * 1000 * 1000}};
    MUST(timerfd_settime(t, 0, &its, NULL) == 0);
    show(fds, N, poll(fds, N, 5000)); /* the timer, after 30 ms */
    uint64_t ticks;
    MUST(read(t, &ticks, sizeof ticks) == sizeof ticks);

    CHECK(write(p[1], "p", 1));
    show(fds, N, poll(fds, N, 5000));
    char ch;
    MUST(read(p[0], &ch, 1) == 1);

    MUST(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    show(fds, N, poll(fds, N, 5000)); /* the listener */
    int s = accept(ls, NULL, NULL);
    MUST(s >= 0);
    fds[CONN].fd = c;
    fds[CONN].events = POLLIN | POLLOUT | POLLRDHUP;
    show(fds, N, poll(fds, N, 5000)); /* conn writable only */
    fds[CONN].events = POLLIN | POLLRDHUP;

    /* select agrees. */
    CHECK(write(s, "s", 1));
    CHECK(write(u[1], "u", 1));
    fd_set rd;
    FD_ZERO(&rd);
    int maxfd = 0;
    for (int i = 0; i < N; i++) {
        FD_SET(fds[i].fd, &rd);
        if (fds[i].fd > maxfd)
            maxfd = fds[i].fd;
    }
    struct timeval tv = {5, 0};
    int r = select(maxfd + 1, &rd, NULL, NULL, &tv);
    printf("select = %d:", r);
    for (int i = 0; i < N; i++)
        if (FD_ISSET(fds[i].fd, &rd))
            printf(" %s", names[i]);
    printf("\n");
    MUST(read(c, &ch, 1) == 1 && read(u[0], &ch, 1) == 1);

    /* The peers shut down their writing side, then close. */
    CHECK(shutdown(s, SHUT_WR));
    CHECK(shutdown(u[1], SHUT_WR));
    show(fds, N, poll(fds, N, 5000));
    CHECK(close(u[1]));
    fds[CONN].fd = -1;
    show(fds, N, poll(fds, N, 5000));

    /* epoll over the same. */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP, .data.u32 = CONN};
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
    ev.data.u32 = PIPE;
    ev.events = EPOLLIN;
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
    struct epoll_event out[4];
    int n = epoll_wait(ep, out, 4, 5000);
    printf("epoll = %d:", n);
    for (int i = 0; i < n; i++)
        printf(" %s[%s%s%s]", names[out[i].data.u32], out[i].events & EPOLLIN ? "in" : "",
               out[i].events & EPOLLRDHUP ? " rdhup" : "", out[i].events & EPOLLHUP ? " hup" : "");
    printf("\n");
    CHECK(close(p[1]));
    n = epoll_wait(ep, out, 4, 5000);
    printf("epoll after the pipe's writer closed = %d\n", n);
    return 0;
}
