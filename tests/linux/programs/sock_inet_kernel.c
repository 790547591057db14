/* The kernel side of internet sockets against Linux: ioctl(FIONREAD, FIONBIO),
 * SO_RCVTIMEO bounding read() and recv(), SO_ERROR after a refused
 * non-blocking connect (compared as errno values), EALREADY/EISCONN, SIGPIPE
 * delivered by a send to a peer that reset, an AF_INET6 socket reaching IPv4
 * (IPV6_V6ONLY off), UDP with MSG_TRUNC, and connect(AF_UNSPEC). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "linuxtest.h"

static volatile sig_atomic_t pipes;

static void on_pipe(int sig) {
    (void)sig;
    pipes++;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int listener(struct sockaddr_in *a) {
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    MUST(ls >= 0);
    a->sin_family = AF_INET;
    a->sin_port = 0;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    MUST(bind(ls, (struct sockaddr *)a, sizeof *a) == 0);
    MUST(listen(ls, 8) == 0);
    socklen_t len = sizeof *a;
    MUST(getsockname(ls, (struct sockaddr *)a, &len) == 0);
    return ls;
}

int main(void) {
    struct sockaddr_in a;
    int ls = listener(&a);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    MUST(connect(c, (struct sockaddr *)&a, sizeof a) == 0);
    int s = accept(ls, NULL, NULL);
    MUST(s >= 0);

    /* FIONREAD counts what waits; FIONBIO makes the description non-blocking. */
    int n = -1;
    CHECK(ioctl(s, FIONREAD, &n));
    printf("nread empty %d\n", n);
    MUST(write(c, "hello", 5) == 5);
    struct pollfd p = {s, POLLIN, 0};
    MUST(poll(&p, 1, 5000) == 1);
    CHECK(ioctl(s, FIONREAD, &n));
    printf("nread after 5 bytes %d\n", n);
    char buf[64];
    CHECK(read(s, buf, sizeof buf));
    int on = 1;
    CHECK(ioctl(s, FIONBIO, &on));
    printf("nonblock %d\n", (fcntl(s, F_GETFL) & O_NONBLOCK) != 0);
    CHECK(read(s, buf, sizeof buf));
    on = 0;
    CHECK(ioctl(s, FIONBIO, &on));

    /* SO_RCVTIMEO: read() and recv() give up with EAGAIN. */
    struct timeval tv = {0, 200000};
    CHECK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
    struct timeval got = {0, 0};
    socklen_t gl = sizeof got;
    CHECK(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &gl));
    printf("rcvtimeo %ld.%06ld len %u\n", (long)got.tv_sec, (long)got.tv_usec, gl);
    double t0 = now();
    CHECK(read(s, buf, sizeof buf));
    CHECK(recv(s, buf, sizeof buf, 0));
    double took = now() - t0;
    printf("waited about 0.4 s: %d\n", took > 0.3 && took < 3);

    /* A refused non-blocking connect: EINPROGRESS, then SO_ERROR. */
    struct sockaddr_in gone;
    int tmp = listener(&gone);
    close(tmp);
    int r = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(connect(r, (struct sockaddr *)&gone, sizeof gone));
    p.fd = r;
    p.events = POLLOUT;
    MUST(poll(&p, 1, 5000) == 1);
    printf("refused revents out %d err %d hup %d\n", (p.revents & POLLOUT) != 0,
           (p.revents & POLLERR) != 0, (p.revents & POLLHUP) != 0);
    int err = -1;
    socklen_t el = sizeof err;
    CHECK(getsockopt(r, SOL_SOCKET, SO_ERROR, &err, &el));
    printf("so_error %s\n", errname(err));
    CHECK(getsockopt(r, SOL_SOCKET, SO_ERROR, &err, &el));
    printf("so_error again %s\n", errname(err));

    /* A non-blocking connect that succeeds: EINPROGRESS, then 0 once, then EISCONN. */
    int k = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(connect(k, (struct sockaddr *)&a, sizeof a));
    p.fd = k;
    MUST(poll(&p, 1, 5000) == 1);
    CHECK(connect(k, (struct sockaddr *)&a, sizeof a));
    CHECK(connect(k, (struct sockaddr *)&a, sizeof a));
    int k2 = accept(ls, NULL, NULL);
    MUST(k2 >= 0);

    /* SIGPIPE: the peer closed with unread data, so the next send gets EPIPE. */
    signal(SIGPIPE, on_pipe);
    MUST(write(s, "x", 1) == 1);
    close(c); /* unread "x": an RST */
    p.fd = s;
    p.events = POLLIN;
    MUST(poll(&p, 1, 5000) == 1);
    int e1 = send(s, "y", 1, 0) < 0 ? errno : 0;
    int e2 = send(s, "y", 1, 0) < 0 ? errno : 0;
    printf("after reset: %s then %s, SIGPIPE %d\n", errname(e1), errname(e2), pipes > 0);
    int before = pipes;
    CHECK(send(s, "z", 1, MSG_NOSIGNAL));
    printf("no signal with MSG_NOSIGNAL %d\n", pipes == before);

    /* AF_INET6, IPV6_V6ONLY off: an IPv4 client reaches it as ::ffff:127.0.0.1. */
    int six = socket(AF_INET6, SOCK_STREAM, 0);
    if (six >= 0) {
        int v6only = -1;
        socklen_t vl = sizeof v6only;
        CHECK(getsockopt(six, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, &vl));
        printf("v6only %d\n", v6only);
        struct sockaddr_in6 any6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT};
        CHECK(bind(six, (struct sockaddr *)&any6, sizeof any6));
        CHECK(listen(six, 4));
        socklen_t l6 = sizeof any6;
        MUST(getsockname(six, (struct sockaddr *)&any6, &l6) == 0);
        printf("name6 len %u port set %d\n", l6, any6.sin6_port != 0);
        struct sockaddr_in to4 = {.sin_family = AF_INET, .sin_port = any6.sin6_port,
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int c4 = socket(AF_INET, SOCK_STREAM, 0);
        CHECK(connect(c4, (struct sockaddr *)&to4, sizeof to4));
        struct sockaddr_in6 from;
        socklen_t fl = sizeof from;
        int a6 = accept(six, (struct sockaddr *)&from, &fl);
        char text[INET6_ADDRSTRLEN];
        inet_ntop(AF_INET6, &from.sin6_addr, text, sizeof text);
        printf("accepted %d from %s len %u\n", a6 >= 0, text, fl);
    }

    /* UDP: MSG_TRUNC gives the real length; connect(AF_UNSPEC) forgets the peer. */
    int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    MUST(bind(u1, (struct sockaddr *)&ua, sizeof ua) == 0);
    socklen_t ul = sizeof ua;
    MUST(getsockname(u1, (struct sockaddr *)&ua, &ul) == 0);
    CHECK(sendto(u2, "0123456789", 10, 0, (struct sockaddr *)&ua, sizeof ua));
    CHECK(recv(u1, buf, 4, MSG_TRUNC));
    CHECK(connect(u2, (struct sockaddr *)&ua, sizeof ua));
    CHECK(send(u2, "abc", 3, 0));
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    CHECK(connect(u2, &unspec, sizeof unspec));
    CHECK(send(u2, "abc", 3, 0));
    return 0;
}
