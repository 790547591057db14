/* Socket answers the kernel does not give as Linux yet (see the xfail):
 * each case is one a program meets in practice (an unconnect of a UDP
 * client, a server's error path). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "linuxtest.h"

int main(void) {
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(accept(u, NULL, NULL));

    struct sockaddr_in b = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int peer = socket(AF_INET, SOCK_DGRAM, 0);
    MUST(bind(peer, (struct sockaddr *)&b, sizeof b) == 0);
    socklen_t len = sizeof b;
    MUST(getsockname(peer, (struct sockaddr *)&b, &len) == 0);
    CHECK(connect(u, (struct sockaddr *)&b, sizeof b));
    struct sockaddr un = {.sa_family = AF_UNSPEC};
    CHECK(connect(u, &un, sizeof un));
    len = sizeof b;
    CHECK(getpeername(u, (struct sockaddr *)&b, &len));
    CHECK(send(u, "x", 1, 0));

    struct sockaddr_un a = {.sun_family = AF_UNIX, .sun_path = "s"};
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a));
    CHECK(bind(ls, (struct sockaddr *)&a, sizeof a));
    struct sockaddr_un other = {.sun_family = AF_UNIX, .sun_path = "t"};
    CHECK(bind(ls, (struct sockaddr *)&other, sizeof other));
    return 0;
}
