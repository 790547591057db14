/* Errors of the socket calls as Linux gives them: ENOTSOCK on a file,
 * EBADF on a closed fd, EAFNOSUPPORT/EINVAL/EPROTONOSUPPORT from socket(),
 * EINVAL for a short address, ENOPROTOOPT, ENOTCONN, EOPNOTSUPP, EDESTADDRREQ,
 * EPIPE, ECONNREFUSED, EISCONN, and the address-length rules. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "linuxtest.h"

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    char buf[16];
    int one = 1;
    struct sockaddr_in lo = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof lo;

    printf("-- socket()\n");
    CHECK(socket(12345, SOCK_STREAM, 0));
    CHECK(socket(AF_INET, 999, 0));
    CHECK(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP));
    CHECK(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP));
    CHECK(socket(AF_INET, SOCK_STREAM | 0x1000000, 0));
    CHECK(socket(AF_UNIX, SOCK_STREAM, 7));

    printf("-- not a socket\n");
    int f = open("plain", O_CREAT | O_RDWR, 0600);
    MUST(f >= 0);
    CHECK(bind(f, (struct sockaddr *)&lo, sizeof lo));
    CHECK(listen(f, 1));
    CHECK(accept(f, NULL, NULL));
    CHECK(connect(f, (struct sockaddr *)&lo, sizeof lo));
    CHECK(getsockname(f, (struct sockaddr *)&lo, &len));
    CHECK(getpeername(f, (struct sockaddr *)&lo, &len));
    CHECK(send(f, "x", 1, 0));
    CHECK(recv(f, buf, sizeof buf, MSG_DONTWAIT));
    CHECK(sendto(f, "x", 1, 0, NULL, 0));
    CHECK(shutdown(f, SHUT_RDWR));
    CHECK(setsockopt(f, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    int v;
    socklen_t vl = sizeof v;
    CHECK(getsockopt(f, SOL_SOCKET, SO_TYPE, &v, &vl));
    CHECK(close(f));

    printf("-- closed fd\n");
    int bad = 200;
    CHECK(bind(bad, (struct sockaddr *)&lo, sizeof lo));
    CHECK(listen(bad, 1));
    CHECK(accept(bad, NULL, NULL));
    CHECK(connect(bad, (struct sockaddr *)&lo, sizeof lo));
    CHECK(send(bad, "x", 1, 0));
    CHECK(recv(bad, buf, sizeof buf, 0));
    CHECK(shutdown(bad, SHUT_RD));
    vl = sizeof v;
    CHECK(getsockopt(bad, SOL_SOCKET, SO_TYPE, &v, &vl));

    printf("-- addresses\n");
    int t = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(bind(t, (struct sockaddr *)&lo, 4));
    CHECK(connect(t, (struct sockaddr *)&lo, 4));
    struct sockaddr_in6 six = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    CHECK(bind(t, (struct sockaddr *)&six, sizeof six));
    struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "x"};
    CHECK(bind(t, (struct sockaddr *)&un, sizeof un));
    CHECK(bind(t, (struct sockaddr *)&lo, sizeof lo));
    CHECK(bind(t, (struct sockaddr *)&lo, sizeof lo)); /* twice */
    len = sizeof lo;
    CHECK(getsockname(t, (struct sockaddr *)&lo, &len));
    len = (socklen_t)-1;
    CHECK(getsockname(t, (struct sockaddr *)&lo, &len));
    len = 0;
    CHECK(getsockname(t, (struct sockaddr *)&lo, &len));
    printf("len 0 -> %u\n", len);

    printf("-- states\n");
    CHECK(getpeername(t, (struct sockaddr *)&lo, &len));
    CHECK(shutdown(t, SHUT_RDWR));
    CHECK(shutdown(t, 7));
    CHECK(accept(t, NULL, NULL)); /* not listening */
    CHECK(send(t, "x", 1, 0));
    CHECK(recv(t, buf, sizeof buf, 0));
    CHECK(accept4(t, NULL, NULL, 0x4));
    CHECK(listen(t, 1));
    CHECK(connect(t, (struct sockaddr *)&lo, sizeof lo)); /* a listener */
    vl = sizeof v;
    CHECK(getsockopt(t, SOL_SOCKET, 12345, &v, &vl));
    CHECK(setsockopt(t, SOL_SOCKET, 12345, &one, sizeof one));
    CHECK(setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, 2));
    CHECK(setsockopt(t, IPPROTO_TCP, 12345, &one, sizeof one));
    vl = (socklen_t)-1;
    CHECK(getsockopt(t, SOL_SOCKET, SO_TYPE, &v, &vl));

    printf("-- refused, connected twice\n");
    int gone = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in free_port = {.sin_family = AF_INET,
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(gone, (struct sockaddr *)&free_port, sizeof free_port));
    len = sizeof free_port;
    CHECK(getsockname(gone, (struct sockaddr *)&free_port, &len));
    CHECK(close(gone)); /* nobody listens there now */
    int r = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(r, (struct sockaddr *)&free_port, sizeof free_port));
    vl = sizeof v;
    CHECK(getsockopt(r, SOL_SOCKET, SO_ERROR, &v, &vl));
    printf("so_error after refusal %s\n", errname(v));
    CHECK(close(r));
    len = sizeof lo;
    CHECK(getsockname(t, (struct sockaddr *)&lo, &len));
    int c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&lo, sizeof lo));
    CHECK(connect(c, (struct sockaddr *)&lo, sizeof lo));
    CHECK(listen(c, 1));
    CHECK(close(c));

    printf("-- udp\n");
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(send(u, "x", 1, 0));
    CHECK(listen(u, 1));
    /* accept on a datagram socket: net_sock_edges.c */
    CHECK(getpeername(u, (struct sockaddr *)&lo, &len));
    CHECK(recv(u, buf, sizeof buf, MSG_DONTWAIT));
    vl = sizeof v;
    CHECK(getsockopt(u, IPPROTO_TCP, TCP_NODELAY, &v, &vl));
    CHECK(socketpair(AF_INET, SOCK_DGRAM, 0, (int[2]){0, 0}));
    CHECK(close(u));
    CHECK(close(t));
    return 0;
}
