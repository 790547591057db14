/*
 * What musl's src/network sources (net_inet.c, net_dns.c, net_lookup.c,
 * net_hosts.c) take from musl's internals, in libocclum's terms.
 *
 * - libocclum is compiled without the header labels, so the calls whose
 *   wasi-libc versions are wrong here are named explicitly: poll (wasi-libc's
 *   takes WASI's POLL* bits and knows no POLLHUP) and fopen (wasi-libc's
 *   resolves paths the WASI way, which refuses an absolute symlink such as
 *   a host's /etc/resolv.conf -> /run/...).
 * - musl's on-stack FILEs (__fopen_rb_ca) are ordinary FILEs (fopen, "rbe").
 * - Thread cancellation does not exist: its calls go.
 * - h_errno is one per process (gethostbyname & co. are not reentrant anyway).
 */
#ifndef _PYOCCLUM_NET_MUSL_H
#define _PYOCCLUM_NET_MUSL_H

#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <unistd.h>

#define hidden __attribute__((__visibility__("hidden")))
#define weak_alias(old, new) net_weak_alias_(old, new)
#define net_weak_alias_(old, new) \
    extern __typeof(old) new __attribute__((__weak__, __alias__(#old)))
/* wasi-libc's libc.a defines __inet_aton too (its inet_aton.o): a second
 * definition would clash when both members are linked. */
#define __inet_aton __occlum_inet_aton

#include "lookup.h"

int __occlum_wrap_poll(struct pollfd *, nfds_t, int);
FILE *__occlum_wrap_fopen(const char *restrict, const char *restrict);
#define poll __occlum_wrap_poll
#define __fclose_ca(f) fclose(f)
/* freeaddrinfo's lock on a result's shared reference count: a result is
 * freed by the thread that got it. */
#define LOCK(lock) ((void)(lock))
#define UNLOCK(lock) ((void)(lock))
/* gai_strerror's and hstrerror's messages are not translated. */
#define LCTRANS_CUR(msg) (msg)

/* musl's sources as they are, beside -Wall -Wextra. */
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wunknown-warning-option"
#pragma GCC diagnostic ignored "-Wunterminated-string-initialization"
#define __syscall(nr, fd) close(fd)

#define pthread_setcancelstate(state, old) ((void)(old), 0)
#undef pthread_cleanup_push
#undef pthread_cleanup_pop
#define pthread_cleanup_push(f, x) \
    {                                \
        void (*net_cleanup_f_)(void *) = (f); \
        void *net_cleanup_x_ = (x);
#define pthread_cleanup_pop(run)   \
    if (run)                       \
        net_cleanup_f_(net_cleanup_x_); \
    }

hidden int __inet_aton(const char *, struct in_addr *);
hidden int __dn_expand(const unsigned char *, const unsigned char *, const unsigned char *, char *,
                       int);
hidden int __res_mkquery(int, const char *, int, int, const unsigned char *, int,
                         const unsigned char *, unsigned char *, int);
hidden int __res_send(const unsigned char *, int, unsigned char *, int);
hidden int __res_msend(int, const unsigned char *const *, const int *, unsigned char *const *,
                       int *, int);

#endif
