/*
 * poll.h: wasi-libc's <poll.h> with Linux's POLL* values (wasi-libc's own
 * are WASI-flavoured: POLLIN 1 = POLLRDNORM, POLLHUP 0x2000, ...), and
 * poll()/ppoll() routed by asm labels to libocclum's, over the kernel's
 * poll, which reports what Linux does (POLLHUP for a pipe whose writer has
 * gone, POLLNVAL for a closed fd, ...). wasi-libc's poll (over
 * poll_oneoff) knows only "readable"/"writable". src/events.c.
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_POLL_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_POLL_LABELS
#include <__typedef_nfds_t.h>
#include <__typedef_sigset_t.h>
#ifdef __cplusplus
extern "C" {
#endif
struct pollfd;
struct timespec;
int poll(struct pollfd *, nfds_t, int) __asm__("__occlum_wrap_poll");
int ppoll(struct pollfd *, nfds_t, const struct timespec *, const sigset_t *)
    __asm__("__occlum_wrap_ppoll");
#ifdef __cplusplus
}
#endif
#endif

#include_next <poll.h>

#ifndef _PYOCCLUM_POLL_H
#define _PYOCCLUM_POLL_H

#undef POLLIN
#undef POLLPRI
#undef POLLOUT
#undef POLLERR
#undef POLLHUP
#undef POLLNVAL
#undef POLLRDNORM
#undef POLLRDBAND
#undef POLLWRNORM
#undef POLLWRBAND
#undef POLLMSG
#undef POLLRDHUP
#define POLLIN 0x001
#define POLLPRI 0x002
#define POLLOUT 0x004
#define POLLERR 0x008
#define POLLHUP 0x010
#define POLLNVAL 0x020
#define POLLRDNORM 0x040
#define POLLRDBAND 0x080
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLMSG 0x400
#define POLLRDHUP 0x2000

#endif /* _PYOCCLUM_POLL_H */
