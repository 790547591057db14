/*
 * sys/select.h: wasi-libc's (its fd_set is a list of up to FD_SETSIZE fds,
 * not a bit mask: use FD_ZERO/FD_SET/FD_CLR/FD_ISSET), with select() and
 * pselect() routed by asm labels to libocclum's, over the kernel's poll:
 * EBADF for a closed fd in a set, EINVAL for a bad nfds or timeout, the
 * remaining time written back to select's timeout, a signal mask for
 * pselect. src/events.c.
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_SELECT_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_SELECT_LABELS
#include <__typedef_fd_set.h>
#include <__typedef_sigset_t.h>
#ifdef __cplusplus
extern "C" {
#endif
struct timeval;
struct timespec;
int select(int, fd_set *__restrict, fd_set *__restrict, fd_set *__restrict,
           struct timeval *__restrict) __asm__("__occlum_wrap_select");
int pselect(int, fd_set *__restrict, fd_set *__restrict, fd_set *__restrict,
            const struct timespec *__restrict, const sigset_t *__restrict)
    __asm__("__occlum_wrap_pselect");
#ifdef __cplusplus
}
#endif
#endif

#include_next <sys/select.h>

#if !defined(_PYOCCLUM_SELECT_H) && defined(_SYS_SELECT_H)
#define _PYOCCLUM_SELECT_H
#if defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
#ifndef NFDBITS
#define NFDBITS (8 * (int)sizeof(long))
#endif
#endif
#endif
