/*
 * The socket calls over the kernel's (docs/abi.md, version 4): socket,
 * socketpair, bind, listen, accept[4], connect, send[to|msg|mmsg],
 * recv[from|msg|mmsg], shutdown, get/setsockopt, getsockname, getpeername.
 *
 * The kernel takes Linux's constants and binary addresses, which
 * <sys/socket.h> and <netinet/in.h> here define, so most calls pass through.
 * What is done here, as Linux does it:
 *   - an address out-parameter: the kernel writes the whole address into a
 *     sockaddr_storage; the caller gets min(its *addrlen, the length) bytes
 *     and *addrlen = the full length (a shorter buffer truncates silently);
 *     a negative *addrlen is EINVAL, a NULL addrlen with an address EFAULT;
 *   - sendmsg's control messages: every SCM_RIGHTS array is gathered into
 *     one list of fds for the kernel (EINVAL for a malformed cmsghdr, past
 *     253 fds, or an unknown SOL_SOCKET type; SCM_CREDENTIALS is checked
 *     for its length and otherwise not sent: the kernel stamps the sender's
 *     own credentials); other levels are ignored, as Linux's AF_UNIX does;
 *   - recvmsg's: room for (msg_controllen - CMSG_LEN(0)) / 4 fds is offered;
 *     the kernel closes those that do not fit and sets MSG_CTRUNC; the
 *     received fds come back as one SCM_RIGHTS message and msg_controllen
 *     is what was used (0 when nothing came);
 *   - msg_iovlen past IOV_MAX (1024): EMSGSIZE.
 * send, recv, accept, accept4, shutdown and getsockopt are also defined by
 * wasi-libc (over WASI's sock_* calls): <sys/socket.h> gives those names
 * asm labels (__occlum_wrap_*), so these definitions carry the labelled names.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "internal.h"

_Static_assert(sizeof(struct sockaddr) == 16, "struct sockaddr is Linux's 16 bytes");
_Static_assert(sizeof(struct sockaddr_storage) == 128, "sockaddr_storage is 128 bytes");
_Static_assert(sizeof(struct msghdr) == 28, "struct msghdr is 32-bit Linux's");
_Static_assert(sizeof(struct cmsghdr) == 12, "struct cmsghdr is 32-bit Linux's");
_Static_assert(sizeof(struct ucred) == 12, "struct ucred is 12 bytes");
_Static_assert(sizeof(struct iovec) == 8, "struct iovec is a WASI iovec");

/* Linux's UIO_MAXIOV and SCM_MAX_FD. */
#define NET_IOV_MAX 1024
#define NET_SCM_MAX_FD 253

static int fail(int e) {
    errno = e;
    return -1;
}

/* Check an address out-parameter before the call: 0 or an errno. */
static int check_addr_out(const struct sockaddr *addr, const socklen_t *addrlen) {
    if (addr == NULL)
        return 0;
    if (addrlen == NULL)
        return EFAULT;
    if ((int)*addrlen < 0)
        return EINVAL;
    return 0;
}

/* Give the caller the address the kernel wrote (len bytes of ss). */
static void put_addr(const struct sockaddr_storage *ss, uint32_t len, struct sockaddr *addr,
                     socklen_t *addrlen) {
    if (addr == NULL)
        return;
    uint32_t n = len < *addrlen ? len : *addrlen;
    if (n > sizeof *ss)
        n = sizeof *ss;
    memcpy(addr, ss, n);
    *addrlen = len;
}

int socket(int domain, int type, int protocol) {
    int32_t fd = -1;
    int32_t rc = __occlum_socket(domain, type, protocol, &fd);
    return rc != 0 ? __occlum_result(rc) : fd;
}

int socketpair(int domain, int type, int protocol, int sv[2]) {
    if (sv == NULL)
        return fail(EFAULT);
    int32_t fds[2] = {-1, -1};
    int32_t rc = __occlum_socketpair(domain, type, protocol, fds);
    if (rc != 0)
        return __occlum_result(rc);
    sv[0] = fds[0];
    sv[1] = fds[1];
    return 0;
}

int bind(int fd, const struct sockaddr *addr, socklen_t addrlen) {
    if (addr == NULL && addrlen != 0)
        return fail(EFAULT);
    return __occlum_result(__occlum_bind(fd, addr, addrlen));
}

int connect(int fd, const struct sockaddr *addr, socklen_t addrlen) {
    if (addr == NULL && addrlen != 0)
        return fail(EFAULT);
    return __occlum_result(__occlum_connect(fd, addr, addrlen));
}

int listen(int fd, int backlog) {
    return __occlum_result(__occlum_listen(fd, backlog));
}

int accept4(int fd, struct sockaddr *restrict addr, socklen_t *restrict addrlen, int flags) {
    int e = check_addr_out(addr, addrlen);
    if (e != 0)
        return fail(e);
    struct sockaddr_storage ss;
    uint32_t len = 0;
    int32_t newfd = -1;
    int32_t rc = __occlum_accept4(fd, (uint32_t)flags, addr ? &ss : NULL, addr ? sizeof ss : 0,
                                  &len, &newfd);
    if (rc != 0)
        return __occlum_result(rc);
    put_addr(&ss, len, addr, addrlen);
    return newfd;
}

int accept(int fd, struct sockaddr *restrict addr, socklen_t *restrict addrlen) {
    return accept4(fd, addr, addrlen, 0);
}

static int name_call(int32_t (*call)(int32_t, void *, uint32_t, uint32_t *), int fd,
                     struct sockaddr *addr, socklen_t *addrlen) {
    if (addr == NULL || addrlen == NULL)
        return fail(EFAULT);
    int e = check_addr_out(addr, addrlen);
    if (e != 0)
        return fail(e);
    struct sockaddr_storage ss;
    uint32_t len = 0;
    int32_t rc = call(fd, &ss, sizeof ss, &len);
    if (rc != 0)
        return __occlum_result(rc);
    put_addr(&ss, len, addr, addrlen);
    return 0;
}

int getsockname(int fd, struct sockaddr *restrict addr, socklen_t *restrict addrlen) {
    return name_call(__occlum_getsockname, fd, addr, addrlen);
}

int getpeername(int fd, struct sockaddr *restrict addr, socklen_t *restrict addrlen) {
    return name_call(__occlum_getpeername, fd, addr, addrlen);
}

int shutdown(int fd, int how) {
    return __occlum_result(__occlum_shutdown(fd, how));
}

int getsockopt(int fd, int level, int name, void *restrict value, socklen_t *restrict len) {
    if (len == NULL)
        return fail(EFAULT);
    if ((int)*len < 0)
        return fail(EINVAL);
    uint32_t out = 0;
    int32_t rc = __occlum_getsockopt(fd, level, name, value, *len, &out);
    if (rc != 0)
        return __occlum_result(rc);
    *len = out;
    return 0;
}

int setsockopt(int fd, int level, int name, const void *value, socklen_t len) {
    if (value == NULL && len != 0)
        return fail(EFAULT);
    return __occlum_result(__occlum_setsockopt(fd, level, name, value, len));
}

/* --- sending --- */

/* Gather the SCM_RIGHTS fds of msg's control messages into fds (room for
 * NET_SCM_MAX_FD + 1); *n is their count. 0 or an errno. */
static int control_fds(const struct msghdr *msg, int32_t *fds, size_t *n) {
    *n = 0;
    if (msg->msg_control == NULL || msg->msg_controllen < sizeof(struct cmsghdr))
        return 0;
    const unsigned char *base = msg->msg_control;
    size_t off = 0;
    while (msg->msg_controllen - off >= sizeof(struct cmsghdr)) {
        struct cmsghdr c;
        memcpy(&c, base + off, sizeof c);
        if (c.cmsg_len < sizeof(struct cmsghdr) || c.cmsg_len > msg->msg_controllen - off)
            return EINVAL;
        if (c.cmsg_level == SOL_SOCKET) {
            size_t data = c.cmsg_len - CMSG_LEN(0);
            if (c.cmsg_type == SCM_RIGHTS) {
                size_t k = data / sizeof(int32_t);
                if (*n + k > NET_SCM_MAX_FD)
                    return EINVAL;
                memcpy(fds + *n, base + off + CMSG_LEN(0), k * sizeof(int32_t));
                *n += k;
            } else if (c.cmsg_type == SCM_CREDENTIALS) {
                if (c.cmsg_len != CMSG_LEN(sizeof(struct ucred)))
                    return EINVAL;
            } else {
                return EINVAL;
            }
        }
        off += CMSG_ALIGN(c.cmsg_len);
        if (off > msg->msg_controllen)
            break;
    }
    return 0;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags) {
    if (msg == NULL)
        return fail(EFAULT);
    if (msg->msg_iovlen < 0 || msg->msg_iovlen > NET_IOV_MAX)
        return fail(EMSGSIZE);
    if (msg->msg_iovlen > 0 && msg->msg_iov == NULL)
        return fail(EFAULT);
    int32_t fds[NET_SCM_MAX_FD + 1];
    size_t nfds = 0;
    int e = control_fds(msg, fds, &nfds);
    if (e != 0)
        return fail(e);
    const void *name = msg->msg_name;
    uint32_t namelen = name != NULL ? msg->msg_namelen : 0;
    if (name != NULL && (int)namelen < 0)
        return fail(EINVAL);
    size_t sent = 0;
    int32_t rc = __occlum_sendmsg(fd, msg->msg_iov, (size_t)msg->msg_iovlen, (uint32_t)flags,
                                  namelen ? name : NULL, namelen, nfds ? fds : NULL, nfds, &sent);
    return rc != 0 ? __occlum_result(rc) : (ssize_t)sent;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr,
               socklen_t addrlen) {
    if (addr == NULL)
        addrlen = 0;
    struct iovec iov = {(void *)buf, len};
    size_t sent = 0;
    int32_t rc = __occlum_sendmsg(fd, &iov, 1, (uint32_t)flags, addr, addrlen, NULL, 0, &sent);
    return rc != 0 ? __occlum_result(rc) : (ssize_t)sent;
}

ssize_t send(int fd, const void *buf, size_t len, int flags) {
    return sendto(fd, buf, len, flags, NULL, 0);
}

int sendmmsg(int fd, struct mmsghdr *msgs, unsigned int n, unsigned int flags) {
    if (n > NET_IOV_MAX)
        n = NET_IOV_MAX;
    unsigned int i;
    for (i = 0; i < n; i++) {
        ssize_t r = sendmsg(fd, &msgs[i].msg_hdr, (int)flags);
        if (r < 0)
            return i > 0 ? (int)i : -1;
        msgs[i].msg_len = (unsigned int)r;
    }
    return (int)i;
}

/* --- receiving --- */

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
    if (msg == NULL)
        return fail(EFAULT);
    if (msg->msg_iovlen < 0 || msg->msg_iovlen > NET_IOV_MAX)
        return fail(EMSGSIZE);
    if (msg->msg_iovlen > 0 && msg->msg_iov == NULL)
        return fail(EFAULT);
    struct sockaddr *name = msg->msg_name;
    if (name != NULL && (int)msg->msg_namelen < 0)
        return fail(EINVAL);
    uint32_t room = 0;
    if (msg->msg_control != NULL && msg->msg_controllen > CMSG_LEN(0))
        room = (uint32_t)((msg->msg_controllen - CMSG_LEN(0)) / sizeof(int32_t));
    if (room > NET_SCM_MAX_FD)
        room = NET_SCM_MAX_FD;
    int32_t fds[NET_SCM_MAX_FD];
    struct sockaddr_storage ss;
    uint32_t alen = 0, fdlen = 0, mflags = 0;
    size_t n = 0;
    int32_t rc = __occlum_recvmsg(fd, msg->msg_iov, (size_t)msg->msg_iovlen, (uint32_t)flags,
                                  name ? &ss : NULL, name ? sizeof ss : 0, &alen, fds,
                                  room * sizeof(int32_t), &fdlen, &n, &mflags);
    if (rc != 0)
        return __occlum_result(rc);
    if (name != NULL)
        put_addr(&ss, alen, name, &msg->msg_namelen);
    size_t used = 0;
    if (fdlen > 0) {
        struct cmsghdr c = {.cmsg_len = CMSG_LEN(fdlen), .cmsg_level = SOL_SOCKET,
                            .cmsg_type = SCM_RIGHTS};
        unsigned char *base = msg->msg_control;
        memcpy(base, &c, sizeof c);
        memcpy(base + CMSG_LEN(0), fds, fdlen);
        used = CMSG_SPACE(fdlen);
        if (used > msg->msg_controllen)
            used = msg->msg_controllen;
    }
    msg->msg_controllen = (socklen_t)used;
    msg->msg_flags = (int)mflags;
    return (ssize_t)n;
}

ssize_t recvfrom(int fd, void *restrict buf, size_t len, int flags, struct sockaddr *restrict addr,
                 socklen_t *restrict addrlen) {
    int e = check_addr_out(addr, addrlen);
    if (e != 0)
        return fail(e);
    struct iovec iov = {buf, len};
    struct sockaddr_storage ss;
    uint32_t alen = 0, fdlen = 0, mflags = 0;
    size_t n = 0;
    int32_t rc = __occlum_recvmsg(fd, &iov, 1, (uint32_t)flags, addr ? &ss : NULL,
                                  addr ? sizeof ss : 0, &alen, NULL, 0, &fdlen, &n, &mflags);
    if (rc != 0)
        return __occlum_result(rc);
    put_addr(&ss, alen, addr, addrlen);
    return (ssize_t)n;
}

ssize_t recv(int fd, void *buf, size_t len, int flags) {
    return recvfrom(fd, buf, len, flags, NULL, NULL);
}

/* The timeout is not applied (Linux checks it only between datagrams, and
 * its manual calls that a bug); MSG_WAITFORONE makes every receive after
 * the first non-blocking. */
int recvmmsg(int fd, struct mmsghdr *msgs, unsigned int n, unsigned int flags,
             struct timespec *timeout) {
    (void)timeout;
    if (n > NET_IOV_MAX)
        n = NET_IOV_MAX;
    unsigned int i;
    for (i = 0; i < n; i++) {
        int f = (int)(flags & ~(unsigned)MSG_WAITFORONE);
        if (i > 0 && (flags & MSG_WAITFORONE))
            f |= MSG_DONTWAIT;
        ssize_t r = recvmsg(fd, &msgs[i].msg_hdr, f);
        if (r < 0)
            return i > 0 ? (int)i : -1;
        msgs[i].msg_len = (unsigned int)r;
    }
    return (int)i;
}
