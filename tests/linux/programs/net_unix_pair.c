/* socketpair and fd passing: stream, dgram and seqpacket pairs; SCM_RIGHTS
 * of a pipe end and of a file (shared offset), several fds in one message,
 * MSG_CTRUNC when the control buffer has room for fewer (the rest closed)
 * or none; MSG_CMSG_CLOEXEC; SO_PEERCRED, SO_TYPE, SO_DOMAIN; fstat
 * S_IFSOCK; EOF and EPIPE after the peer goes. */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "linuxtest.h"

static int send_fds(int s, const int *fds, int n, const char *data) {
    char ctl[CMSG_SPACE(4 * sizeof(int))];
    memset(ctl, 0, sizeof ctl);
    struct iovec iov = {(void *)data, strlen(data)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n > 0) {
        m.msg_control = ctl;
        m.msg_controllen = CMSG_SPACE(n * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    return (int)sendmsg(s, &m, 0);
}

/* Receive with room for `room` bytes of control; print what came; the fds
 * go to out (at most 4). Returns how many. */
static int recv_fds(int s, size_t room, int flags, int *out) {
    char data[64];
    union {
        char buf[CMSG_SPACE(4 * sizeof(int))];
        struct cmsghdr align;
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {data, sizeof data};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = room ? ctl.buf : NULL, .msg_controllen = room};
    ssize_t n = recvmsg(s, &m, flags);
    if (n < 0) {
        printf("recvmsg -1 %s\n", errname(errno));
        return 0;
    }
    int got = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        printf("  cmsg level %d type %d fds %d\n", c->cmsg_level == SOL_SOCKET,
               c->cmsg_type == SCM_RIGHTS, k);
        for (int i = 0; i < k && got < 4; i++)
            memcpy(&out[got++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    /* What was used of the control buffer: the space of the fds that came,
     * at most all of it (0 if none came). */
    size_t used = got ? CMSG_SPACE(got * sizeof(int)) : 0;
    if (used > room)
        used = room;
    printf("recvmsg %zd '%.*s' ctrunc %d controllen as used %d\n", n, (int)n, data,
           (m.msg_flags & MSG_CTRUNC) != 0, m.msg_controllen == used);
    return got;
}

static int count_open_fds(void) {
    int n = 0;
    for (int fd = 0; fd < 64; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            n++;
    return n;
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    struct stat st;
    CHECK(fstat(sv[0], &st));
    printf("S_ISSOCK %d\n", S_ISSOCK(st.st_mode));
    int v;
    socklen_t vl = sizeof v;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vl));
    printf("type stream %d\n", v == SOCK_STREAM);
    vl = sizeof v;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &vl));
    printf("domain unix %d\n", v == AF_UNIX);
    struct ucred cr;
    socklen_t crl = sizeof cr;
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &crl));
    printf("peercred len %u pid is me %d uid %d gid %d\n", crl, cr.pid == getpid(),
           cr.uid == getuid(), cr.gid == getgid());
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    CHECK(getsockname(sv[0], (struct sockaddr *)&ss, &sl));
    printf("unnamed: len %u family unix %d\n", sl, ss.ss_family == AF_UNIX);
    sl = sizeof ss;
    CHECK(getpeername(sv[0], (struct sockaddr *)&ss, &sl));
    printf("peer unnamed: len %u\n", sl);

    /* A pipe's read end travels; the original is closed; data still flows. */
    int p[2];
    MUST(pipe(p) == 0);
    CHECK(send_fds(sv[0], &p[0], 1, "pipe"));
    CHECK(close(p[0]));
    int got[4];
    int n = recv_fds(sv[1], CMSG_SPACE(sizeof(int)), 0, got);
    MUST(n == 1);
    printf("received fd is new %d, cloexec %d\n", got[0] != sv[0] && got[0] != sv[1] && got[0] != p[1],
           (fcntl(got[0], F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(write(p[1], "through", 7));
    char buf[32];
    ssize_t r = read(got[0], buf, sizeof buf);
    printf("read via passed pipe %zd '%.*s'\n", r, (int)r, buf);
    CHECK(close(got[0]));
    CHECK(close(p[1]));

    /* A file: the receiver shares the open file description (offset). */
    int f = open("file.txt", O_CREAT | O_RDWR | O_TRUNC, 0600);
    MUST(f >= 0);
    CHECK(write(f, "0123456789", 10));
    CHECK(lseek(f, 2, SEEK_SET));
    CHECK(send_fds(sv[1], &f, 1, "file"));
    n = recv_fds(sv[0], CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC, got);
    MUST(n == 1);
    printf("cmsg_cloexec %d\n", (fcntl(got[0], F_GETFD) & FD_CLOEXEC) != 0);
    r = read(got[0], buf, 3);
    printf("read via passed file %zd '%.*s', offset shared: %ld\n", r, (int)r, buf,
           (long)lseek(f, 0, SEEK_CUR));
    CHECK(close(got[0]));

    /* Three fds, room for one (CMSG_LEN: no padding either way): one
     * arrives, MSG_CTRUNC, the other two are closed. */
    int three[3] = {f, f, f};
    CHECK(send_fds(sv[0], three, 3, "three"));
    n = recv_fds(sv[1], CMSG_LEN(sizeof(int)), 0, got);
    printf("got %d\n", n);
    for (int i = 0; i < n; i++)
        CHECK(close(got[i]));
    /* No room at all: nothing new stays open. */
    int before = count_open_fds();
    CHECK(send_fds(sv[0], three, 2, "two"));
    n = recv_fds(sv[1], 0, 0, got);
    printf("got %d; fds open as before: %d\n", n, count_open_fds() == before);
    /* Room for all. */
    CHECK(send_fds(sv[0], three, 3, "all"));
    n = recv_fds(sv[1], CMSG_SPACE(4 * sizeof(int)), 0, got);
    for (int i = 0; i < n; i++)
        CHECK(close(got[i]));
    /* Bad fds and bad control messages. */
    int bad = 1000;
    CHECK(send_fds(sv[0], &bad, 1, "bad"));
    struct msghdr m = {0};
    char ctl[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec iov = {"x", 1};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl;
    m.msg_controllen = sizeof ctl;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = sizeof ctl + 8; /* past the buffer */
    CHECK(sendmsg(sv[0], &m, 0));
    c->cmsg_len = CMSG_LEN(sizeof(int));
    c->cmsg_type = 77;
    CHECK(sendmsg(sv[0], &m, 0));
    CHECK(close(f));

    /* Stream data has no boundaries; read what is there. */
    CHECK(send(sv[0], "ab", 2, 0));
    CHECK(send(sv[0], "cd", 2, 0));
    r = recv(sv[1], buf, sizeof buf, MSG_WAITALL | MSG_DONTWAIT);
    printf("stream recv %zd '%.*s'\n", r, (int)r, buf);

    /* The peer goes: EOF on read, EPIPE on write (SIGPIPE ignored). */
    CHECK(shutdown(sv[0], SHUT_WR));
    CHECK(recv(sv[1], buf, sizeof buf, 0));
    CHECK(close(sv[1]));
    CHECK(send(sv[0], "x", 1, 0));
    CHECK(close(sv[0]));

    /* Datagram and seqpacket pairs keep message boundaries; a short buffer
     * truncates (MSG_TRUNC in msg_flags, the real length with MSG_TRUNC). */
    int types[2] = {SOCK_DGRAM, SOCK_SEQPACKET};
    for (int t = 0; t < 2; t++) {
        printf("%s pair\n", t ? "seqpacket" : "dgram");
        CHECK(socketpair(AF_UNIX, types[t] | SOCK_CLOEXEC, 0, sv));
        CHECK(send(sv[0], "first", 5, 0));
        CHECK(send(sv[0], "second", 6, 0));
        CHECK(send(sv[0], "", 0, 0));
        CHECK(send(sv[0], "truncated", 9, 0));
        CHECK(send(sv[0], "again", 5, 0));
        CHECK(recv(sv[1], buf, sizeof buf, 0));
        CHECK(recv(sv[1], buf, sizeof buf, 0));
        CHECK(recv(sv[1], buf, sizeof buf, 0));
        char small[4];
        struct iovec si = {small, sizeof small};
        struct msghdr sm = {.msg_iov = &si, .msg_iovlen = 1};
        r = recvmsg(sv[1], &sm, 0);
        printf("short recvmsg %zd '%.*s' trunc %d\n", r, (int)(r > 4 ? 4 : r), small,
               (sm.msg_flags & MSG_TRUNC) != 0);
        CHECK(recv(sv[1], small, sizeof small, MSG_TRUNC));
        CHECK(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
        CHECK(close(sv[0]));
        CHECK(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
        CHECK(close(sv[1]));
    }
    CHECK(socketpair(AF_INET, SOCK_STREAM, 0, sv));
    CHECK(socketpair(AF_UNIX, SOCK_RAW, 0, sv));
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 5, sv));
    return 0;
}
