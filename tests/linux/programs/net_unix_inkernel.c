/* AF_UNIX sockets, which live inside the LibOS kernel: socketpair, path names
 * (a socket node: stat, open, unlink), abstract and automatic names, the
 * backlog, datagrams and seqpacket (boundaries, MSG_TRUNC, addresses),
 * shutdown and poll bits, SO_PEERCRED, SCM_RIGHTS (a pipe end passed to a
 * spawned child, rights boundaries, MSG_CTRUNC). */
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linuxtest.h"

extern char **environ;

static socklen_t mkaddr(struct sockaddr_un *a, const char *path, int abstract) {
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    size_t n = strlen(path);
    if (abstract) {
        memcpy(a->sun_path + 1, path, n);
        return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    }
    memcpy(a->sun_path, path, n);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

static int revents(int fd, short ev) {
    struct pollfd p = {fd, ev, 0};
    return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static void pair_stream(void) {
    int sv[2];
    char buf[64];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK(write(sv[0], "hello", 5));
    CHECK(read(sv[1], buf, sizeof buf));
    CHECK(send(sv[0], "peek", 4, 0));
    CHECK(recv(sv[1], buf, 2, MSG_PEEK));
    CHECK(recv(sv[1], buf, sizeof buf, 0));
    CHECK(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    CHECK(shutdown(sv[0], SHUT_WR));
    int r = revents(sv[1], POLLIN | POLLOUT | POLLRDHUP);
    printf("after SHUT_WR peer: in %d out %d rdhup %d hup %d\n", !!(r & POLLIN),
           !!(r & POLLOUT), !!(r & POLLRDHUP), !!(r & POLLHUP));
    CHECK(read(sv[1], buf, sizeof buf));
    CHECK(send(sv[0], "x", 1, MSG_NOSIGNAL));
    CHECK(close(sv[0]));
    r = revents(sv[1], POLLIN | POLLOUT | POLLRDHUP);
    printf("after close peer: in %d out %d rdhup %d hup %d\n", !!(r & POLLIN),
           !!(r & POLLOUT), !!(r & POLLRDHUP), !!(r & POLLHUP));
    CHECK(send(sv[1], "x", 1, MSG_NOSIGNAL));
    int v = -1;
    socklen_t vl = sizeof v;
    CHECK(getsockopt(sv[1], SOL_SOCKET, SO_TYPE, &v, &vl));
    printf("type %d domain ", v);
    CHECK(getsockopt(sv[1], SOL_SOCKET, SO_DOMAIN, &v, &vl));
    printf("= %d\n", v);
    struct ucred cr;
    socklen_t cl = sizeof cr;
    CHECK(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &cr, &cl));
    printf("peercred pid is me %d len %u\n", cr.pid == getpid(), cl);
    close(sv[1]);
}

static void paths(void) {
    struct sockaddr_un a, got;
    socklen_t al = mkaddr(&a, "srv.sock", 0), gl;
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    MUST(ls >= 0);
    CHECK(bind(ls, (struct sockaddr *)&a, al));
    struct stat st;
    CHECK(stat("srv.sock", &st));
    printf("S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
    CHECK(open("srv.sock", O_RDONLY));
    int other = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(other, (struct sockaddr *)&a, al));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&a, al));
    CHECK(listen(ls, 1));
    CHECK(connect(c, (struct sockaddr *)&a, al));
    gl = sizeof got;
    int s = accept(ls, (struct sockaddr *)&got, &gl);
    MUST(s >= 0);
    printf("accepted peer len %u family %d\n", gl, got.sun_family);
    gl = sizeof got;
    CHECK(getsockname(s, (struct sockaddr *)&got, &gl));
    printf("name %s len ok %d\n", got.sun_path, gl == al);
    gl = sizeof got;
    CHECK(getpeername(c, (struct sockaddr *)&got, &gl));
    printf("peer %s\n", got.sun_path);
    char buf[16];
    CHECK(write(c, "ping", 4));
    CHECK(read(s, buf, sizeof buf));
    close(s);
    close(c);
    close(ls);
    int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c2, (struct sockaddr *)&a, al));
    CHECK(unlink("srv.sock"));
    CHECK(connect(c2, (struct sockaddr *)&a, al));
    close(c2);
    close(other);

    /* abstract */
    al = mkaddr(&a, "pyocclum-test-abstract", 1);
    int x = socket(AF_UNIX, SOCK_STREAM, 0), y = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(x, (struct sockaddr *)&a, al));
    CHECK(bind(y, (struct sockaddr *)&a, al));
    close(x);
    CHECK(bind(y, (struct sockaddr *)&a, al));
    gl = sizeof got;
    CHECK(getsockname(y, (struct sockaddr *)&got, &gl));
    printf("abstract len ok %d first %d\n", gl == al, got.sun_path[0]);
    close(y);
}

static void dgram_seqpacket(void) {
    struct sockaddr_un a, b, got;
    socklen_t al = mkaddr(&a, "d1", 0), bl = mkaddr(&b, "d2", 0), gl;
    int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(bind(d1, (struct sockaddr *)&a, al));
    CHECK(bind(d2, (struct sockaddr *)&b, bl));
    CHECK(sendto(d2, "first", 5, 0, (struct sockaddr *)&a, al));
    CHECK(sendto(d2, "second", 6, 0, (struct sockaddr *)&a, al));
    char buf[64];
    gl = sizeof got;
    CHECK(recvfrom(d1, buf, 3, 0, (struct sockaddr *)&got, &gl));
    printf("from %s\n", got.sun_path);
    CHECK(recv(d1, buf, 2, MSG_TRUNC));
    struct iovec iov = {buf, 2};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
    CHECK(sendto(d2, "third", 5, 0, (struct sockaddr *)&a, al));
    CHECK(recvmsg(d1, &mh, 0));
    printf("msg_flags trunc %d\n", !!(mh.msg_flags & MSG_TRUNC));
    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(sendto(u, "x", 1, 0, (struct sockaddr *)&a, al));
    gl = sizeof got;
    CHECK(recvfrom(d1, buf, sizeof buf, 0, (struct sockaddr *)&got, &gl));
    printf("unnamed sender addrlen %u\n", gl);
    CHECK(send(u, "x", 1, 0));
    close(u);
    close(d1);
    close(d2);
    unlink("d1");
    unlink("d2");

    int sp[2];
    CHECK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp));
    CHECK(send(sp[0], "abc", 3, 0));
    CHECK(send(sp[0], "defg", 4, 0));
    CHECK(recv(sp[1], buf, 2, 0));
    CHECK(recv(sp[1], buf, sizeof buf, 0));
    close(sp[0]);
    CHECK(recv(sp[1], buf, sizeof buf, 0));
    close(sp[1]);
}


static void more(void) {
    struct sockaddr_un a, got;
    socklen_t al = mkaddr(&a, "bl.sock", 0), gl;
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(ls, (struct sockaddr *)&a, al));
    CHECK(listen(ls, 0));
    int c1 = socket(AF_UNIX, SOCK_STREAM, 0);
    int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(connect(c1, (struct sockaddr *)&a, al));
    CHECK(connect(c2, (struct sockaddr *)&a, al));
    int r = revents(ls, POLLIN | POLLOUT);
    printf("listener: in %d out %d\n", !!(r & POLLIN), !!(r & POLLOUT));
    CHECK(sendto(c1, "x", 1, 0, (struct sockaddr *)&a, al));
    int s = accept(ls, NULL, NULL);
    MUST(s >= 0);
    CHECK(connect(c2, (struct sockaddr *)&a, al));
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    CHECK(connect(d, (struct sockaddr *)&a, al));
    int v = 4096;
    CHECK(setsockopt(c1, SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
    socklen_t vl = sizeof v;
    CHECK(getsockopt(c1, SOL_SOCKET, SO_SNDBUF, &v, &vl));
    printf("sndbuf %d\n", v);
    close(s);
    close(c1);
    close(c2);
    close(d);
    close(ls);
    unlink("bl.sock");

    int u = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct sockaddr_un unnamed = {.sun_family = AF_UNIX};
    CHECK(bind(u, (struct sockaddr *)&unnamed, sizeof(sa_family_t)));
    gl = sizeof got;
    CHECK(getsockname(u, (struct sockaddr *)&got, &gl));
    printf("autobind len %u abstract %d\n", gl, got.sun_path[0] == 0);
    close(u);

    /* rights: a stream receive stops after the write that carried them; too
     * little control room truncates (MSG_CTRUNC) */
    int sv[2], pfd[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK(pipe(pfd));
    /* three fds; the receiver has room for one (x86-64's alignment leaves room
     * for two: either way some do not fit) */
    int three[3] = {pfd[0], pfd[1], pfd[0]};
    char cbuf[CMSG_SPACE(3 * sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {"with", 4};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = CMSG_SPACE(3 * sizeof(int))};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(3 * sizeof(int));
    memcpy(CMSG_DATA(cm), three, 3 * sizeof(int));
    CHECK(send(sv[0], "plain-", 6, 0));
    CHECK(sendmsg(sv[0], &mh, 0));
    CHECK(send(sv[0], "after", 5, 0));
    char data[64];
    char small[CMSG_SPACE(sizeof(int))];
    struct iovec riov = {data, sizeof data};
    struct msghdr rh = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = small,
                        .msg_controllen = sizeof small};
    CHECK(recvmsg(sv[1], &rh, 0));
    cm = CMSG_FIRSTHDR(&rh);
    printf("ctrunc %d cmsg %d\n", !!(rh.msg_flags & MSG_CTRUNC), cm != NULL);
    int passed = -1;
    if (cm) memcpy(&passed, CMSG_DATA(cm), sizeof passed);
    rh.msg_control = small;
    rh.msg_controllen = sizeof small;
    CHECK(recvmsg(sv[1], &rh, 0));
    printf("then flags %d controllen %zu\n", rh.msg_flags, (size_t)rh.msg_controllen);
    /* the passed read end works: the original write end feeds it */
    CHECK(write(pfd[1], "pp", 2));
    CHECK(read(passed, data, sizeof data));
    close(passed);
    close(pfd[0]);
    close(pfd[1]);
    close(sv[0]);
    close(sv[1]);
}

static int child(void) {
    /* fd 10: our end of the socket pair */
    char data[8];
    char cbuf[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {data, sizeof data};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof cbuf};
    ssize_t n = recvmsg(10, &mh, 0);
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    int fd = -1;
    if (cm && cm->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    struct ucred cr;
    socklen_t cl = sizeof cr;
    if (getsockopt(10, SOL_SOCKET, SO_PEERCRED, &cr, &cl) != 0) return 3;
    printf("child got %zd bytes, fd %d, peercred pid is parent %d\n", n, fd >= 0,
           cr.pid == getppid());
    if (write(fd, "via passed fd", 13) != 13) return 2;
    return 0;
}

static void fdpass(const char *argv0) {
    int sv[2], pfd[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK(pipe(pfd));
    char cbuf[CMSG_SPACE(sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {"F", 1};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
                        .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &pfd[1], sizeof(int));
    CHECK(sendmsg(sv[0], &mh, 0));
    close(pfd[1]);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, sv[1], 10);
    char *args[] = {(char *)argv0, "child", NULL};
    pid_t pid;
    int se = posix_spawn(&pid, argv0, &fa, NULL, args, environ);
    if (se) printf("posix_spawn: %s\n", errname(se));
    MUST(se == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(sv[1]);
    int status;
    CHECK_OK(waitpid(pid, &status, 0));
    printf("child exit %d\n", WEXITSTATUS(status));
    char buf[32] = {0};
    CHECK(read(pfd[0], buf, sizeof buf));
    printf("parent read '%s'\n", buf);
    CHECK(read(pfd[0], buf, sizeof buf));
    close(pfd[0]);
    close(sv[0]);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "child") == 0) return child();
    pair_stream();
    paths();
    dgram_seqpacket();
    more();
    fdpass(argv[0]);
    return 0;
}
