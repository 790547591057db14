/* TCP within one process on 127.0.0.1: a non-blocking listen, connect and
 * accept; names on both ends; echo; SO_ERROR, SO_TYPE, SO_ACCEPTCONN;
 * FIONREAD, FIONBIO; shutdown(SHUT_WR) seen as EOF and POLLRDHUP; a peer that closed (EPIPE
 * with MSG_NOSIGNAL, after the RST it provokes). Ports are printed as
 * relations, never as values. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linuxtest.h"

static int wait_for(int fd, short events, int ms) {
    struct pollfd p = {fd, events, 0};
    int n = poll(&p, 1, ms);
    return n == 1 ? p.revents : 0;
}

int main(void) {
    int one = 1;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    MUST(ls >= 0);
    CHECK(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0,
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a));
    int v = -1;
    socklen_t vl = sizeof v;
    CHECK(getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl));
    printf("acceptconn before listen %d len %u\n", v, vl);
    CHECK(listen(ls, 8));
    vl = sizeof v;
    CHECK(getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl));
    printf("acceptconn after listen %d\n", v);
    vl = sizeof v;
    CHECK(getsockopt(ls, SOL_SOCKET, SO_TYPE, &v, &vl));
    printf("type stream %d\n", v == SOCK_STREAM);
    printf("fd flags nonblock %d cloexec %d\n", (fcntl(ls, F_GETFL) & O_NONBLOCK) != 0,
           (fcntl(ls, F_GETFD) & FD_CLOEXEC) != 0);

    struct sockaddr_in la;
    socklen_t len = sizeof la;
    CHECK(getsockname(ls, (struct sockaddr *)&la, &len));
    printf("listen name len %u family %d loopback %d port set %d\n", len,
           la.sin_family == AF_INET, la.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
           la.sin_port != 0);

    struct sockaddr_in peer;
    len = sizeof peer;
    CHECK(accept(ls, (struct sockaddr *)&peer, &len)); /* nobody yet: EAGAIN */

    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    MUST(c >= 0);
    errno = 0;
    int r = connect(c, (struct sockaddr *)&la, sizeof la);
    printf("connect: %s\n", r == 0 ? "0" : errno == EINPROGRESS ? "EINPROGRESS" : errname(errno));
    int ev = wait_for(c, POLLOUT, 5000);
    printf("client writable %d\n", (ev & POLLOUT) != 0);
    vl = sizeof v;
    v = -1;
    CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &vl));
    printf("so_error %s\n", errname(v));
    CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
    vl = sizeof v;
    CHECK(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl));
    printf("nodelay %d\n", v != 0);

    ev = wait_for(ls, POLLIN, 5000);
    printf("listener readable %d\n", (ev & POLLIN) != 0);
    len = sizeof peer;
    int s = accept4(ls, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
    MUST(s >= 0);
    printf("accepted len %u, nonblock inherited %d, cloexec %d\n", len,
           (fcntl(s, F_GETFL) & O_NONBLOCK) != 0, (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0);

    struct sockaddr_in cn, sn, sp;
    len = sizeof cn;
    CHECK(getsockname(c, (struct sockaddr *)&cn, &len));
    len = sizeof sp;
    CHECK(getpeername(s, (struct sockaddr *)&sp, &len));
    len = sizeof sn;
    CHECK(getsockname(s, (struct sockaddr *)&sn, &len));
    printf("peer of server = client name %d, = accepted addr %d\n",
           cn.sin_port == sp.sin_port && cn.sin_addr.s_addr == sp.sin_addr.s_addr,
           peer.sin_port == cn.sin_port);
    printf("server name = listen name %d\n", sn.sin_port == la.sin_port);
    /* Truncation: a short buffer gets part of the address, the full length. */
    char small[4] = {0};
    len = sizeof small;
    CHECK(getpeername(c, (struct sockaddr *)small, &len));
    printf("short getpeername len %u family %d\n", len,
           ((struct sockaddr_in *)&la)->sin_family == *(sa_family_t *)small);

    CHECK(send(c, "hello", 5, 0));
    MUST(wait_for(s, POLLIN, 5000) & POLLIN);
    char buf[64];
    int avail = -1;
    CHECK(ioctl(s, FIONREAD, &avail));
    printf("fionread %d\n", avail);
    ssize_t n = recv(s, buf, sizeof buf, MSG_PEEK);
    printf("peek %zd\n", n);
    n = recv(s, buf, sizeof buf, 0);
    printf("server got %zd '%.*s'\n", n, (int)n, buf);
    CHECK(send(s, buf, (size_t)n, 0));
    MUST(wait_for(c, POLLIN, 5000) & POLLIN);
    n = read(c, buf, sizeof buf);
    printf("client got %zd '%.*s'\n", n, (int)n, buf);
    CHECK(recv(c, buf, sizeof buf, 0)); /* nothing more: EAGAIN */
    int off = 0;
    CHECK(ioctl(c, FIONBIO, &off)); /* blocking again */
    printf("client nonblock %d\n", (fcntl(c, F_GETFL) & O_NONBLOCK) != 0);

    /* Half close: the server sees EOF and POLLRDHUP, can still write. */
    CHECK(shutdown(c, SHUT_WR));
    ev = wait_for(s, POLLIN | POLLRDHUP, 5000);
    printf("server after shutdown: in %d rdhup %d hup %d\n", (ev & POLLIN) != 0,
           (ev & POLLRDHUP) != 0, (ev & POLLHUP) != 0);
    CHECK(recv(s, buf, sizeof buf, 0));
    CHECK(send(s, "bye", 3, 0));
    MUST(wait_for(c, POLLIN, 5000) & POLLIN);
    CHECK(recv(c, buf, sizeof buf, 0));
    CHECK(send(c, "x", 1, MSG_NOSIGNAL)); /* after SHUT_WR: EPIPE */

    /* The client goes: the server's writes end in EPIPE (or ECONNRESET). */
    CHECK(close(c));
    int saw = 0;
    for (int i = 0; i < 100 && !saw; i++) {
        errno = 0;
        if (send(s, "data", 4, MSG_NOSIGNAL) < 0) {
            saw = errno;
            break;
        }
        wait_for(s, POLLERR | POLLHUP, 50);
    }
    printf("writes to a closed peer fail: %s\n",
           saw == EPIPE || saw == ECONNRESET ? "EPIPE/ECONNRESET" : errname(saw));
    CHECK(close(s));
    CHECK(close(ls));
    return 0;
}
