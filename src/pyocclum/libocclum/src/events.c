/*
 * Events over the kernel: epoll, poll/ppoll, select/pselect, eventfd and
 * timerfd. Every wait sleeps in the kernel on the wait queues of what it
 * watches (docs/abi.md, "Events and the rest"); nothing here loops.
 *
 * <poll.h> and <sys/select.h> route poll, ppoll, select and pselect here by
 * asm labels (__occlum_wrap_*): wasi-libc's versions, over poll_oneoff,
 * know only "readable" and "writable" (no POLLHUP for a pipe whose writer
 * has gone, no POLLNVAL, no EBADF from select). Under a harness without
 * the kernel's poll (ENOSYS, e.g. wasmtime's own WASI) they fall back to
 * wasi-libc's poll and pselect, as the path calls do (paths.c).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "occlum.h"

_Static_assert(sizeof(struct epoll_event) == 12, "epoll_event is packed, as on x86-64");
_Static_assert(sizeof(struct occlum_epoll_event) == 12, "the kernel's epoll_event is 12 bytes");
_Static_assert(sizeof(struct pollfd) == 8, "struct pollfd is 8 bytes");
_Static_assert(sizeof(struct occlum_itimerspec) == 32, "itimerspec is 32 bytes");

/* Linux's O_NONBLOCK and O_CLOEXEC, which the kernel takes in these flags. */
#define LINUX_O_NONBLOCK 0x800
#define LINUX_O_CLOEXEC 0x80000
/* Linux's EP_MAX_EVENTS. */
#define EP_MAX_EVENTS (INT_MAX / (int)sizeof(struct epoll_event))
/* A private poll bit: report exactly the events asked for (select's rule:
 * an fd wakes select only for the sets it is in), no implicit POLLERR/POLLHUP. */
#define OCCLUM_POLL_EXACT 0x8000

static int fail(int e) {
    errno = e;
    return -1;
}

/* Nanoseconds of a timespec for a wait, -1 for NULL (for ever); -2 if invalid. */
static int64_t timespec_ns(const struct timespec *ts) {
    if (ts == NULL)
        return -1;
    if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
        return -2;
    if (ts->tv_sec > INT64_MAX / 1000000000LL - 1)
        return INT64_MAX;
    return (int64_t)ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

/* --- epoll --- */

int epoll_create(int size) {
    if (size <= 0)
        return fail(EINVAL);
    return epoll_create1(0);
}

int epoll_create1(int flags) {
    if (flags & ~O_CLOEXEC)
        return fail(EINVAL);
    int32_t fd = -1;
    int32_t rc = __occlum_epoll_create1(flags & O_CLOEXEC ? LINUX_O_CLOEXEC : 0, &fd);
    return rc != 0 ? __occlum_result(rc) : fd;
}

int epoll_ctl(int epfd, int op, int fd, struct epoll_event *event) {
    /* Same layout (packed, 12 bytes): the kernel reads the program's record. */
    return __occlum_result(
        __occlum_epoll_ctl(epfd, (uint32_t)op, fd, (const struct occlum_epoll_event *)event));
}

static int epoll_wait_ns(int epfd, struct epoll_event *events, int maxevents, int64_t timeout_ns,
                         const sigset_t *sigmask) {
    if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
        return fail(EINVAL);
    if (events == NULL)
        return fail(EFAULT);
    uint32_t n = 0;
    int32_t rc = __occlum_epoll_pwait(epfd, (struct occlum_epoll_event *)events,
                                      (size_t)maxevents * sizeof *events, timeout_ns,
                                      (const uint64_t *)sigmask, &n);
    return rc != 0 ? __occlum_result(rc) : (int)n;
}

int epoll_pwait(int epfd, struct epoll_event *events, int maxevents, int timeout,
                const sigset_t *sigmask) {
    int64_t ns = timeout < 0 ? -1 : (int64_t)timeout * 1000000;
    return epoll_wait_ns(epfd, events, maxevents, ns, sigmask);
}

int epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout) {
    return epoll_pwait(epfd, events, maxevents, timeout, NULL);
}

int epoll_pwait2(int epfd, struct epoll_event *events, int maxevents,
                 const struct timespec *timeout, const sigset_t *sigmask) {
    int64_t ns = timespec_ns(timeout);
    if (ns == -2)
        return fail(EINVAL);
    return epoll_wait_ns(epfd, events, maxevents, ns, sigmask);
}

/* --- poll --- */

/* wasi-libc's own POLL* bits (its <__header_poll.h>; <poll.h> here has
 * Linux's), for its poll, the fallback without the kernel. */
#define WASI_POLLRDNORM 0x1
#define WASI_POLLWRNORM 0x2
#define WASI_POLLERR 0x1000
#define WASI_POLLHUP 0x2000
#define WASI_POLLNVAL 0x4000

/* Milliseconds for wasi-libc's poll: rounded up (a wait never ends early),
 * -1 for ever, at most INT_MAX. */
static int timeout_ms(int64_t timeout_ns) {
    if (timeout_ns < 0)
        return -1;
    int64_t ms = timeout_ns / 1000000 + (timeout_ns % 1000000 != 0);
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* wasi-libc's poll (over poll_oneoff) on the caller's array: the events
 * are translated to its bits and the revents back to Linux's; the signal
 * mask is ignored (no signals without the kernel). */
static int wasi_poll(struct pollfd *fds, nfds_t nfds, int64_t timeout_ns) {
    const short linux_in = POLLIN | POLLRDNORM | POLLRDBAND;
    const short linux_out = POLLOUT | POLLWRNORM | POLLWRBAND;
    short *asked = malloc((nfds > 0 ? nfds : 1) * sizeof *asked);
    if (asked == NULL)
        return fail(ENOMEM);
    for (nfds_t i = 0; i < nfds; i++) {
        asked[i] = fds[i].events;
        fds[i].events = (short)((asked[i] & linux_in ? WASI_POLLRDNORM : 0) |
                                (asked[i] & linux_out ? WASI_POLLWRNORM : 0));
    }
    int rc = poll(fds, nfds, timeout_ms(timeout_ns));
    int saved = errno;
    for (nfds_t i = 0; i < nfds; i++) {
        short got = rc < 0 ? 0 : fds[i].revents;
        fds[i].events = asked[i];
        fds[i].revents = (short)((got & WASI_POLLRDNORM ? asked[i] & linux_in : 0) |
                                 (got & WASI_POLLWRNORM ? asked[i] & linux_out : 0) |
                                 (got & WASI_POLLERR ? POLLERR : 0) |
                                 (got & WASI_POLLHUP ? POLLHUP : 0) |
                                 (got & WASI_POLLNVAL ? POLLNVAL : 0));
    }
    free(asked);
    errno = saved;
    return rc;
}

/* The kernel's poll: 0 and *n set, or the kernel's errno (ENOSYS if it
 * lacks the call). */
static int32_t kernel_poll(struct pollfd *fds, nfds_t nfds, int64_t timeout_ns,
                           const sigset_t *sigmask, uint32_t *n) {
    return __occlum_poll(fds, nfds, fds, nfds * sizeof *fds, timeout_ns,
                         (const uint64_t *)sigmask, n);
}

static int poll_ns(struct pollfd *fds, nfds_t nfds, int64_t timeout_ns, const sigset_t *sigmask) {
    if (nfds > (nfds_t)INT_MAX / sizeof *fds)
        return fail(EINVAL);
    uint32_t n = 0;
    int32_t rc = kernel_poll(fds, nfds, timeout_ns, sigmask, &n);
    if (rc == ENOSYS)
        return wasi_poll(fds, nfds, timeout_ns);
    return rc != 0 ? __occlum_result(rc) : (int)n;
}

int __occlum_wrap_poll(struct pollfd *fds, nfds_t nfds, int timeout) {
    return poll_ns(fds, nfds, timeout < 0 ? -1 : (int64_t)timeout * 1000000, NULL);
}

int __occlum_wrap_ppoll(struct pollfd *fds, nfds_t nfds, const struct timespec *timeout,
                        const sigset_t *sigmask) {
    int64_t ns = timespec_ns(timeout);
    if (ns == -2)
        return fail(EINVAL);
    return poll_ns(fds, nfds, ns, sigmask);
}

/* --- select --- */

/* Linux's POLLIN_SET, POLLOUT_SET and POLLEX_SET (fs/select.c). */
#define SEL_IN (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define SEL_OUT (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define SEL_EX (POLLPRI)

/* wasi-libc's pselect (over its poll), the fallback without the kernel. */
static int wasi_pselect(int nfds, fd_set *r, fd_set *w, fd_set *e, int64_t timeout_ns) {
    struct timespec ts = {(time_t)(timeout_ns / 1000000000LL), (long)(timeout_ns % 1000000000LL)};
    return pselect(nfds, r, w, e, timeout_ns < 0 ? NULL : &ts, NULL);
}

/* select over the kernel's poll: one pollfd per fd below nfds that is in a
 * set. Returns the number of bits set, as Linux. */
static int select_ns(int nfds, fd_set *r, fd_set *w, fd_set *e, int64_t timeout_ns,
                     const sigset_t *sigmask) {
    if (nfds < 0)
        return fail(EINVAL);
    if (nfds > FD_SETSIZE)
        nfds = FD_SETSIZE;
    struct pollfd fds[FD_SETSIZE];
    unsigned char which[FD_SETSIZE]; /* bit s: the fd is in set s */
    nfds_t count = 0;
    fd_set *sets[3] = {r, w, e};
    for (int s = 0; s < 3; s++) {
        if (sets[s] == NULL)
            continue;
        for (size_t i = 0; i < sets[s]->__nfds; i++) {
            int fd = sets[s]->__fds[i];
            if (fd < 0 || fd >= nfds)
                continue;
            nfds_t j = 0;
            while (j < count && fds[j].fd != fd)
                j++;
            if (j == count) {
                fds[count].fd = fd;
                fds[count].events = (short)OCCLUM_POLL_EXACT;
                fds[count].revents = 0;
                which[count] = 0;
                count++;
            }
            fds[j].events |= (short)(s == 0 ? SEL_IN : s == 1 ? SEL_OUT : SEL_EX);
            which[j] |= (unsigned char)(1 << s);
        }
    }
    uint32_t n = 0;
    int32_t rc = kernel_poll(fds, count, timeout_ns, sigmask, &n);
    if (rc == ENOSYS)
        return wasi_pselect(nfds, r, w, e, timeout_ns);
    if (rc != 0)
        return __occlum_result(rc);
    for (nfds_t j = 0; j < count; j++) {
        if (fds[j].revents & POLLNVAL)
            return fail(EBADF); /* the sets are left as they were, as Linux */
    }
    static const short ready[3] = {SEL_IN, SEL_OUT, SEL_EX};
    int bits = 0;
    for (int s = 0; s < 3; s++) {
        if (sets[s] == NULL)
            continue;
        FD_ZERO(sets[s]);
        for (nfds_t j = 0; j < count; j++) {
            if (which[j] & (1 << s) && fds[j].revents & ready[s]) {
                FD_SET(fds[j].fd, sets[s]);
                bits++;
            }
        }
    }
    return bits;
}

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Linux writes the time left back to select's timeout (also on EINTR). */
int __occlum_wrap_select(int nfds, fd_set *r, fd_set *w, fd_set *e, struct timeval *timeout) {
    int64_t ns = -1;
    if (timeout != NULL) {
        if (timeout->tv_sec < 0 || timeout->tv_usec < 0)
            return fail(EINVAL);
        int64_t sec = (int64_t)timeout->tv_sec + timeout->tv_usec / 1000000;
        ns = sec > INT64_MAX / 1000000000LL - 1
                 ? INT64_MAX
                 : sec * 1000000000LL + (int64_t)(timeout->tv_usec % 1000000) * 1000;
    }
    int64_t start = timeout != NULL ? now_ns() : 0;
    int rc = select_ns(nfds, r, w, e, ns, NULL);
    int saved = errno;
    if (timeout != NULL && ns != INT64_MAX && !(rc < 0 && errno != EINTR)) {
        int64_t left = ns - (now_ns() - start);
        if (left < 0 || rc == 0)
            left = 0;
        timeout->tv_sec = (time_t)(left / 1000000000LL);
        timeout->tv_usec = (suseconds_t)(left % 1000000000LL / 1000);
    }
    errno = saved;
    return rc;
}

int __occlum_wrap_pselect(int nfds, fd_set *r, fd_set *w, fd_set *e,
                          const struct timespec *timeout, const sigset_t *sigmask) {
    int64_t ns = timespec_ns(timeout);
    if (ns == -2)
        return fail(EINVAL);
    return select_ns(nfds, r, w, e, ns, sigmask);
}

/* --- eventfd --- */

int eventfd(unsigned int initval, int flags) {
    if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC))
        return fail(EINVAL);
    uint32_t linux_flags = (uint32_t)(flags & EFD_SEMAPHORE);
    if (flags & EFD_NONBLOCK)
        linux_flags |= LINUX_O_NONBLOCK;
    if (flags & EFD_CLOEXEC)
        linux_flags |= LINUX_O_CLOEXEC;
    int32_t fd = -1;
    int32_t rc = __occlum_eventfd2(initval, linux_flags, &fd);
    return rc != 0 ? __occlum_result(rc) : fd;
}

int eventfd_read(int fd, eventfd_t *value) {
    return read(fd, value, sizeof *value) == (ssize_t)sizeof *value ? 0 : -1;
}

int eventfd_write(int fd, eventfd_t value) {
    return write(fd, &value, sizeof value) == (ssize_t)sizeof value ? 0 : -1;
}

/* --- timerfd --- */

/* Linux's clock id of a wasi-libc clockid_t (a pointer), or -1. */
static int32_t linux_clock(clockid_t clock) {
    if (clock == CLOCK_REALTIME)
        return 0;
    if (clock == CLOCK_MONOTONIC)
        return 1;
    return -1;
}

int timerfd_create(clockid_t clock, int flags) {
    int32_t id = linux_clock(clock);
    if (id < 0 || flags & ~(TFD_NONBLOCK | TFD_CLOEXEC))
        return fail(EINVAL);
    uint32_t linux_flags = 0;
    if (flags & TFD_NONBLOCK)
        linux_flags |= LINUX_O_NONBLOCK;
    if (flags & TFD_CLOEXEC)
        linux_flags |= LINUX_O_CLOEXEC;
    int32_t fd = -1;
    int32_t rc = __occlum_timerfd_create(id, linux_flags, &fd);
    return rc != 0 ? __occlum_result(rc) : fd;
}

static void to_itimerspec(const struct occlum_itimerspec *k, struct itimerspec *out) {
    out->it_interval.tv_sec = (time_t)k->interval_sec;
    out->it_interval.tv_nsec = (long)k->interval_nsec;
    out->it_value.tv_sec = (time_t)k->value_sec;
    out->it_value.tv_nsec = (long)k->value_nsec;
}

int timerfd_settime(int fd, int flags, const struct itimerspec *new_value,
                    struct itimerspec *old_value) {
    if (new_value == NULL)
        return fail(EFAULT);
    struct occlum_itimerspec k = {
        new_value->it_interval.tv_sec, new_value->it_interval.tv_nsec,
        new_value->it_value.tv_sec, new_value->it_value.tv_nsec,
    };
    struct occlum_itimerspec old;
    int32_t rc = __occlum_timerfd_settime(fd, (uint32_t)flags, &k, old_value ? &old : NULL);
    if (rc == 0 && old_value != NULL)
        to_itimerspec(&old, old_value);
    return __occlum_result(rc);
}

int timerfd_gettime(int fd, struct itimerspec *cur) {
    struct occlum_itimerspec k;
    int32_t rc = __occlum_timerfd_gettime(fd, &k);
    if (rc == 0)
        to_itimerspec(&k, cur);
    return __occlum_result(rc);
}
