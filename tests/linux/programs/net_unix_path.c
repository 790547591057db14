/* AF_UNIX sockets with names: a path in a fresh folder (bind creates a
 * socket node; EADDRINUSE while it exists; ENOENT, ECONNREFUSED, unlink),
 * names as getsockname/getpeername/accept report them (relative paths stay
 * as given), datagrams with sender addresses, abstract names, autobind. */
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "linuxtest.h"

static socklen_t path_addr(struct sockaddr_un *a, const char *path) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static void show_name(const char *what, const struct sockaddr_un *a, socklen_t len) {
    size_t base = offsetof(struct sockaddr_un, sun_path);
    printf("%s: len %u family unix %d", what, len, a->sun_family == AF_UNIX);
    if (len > base && a->sun_path[0])
        printf(" path '%s'", a->sun_path);
    else if (len > base)
        printf(" abstract %zu bytes", len - base - 1);
    printf("\n");
}

int main(void) {
    CHECK(mkdir("d", 0700));
    struct sockaddr_un a, b;
    socklen_t al = path_addr(&a, "d/s");
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    MUST(ls >= 0);
    CHECK(bind(ls, (struct sockaddr *)&a, al));
    struct stat st;
    CHECK(stat("d/s", &st));
    printf("node is a socket %d\n", S_ISSOCK(st.st_mode));
    CHECK(listen(ls, 4));
    socklen_t bl = sizeof b;
    CHECK(getsockname(ls, (struct sockaddr *)&b, &bl));
    show_name("listener", &b, bl);

    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(other, (struct sockaddr *)&a, al)); /* the path exists */

    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, al));
    bl = sizeof b;
    memset(&b, 0x55, sizeof b);
    int s = accept(ls, (struct sockaddr *)&b, &bl);
    MUST(s >= 0);
    show_name("accepted peer", &b, bl);
    bl = sizeof b;
    CHECK(getpeername(c, (struct sockaddr *)&b, &bl));
    show_name("client's peer", &b, bl);
    bl = sizeof b;
    CHECK(getsockname(s, (struct sockaddr *)&b, &bl));
    show_name("server end", &b, bl);
    bl = sizeof b;
    CHECK(getsockname(c, (struct sockaddr *)&b, &bl));
    show_name("client end", &b, bl);
    /* A short buffer: the address is cut, the length is the full one. */
    bl = 4;
    memset(&b, 0, sizeof b);
    CHECK(getpeername(c, (struct sockaddr *)&b, &bl));
    printf("short: len %u first path byte %d\n", bl, b.sun_path[0]);

    CHECK(write(c, "over unix", 9));
    char buf[64];
    ssize_t n = read(s, buf, sizeof buf);
    printf("read %zd '%.*s'\n", n, (int)n, buf);

    /* Unlinking the node ends new connections, not this one. */
    CHECK(unlink("d/s"));
    int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c2, (struct sockaddr *)&a, al));
    CHECK(write(s, "still", 5));
    n = read(c, buf, sizeof buf);
    printf("read %zd '%.*s'\n", n, (int)n, buf);
    /* Once unlinked, the path may be bound again. */
    CHECK(bind(other, (struct sockaddr *)&a, al));
    CHECK(connect(c2, (struct sockaddr *)&a, al)); /* bound, not listening */

    /* Not a socket, and nowhere. */
    int f = open("d/file", O_CREAT | O_WRONLY, 0600);
    CHECK(close(f));
    al = path_addr(&a, "d/file");
    int c3 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c3, (struct sockaddr *)&a, al));
    al = path_addr(&a, "d/nothing/here");
    CHECK(connect(c3, (struct sockaddr *)&a, al));
    CHECK(bind(c3, (struct sockaddr *)&a, al));
    al = path_addr(&a, "d/file");
    CHECK(bind(c3, (struct sockaddr *)&a, al));
    CHECK(close(c3));
    CHECK(close(c2));

    /* Datagrams between two bound path sockets; sendto an unbound one. */
    int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un n1, n2;
    socklen_t l1 = path_addr(&n1, "d/dg1"), l2 = path_addr(&n2, "d/dg2");
    CHECK(bind(d1, (struct sockaddr *)&n1, l1));
    CHECK(bind(d2, (struct sockaddr *)&n2, l2));
    CHECK(sendto(d1, "dgram", 5, 0, (struct sockaddr *)&n2, l2));
    bl = sizeof b;
    n = recvfrom(d2, buf, sizeof buf, 0, (struct sockaddr *)&b, &bl);
    printf("recvfrom %zd '%.*s'\n", n, (int)n, buf);
    show_name("sender", &b, bl);
    int d3 = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(sendto(d3, "anon", 4, 0, (struct sockaddr *)&n2, l2));
    bl = sizeof b;
    n = recvfrom(d2, buf, sizeof buf, 0, (struct sockaddr *)&b, &bl);
    printf("recvfrom %zd '%.*s' addrlen %u\n", n, (int)n, buf, bl);
    CHECK(send(d3, "x", 1, 0)); /* no destination */
    CHECK(connect(d3, (struct sockaddr *)&n1, l1));
    CHECK(send(d3, "connected", 9, 0));
    n = recv(d1, buf, sizeof buf, 0);
    printf("recv %zd '%.*s'\n", n, (int)n, buf);
    CHECK(unlink("d/dg1"));
    CHECK(sendto(d2, "gone", 4, 0, (struct sockaddr *)&n1, l1));

    /* Abstract names: no node in the file system. */
    struct sockaddr_un ab;
    memset(&ab, 0, sizeof ab);
    ab.sun_family = AF_UNIX;
    int an = snprintf(ab.sun_path + 1, sizeof ab.sun_path - 1, "pyocclum-net-test-%d", (int)getpid());
    socklen_t abl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + an);
    int als = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(als, (struct sockaddr *)&ab, abl));
    CHECK(listen(als, 1));
    int dup_ = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(dup_, (struct sockaddr *)&ab, abl));
    bl = sizeof b;
    CHECK(getsockname(als, (struct sockaddr *)&b, &bl));
    printf("abstract name len ok %d, same bytes %d\n", bl == abl, memcmp(&b, &ab, abl) == 0);
    int ac = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(ac, (struct sockaddr *)&ab, abl));
    int as = accept(als, NULL, NULL);
    MUST(as >= 0);
    CHECK(send(ac, "abs", 3, 0));
    n = recv(as, buf, sizeof buf, 0);
    printf("recv %zd '%.*s'\n", n, (int)n, buf);
    CHECK(close(als));
    CHECK(connect(dup_, (struct sockaddr *)&ab, abl)); /* its listener is gone */
    CHECK(bind(dup_, (struct sockaddr *)&ab, abl));    /* and the name is free */

    /* Autobind: binding just the family picks an abstract name of 5 hex digits. */
    int auto_ = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un fam = {.sun_family = AF_UNIX};
    CHECK(bind(auto_, (struct sockaddr *)&fam, sizeof(sa_family_t)));
    bl = sizeof b;
    CHECK(getsockname(auto_, (struct sockaddr *)&b, &bl));
    show_name("autobound", &b, bl);
    CHECK(bind(auto_, (struct sockaddr *)&fam, 1)); /* too short */
    struct sockaddr_un longp = {.sun_family = AF_UNIX};
    memset(longp.sun_path, 'x', sizeof longp.sun_path);
    int lp = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(lp, (struct sockaddr *)&longp, sizeof longp + 1));
    return 0;
}
