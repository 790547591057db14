/*
 * Waiting for signals (sigwait, sigwaitinfo, sigtimedwait), sigqueue, the
 * real-time signal range, and the GNU and XSI signal-set helpers.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "signal_internal.h"

/* As glibc: the kernel's 32 and 33 are libc's own (thread cancellation and
 * set*id in glibc), so applications get 34..64. */
int __libc_current_sigrtmin(void) {
    return 34;
}

int __libc_current_sigrtmax(void) {
    return 64;
}

int sigtimedwait(const sigset_t *restrict set, siginfo_t *restrict info,
                 const struct timespec *restrict timeout) {
    if (set == NULL) {
        errno = EFAULT;
        return -1;
    }
    int64_t ns = -1;
    if (timeout != NULL) {
        if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 || timeout->tv_nsec >= 1000000000) {
            errno = EINVAL;
            return -1;
        }
        const int64_t max = INT64_MAX / 1000000000 - 1;
        ns = (timeout->tv_sec > max ? max : (int64_t)timeout->tv_sec) * 1000000000 +
             timeout->tv_nsec;
    }
    struct occlum_siginfo rec;
    int32_t rc = __occlum_sigtimedwait(set->__bits[0], ns, &rec);
    if (rc != 0)
        return __occlum_result(rc);
    if (info != NULL)
        __occlum_siginfo_from(info, &rec);
    return rec.signo;
}

int sigwaitinfo(const sigset_t *restrict set, siginfo_t *restrict info) {
    return sigtimedwait(set, info, NULL);
}

/* Returns an error number, and goes on waiting after a handler ran (EINTR),
 * as glibc and musl do. */
int sigwait(const sigset_t *restrict set, int *restrict sig) {
    int r;
    do
        r = sigtimedwait(set, NULL, NULL);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return errno;
    *sig = r;
    return 0;
}

int sigqueue(pid_t pid, int sig, union sigval value) {
    return __occlum_result(__occlum_sigqueueinfo(pid, sig, SI_QUEUE, value.sival_int));
}

void psiginfo(const siginfo_t *info, const char *msg) {
    psignal(info->si_signo, msg);
}

/* --- GNU set operations --- */

int sigisemptyset(const sigset_t *set) {
    return set->__bits[0] == 0;
}

int sigorset(sigset_t *dest, const sigset_t *a, const sigset_t *b) {
    dest->__bits[0] = a->__bits[0] | b->__bits[0];
    return 0;
}

int sigandset(sigset_t *dest, const sigset_t *a, const sigset_t *b) {
    dest->__bits[0] = a->__bits[0] & b->__bits[0];
    return 0;
}

/* --- the old XSI calls --- */

static int change_mask(int how, int sig) {
    sigset_t set;
    sigemptyset(&set);
    if (sigaddset(&set, sig) != 0)
        return -1;
    return sigprocmask(how, &set, NULL);
}

int sighold(int sig) {
    return change_mask(SIG_BLOCK, sig);
}

int sigrelse(int sig) {
    return change_mask(SIG_UNBLOCK, sig);
}

int sigignore(int sig) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    return sigaction(sig, &sa, NULL);
}

/* XSI sigpause: wait with `sig` removed from the mask (glibc's __xpg_sigpause). */
int sigpause(int sig) {
    sigset_t mask;
    if (sigprocmask(SIG_BLOCK, NULL, &mask) != 0 || sigdelset(&mask, sig) != 0)
        return -1;
    return sigsuspend(&mask);
}
