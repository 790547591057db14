/*
 * Signals over the kernel: handlers, masks, kill. Numbers, SA_* flags and
 * SIG_BLOCK... are Linux's in <signal.h>, so they go to the kernel as they
 * are; a sigset_t is the kernel's u64 mask. Handlers are function-table
 * indices; the kernel runs them through __occlum_signal_trampoline (init.c).
 * signal() and raise() live in init.c, which takes them over from wasi-libc.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"
#include "occlum.h"

#define KERNEL_SIG_DFL 0u
#define KERNEL_SIG_IGN 1u

/* --- signal sets --- */

static int valid_signal(int sig) {
    return sig >= 1 && sig <= 64;
}

/* The kernel's first two real-time signals are libc's (SIGRTMIN is 34): as
 * glibc, sigaction, sigaddset and sigdelset refuse them and sigfillset
 * leaves them out. */
static int libc_signal(int sig) {
    return sig == 32 || sig == 33;
}

static uint64_t bit(int sig) {
    return 1ull << (sig - 1);
}

int sigemptyset(sigset_t *set) {
    set->__bits[0] = 0;
    return 0;
}

int sigfillset(sigset_t *set) {
    set->__bits[0] = ~0ull & ~bit(32) & ~bit(33);
    return 0;
}

int sigaddset(sigset_t *set, int sig) {
    if (!valid_signal(sig) || libc_signal(sig)) {
        errno = EINVAL;
        return -1;
    }
    set->__bits[0] |= bit(sig);
    return 0;
}

int sigdelset(sigset_t *set, int sig) {
    if (!valid_signal(sig) || libc_signal(sig)) {
        errno = EINVAL;
        return -1;
    }
    set->__bits[0] &= ~bit(sig);
    return 0;
}

int sigismember(const sigset_t *set, int sig) {
    if (!valid_signal(sig)) {
        errno = EINVAL;
        return -1;
    }
    return (set->__bits[0] & bit(sig)) != 0;
}

/* --- handlers --- */

/* The kernel's handler value for a C handler, or -1 if it has none. */
static int64_t kernel_handler(void (*handler)(int)) {
    if (handler == SIG_DFL)
        return KERNEL_SIG_DFL;
    if (handler == SIG_IGN)
        return KERNEL_SIG_IGN;
    uint32_t index = (uint32_t)(uintptr_t)handler;
    /* SIG_ERR, or a function at table index 1, which the kernel would read
     * as SIG_IGN. wasm-ld gives index 1 to the first function whose address
     * is taken; in practice that is wasi-libc start-up code (its
     * __wasilibc_find_relpath_alloc), never a handler. */
    if (handler == SIG_ERR || index <= KERNEL_SIG_IGN)
        return -1;
    return index;
}

static void (*c_handler(uint32_t value))(int) {
    if (value == KERNEL_SIG_DFL)
        return SIG_DFL;
    if (value == KERNEL_SIG_IGN)
        return SIG_IGN;
    return (void (*)(int))(uintptr_t)value;
}

int sigaction(int sig, const struct sigaction *restrict act, struct sigaction *restrict oldact) {
    struct occlum_sigaction kact, kold;
    if (libc_signal(sig)) {
        errno = EINVAL;
        return -1;
    }
    if (act != NULL) {
        int64_t handler = kernel_handler(act->sa_handler);
        if (handler < 0) {
            errno = EINVAL;
            return -1;
        }
        kact.handler = (uint32_t)handler;
        kact.flags = (uint32_t)act->sa_flags;
        kact.mask = act->sa_mask.__bits[0];
    }
    int32_t rc = __occlum_sigaction(sig, act != NULL ? &kact : NULL,
                                    oldact != NULL ? &kold : NULL);
    if (rc != 0)
        return __occlum_result(rc);
    if (oldact != NULL) {
        memset(oldact, 0, sizeof *oldact);
        oldact->sa_handler = c_handler(kold.handler);
        oldact->sa_flags = (int)kold.flags;
        oldact->sa_mask.__bits[0] = kold.mask;
    }
    return 0;
}

/* signal() as in glibc and musl: BSD semantics (SA_RESTART, the handler
 * stays installed). */
void (*__occlum_signal_impl(int sig, void (*handler)(int)))(int) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_RESTART;
    if (sigaction(sig, &sa, &old) != 0)
        return SIG_ERR;
    return old.sa_handler;
}

int siginterrupt(int sig, int flag) {
    struct sigaction sa;
    if (sigaction(sig, NULL, &sa) != 0)
        return -1;
    if (flag)
        sa.sa_flags &= ~SA_RESTART;
    else
        sa.sa_flags |= SA_RESTART;
    return sigaction(sig, &sa, NULL);
}

/* --- masks and waiting --- */

int pthread_sigmask(int how, const sigset_t *restrict set, sigset_t *restrict oldset) {
    uint64_t old = 0;
    int32_t rc = __occlum_sigprocmask(how, set != NULL ? &set->__bits[0] : NULL,
                                      oldset != NULL ? &old : NULL);
    if (rc == 0 && oldset != NULL)
        oldset->__bits[0] = old;
    return rc;
}

int sigprocmask(int how, const sigset_t *restrict set, sigset_t *restrict oldset) {
    return __occlum_result(pthread_sigmask(how, set, oldset));
}

int sigpending(sigset_t *set) {
    uint64_t pending = 0;
    int32_t rc = __occlum_sigpending(&pending);
    if (rc == 0)
        set->__bits[0] = pending;
    return __occlum_result(rc);
}

int sigsuspend(const sigset_t *mask) {
    return __occlum_result(__occlum_sigsuspend(mask->__bits[0]));
}

int pause(void) {
    sigset_t mask;
    if (sigprocmask(SIG_BLOCK, NULL, &mask) != 0)
        return -1;
    return sigsuspend(&mask);
}

unsigned alarm(unsigned seconds) {
    uint32_t remaining = 0;
    (void)__occlum_alarm(seconds, &remaining); /* cannot fail */
    return remaining;
}

/* --- sending --- */

int kill(pid_t pid, int sig) {
    return __occlum_result(__occlum_kill(pid, sig));
}

int killpg(pid_t pgrp, int sig) {
    if (pgrp < 0) {
        errno = EINVAL;
        return -1;
    }
    return kill(-pgrp, sig);
}
