/* UDP on 127.0.0.1 (and ::1 when the host has it): sendto/recvfrom with the
 * sender's address, message boundaries, empty datagrams, MSG_PEEK,
 * MSG_TRUNC (flag and real length), recvmsg with iovecs and msg_name,
 * a connected UDP socket, sendmmsg/recvmmsg, SO_RCVBUF, IPV6_V6ONLY. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "linuxtest.h"

static int bound(int family) {
    int s = socket(family, SOCK_DGRAM, 0);
    MUST(s >= 0);
    if (family == AF_INET) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        MUST(bind(s, (struct sockaddr *)&a, sizeof a) == 0);
    } else {
        struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
        if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) {
            close(s);
            return -1;
        }
    }
    return s;
}

static void wait_in(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    MUST(poll(&p, 1, 5000) == 1);
}

int main(void) {
    int a = bound(AF_INET), b = bound(AF_INET);
    struct sockaddr_in an, bn, from;
    socklen_t len = sizeof an;
    CHECK(getsockname(a, (struct sockaddr *)&an, &len));
    len = sizeof bn;
    CHECK(getsockname(b, (struct sockaddr *)&bn, &len));
    printf("distinct ports %d\n", an.sin_port != bn.sin_port);

    CHECK(sendto(a, "one", 3, 0, (struct sockaddr *)&bn, sizeof bn));
    CHECK(sendto(a, "two!", 4, 0, (struct sockaddr *)&bn, sizeof bn));
    CHECK(sendto(a, "", 0, 0, (struct sockaddr *)&bn, sizeof bn));
    CHECK(sendto(a, "truncate me", 11, 0, (struct sockaddr *)&bn, sizeof bn));
    CHECK(sendto(a, "vectored", 8, 0, (struct sockaddr *)&bn, sizeof bn));
    char buf[64];
    wait_in(b);
    ssize_t n = recv(b, buf, sizeof buf, MSG_PEEK);
    printf("peek %zd '%.*s'\n", n, (int)n, buf);
    len = sizeof from;
    n = recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    printf("recvfrom %zd '%.*s' len %u from a %d\n", n, (int)n, buf, len,
           from.sin_port == an.sin_port && from.sin_addr.s_addr == an.sin_addr.s_addr);
    wait_in(b);
    len = 4; /* a short address buffer: cut, with the full length */
    memset(&from, 0, sizeof from);
    n = recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    printf("recvfrom %zd '%.*s' len %u port cut %d\n", n, (int)n, buf, len,
           from.sin_port == an.sin_port && from.sin_addr.s_addr == 0);
    wait_in(b);
    CHECK(recv(b, buf, sizeof buf, 0));
    wait_in(b);
    char small[4];
    struct iovec iov = {small, sizeof small};
    struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov,
                       .msg_iovlen = 1};
    n = recvmsg(b, &m, 0);
    printf("recvmsg %zd '%.*s' trunc %d namelen %u\n", n, (int)n, small,
           (m.msg_flags & MSG_TRUNC) != 0, m.msg_namelen);
    wait_in(b);
    char p1[3], p2[10];
    struct iovec two[2] = {{p1, sizeof p1}, {p2, sizeof p2}};
    struct msghdr m2 = {.msg_iov = two, .msg_iovlen = 2};
    n = recvmsg(b, &m2, MSG_TRUNC);
    printf("iovecs %zd '%.3s' '%.5s' flags trunc %d\n", n, p1, p2, (m2.msg_flags & MSG_TRUNC) != 0);
    CHECK(recv(b, buf, sizeof buf, MSG_DONTWAIT));

    /* A connected UDP socket only talks to its peer. */
    CHECK(connect(a, (struct sockaddr *)&bn, sizeof bn));
    struct sockaddr_in pn;
    len = sizeof pn;
    CHECK(getpeername(a, (struct sockaddr *)&pn, &len));
    printf("peer is b %d\n", pn.sin_port == bn.sin_port);
    CHECK(send(a, "connected", 9, 0));
    wait_in(b);
    n = recv(b, buf, sizeof buf, 0);
    printf("recv %zd '%.*s'\n", n, (int)n, buf);
    /* Dissolving the association (connect to AF_UNSPEC): net_sock_edges.c. */

    int v = 0;
    socklen_t vl = sizeof v;
    CHECK(getsockopt(b, SOL_SOCKET, SO_RCVBUF, &v, &vl));
    printf("rcvbuf positive %d\n", v > 0);
    vl = sizeof v;
    CHECK(getsockopt(b, SOL_SOCKET, SO_TYPE, &v, &vl));
    printf("type dgram %d\n", v == SOCK_DGRAM);

    /* Multiple messages at once. */
    struct mmsghdr mm[3];
    struct iovec mi[3];
    char mb[3][8];
    for (int i = 0; i < 3; i++) {
        mi[i] = (struct iovec){mb[i], sizeof mb[i]};
        mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &mi[i], .msg_iovlen = 1}};
    }
    struct iovec si[2] = {{"m1", 2}, {"m2x", 3}};
    struct mmsghdr sm[2] = {{.msg_hdr = {.msg_name = &bn, .msg_namelen = sizeof bn,
                                         .msg_iov = &si[0], .msg_iovlen = 1}},
                            {.msg_hdr = {.msg_name = &bn, .msg_namelen = sizeof bn,
                                         .msg_iov = &si[1], .msg_iovlen = 1}}};
    CHECK(sendmmsg(a, sm, 2, 0));
    printf("sent lens %u %u\n", sm[0].msg_len, sm[1].msg_len);
    int got = recvmmsg(b, mm, 2, 0, NULL); /* blocks for both */
    printf("recvmmsg %d: %u '%.2s' %u '%.3s'\n", got, mm[0].msg_len, mb[0], mm[1].msg_len, mb[1]);

    /* IPv6 loopback, if there is one (same host, same answer). */
    int c = bound(AF_INET6);
    if (c < 0) {
        printf("no ipv6 loopback\n");
        return 0;
    }
    int d = bound(AF_INET6);
    struct sockaddr_in6 dn, f6;
    len = sizeof dn;
    CHECK(getsockname(d, (struct sockaddr *)&dn, &len));
    printf("v6 name len %u\n", len);
    CHECK(sendto(c, "six", 3, 0, (struct sockaddr *)&dn, sizeof dn));
    wait_in(d);
    len = sizeof f6;
    n = recvfrom(d, buf, sizeof buf, 0, (struct sockaddr *)&f6, &len);
    printf("v6 recvfrom %zd '%.*s' len %u loopback %d\n", n, (int)n, buf, len,
           IN6_IS_ADDR_LOOPBACK(&f6.sin6_addr));
    int e = socket(AF_INET6, SOCK_DGRAM, 0);
    v = -1;
    vl = sizeof v;
    CHECK(getsockopt(e, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl));
    int one = 1;
    CHECK(setsockopt(e, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
    vl = sizeof v;
    CHECK(getsockopt(e, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl));
    printf("v6only %d\n", v);
    return 0;
}
