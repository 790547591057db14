/*
 * sys/epoll.h: missing from wasi-libc. Linux's declarations and values
 * (events, EPOLL_CTL_*); libocclum implements the calls over the kernel's
 * epoll (src/events.c). struct epoll_event is packed, as on x86-64 Linux.
 * EPOLL_CLOEXEC is O_CLOEXEC, as on Linux (libocclum's O_CLOEXEC value).
 */
#ifndef _SYS_EPOLL_H
#define _SYS_EPOLL_H

#pragma GCC system_header

#include <stdint.h>
#include <fcntl.h>
#include <signal.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EPOLL_CLOEXEC O_CLOEXEC
#define EPOLL_NONBLOCK O_NONBLOCK

enum EPOLL_EVENTS { __EPOLL_DUMMY };
#define EPOLLIN 0x001
#define EPOLLPRI 0x002
#define EPOLLOUT 0x004
#define EPOLLRDNORM 0x040
#define EPOLLNVAL 0x020
#define EPOLLRDBAND 0x080
#define EPOLLWRNORM 0x100
#define EPOLLWRBAND 0x200
#define EPOLLMSG 0x400
#define EPOLLERR 0x008
#define EPOLLHUP 0x010
#define EPOLLRDHUP 0x2000
#define EPOLLEXCLUSIVE (1U << 28)
#define EPOLLWAKEUP (1U << 29)
#define EPOLLONESHOT (1U << 30)
#define EPOLLET (1U << 31)

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

typedef union epoll_data {
    void *ptr;
    int fd;
    uint32_t u32;
    uint64_t u64;
} epoll_data_t;

struct epoll_event {
    uint32_t events;
    epoll_data_t data;
} __attribute__((__packed__));

int epoll_create(int);
int epoll_create1(int);
int epoll_ctl(int, int, int, struct epoll_event *);
int epoll_wait(int, struct epoll_event *, int, int);
int epoll_pwait(int, struct epoll_event *, int, int, const sigset_t *);
struct timespec;
int epoll_pwait2(int, struct epoll_event *, int, const struct timespec *, const sigset_t *);

#ifdef __cplusplus
}
#endif

#endif
