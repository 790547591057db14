/* TCP across processes on 127.0.0.1: a child (posix_spawn of this program,
 * the port in argv) as the client of an echo; a child that disconnects in
 * the middle of a request (the server sees the partial request, then EOF or
 * ECONNRESET); a child that inherits the listening socket and accepts from
 * it (a prefork worker) while the parent connects. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linuxtest.h"

extern char **environ;

static int connect_to(int port) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) != 0)
        exit(10);
    return c;
}

static int child(char **argv) {
    if (!strcmp(argv[1], "client")) {
        int c = connect_to(atoi(argv[2]));
        const char *msg = "ping from the child";
        if (send(c, msg, strlen(msg), 0) != (ssize_t)strlen(msg))
            return 11;
        char buf[64];
        size_t got = 0;
        while (got < strlen(msg)) {
            ssize_t n = recv(c, buf + got, sizeof buf - got, 0);
            if (n <= 0)
                return 12;
            got += (size_t)n;
        }
        return memcmp(buf, msg, got) == 0 ? 0 : 13;
    }
    if (!strcmp(argv[1], "drop")) {
        int c = connect_to(atoi(argv[2]));
        send(c, "GET /partial HTTP/1.1\r\nHost: x", 30, 0);
        return 0; /* exits with the request half sent */
    }
    if (!strcmp(argv[1], "worker")) { /* the listening socket is fd argv[2] */
        int s = accept(atoi(argv[2]), NULL, NULL);
        if (s < 0)
            return 20;
        char buf[64];
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n <= 0)
            return 21;
        return send(s, buf, (size_t)n, 0) == n ? 0 : 22;
    }
    return 30;
}

static pid_t spawn(const char *self, const char *mode, int value) {
    char num[16];
    snprintf(num, sizeof num, "%d", value);
    char *args[] = {(char *)self, (char *)mode, num, NULL};
    pid_t pid;
    int e = posix_spawn(&pid, self, NULL, NULL, args, environ);
    MUST(e == 0);
    return pid;
}

static void reap(pid_t pid, const char *what) {
    int st;
    MUST(waitpid(pid, &st, 0) == pid);
    printf("%s exited %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(int argc, char **argv) {
    if (argc > 2)
        return child(argv);
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    MUST(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    MUST(bind(ls, (struct sockaddr *)&a, sizeof a) == 0 && listen(ls, 8) == 0);
    socklen_t len = sizeof a;
    MUST(getsockname(ls, (struct sockaddr *)&a, &len) == 0);
    int port = ntohs(a.sin_port);

    /* 1. echo for a client in another process */
    pid_t pid = spawn(argv[0], "client", port);
    struct sockaddr_in peer;
    len = sizeof peer;
    int s = accept(ls, (struct sockaddr *)&peer, &len);
    MUST(s >= 0);
    printf("accepted a loopback peer %d\n", peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK));
    char buf[128];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    printf("server got '%.*s'\n", (int)n, buf);
    CHECK(send(s, buf, (size_t)n, 0));
    reap(pid, "client");
    n = recv(s, buf, sizeof buf, 0);
    printf("after the client exited: %zd\n", n);
    CHECK(close(s));

    /* 2. a client that leaves mid-request */
    pid = spawn(argv[0], "drop", port);
    s = accept(ls, NULL, NULL);
    MUST(s >= 0);
    size_t got = 0;
    int end = 0;
    for (;;) {
        errno = 0;
        n = recv(s, buf + got, sizeof buf - got, 0);
        if (n <= 0) {
            end = n == 0 ? 0 : errno;
            break;
        }
        got += (size_t)n;
    }
    printf("partial request %zu bytes '%.14s', then %s\n", got, buf,
           end == 0 || end == ECONNRESET ? "EOF/ECONNRESET" : errname(end));
    reap(pid, "dropper");
    CHECK(close(s));

    /* 3. a worker process accepts on the inherited listening socket */
    pid = spawn(argv[0], "worker", ls);
    int c = connect_to(port);
    CHECK(send(c, "to the worker", 13, 0));
    n = recv(c, buf, sizeof buf, MSG_WAITALL);
    printf("worker echoed %zd '%.*s'\n", n, (int)n, buf);
    reap(pid, "worker");
    CHECK(close(c));
    CHECK(close(ls));
    return 0;
}
