/*
 * Running a handler for the kernel (init.c's trampoline calls
 * __occlum_signal_deliver), sigaltstack, and the ucontext calls.
 *
 * An SA_SIGINFO handler gets a siginfo_t built from the kernel's record and
 * a ucontext_t whose uc_sigmask is the interrupted mask; whatever the
 * handler leaves in uc_sigmask is the mask restored afterwards, as Linux's
 * sigreturn does (and likewise for the alternate stack and uc_stack). wasm
 * has one stack, which no code can switch: sigaltstack is recorded and
 * reported (SS_ONSTACK while an SA_ONSTACK handler runs, EPERM for changing
 * it then, SS_AUTODISARM honoured), but handlers run on the ordinary stack.
 * For the same reason getcontext/setcontext/swapcontext fail with ENOSYS.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <ucontext.h>

#include "internal.h"
#include "signal_internal.h"

/* The alternate signal stack as sigaltstack() set it (one per process: the
 * main thread's), and whether an SA_ONSTACK handler is running "on" it. */
static stack_t altstack = {NULL, SS_DISABLE, 0};
static int on_altstack;

/* The alternate stack as Linux reports it: SS_DISABLE or SS_ONSTACK, plus
 * SS_AUTODISARM. */
static void report_altstack(stack_t *out) {
    *out = altstack;
    int kept = altstack.ss_flags & (int)SS_FLAG_BITS;
    if (altstack.ss_flags & SS_DISABLE)
        out->ss_flags = SS_DISABLE | kept;
    else
        out->ss_flags = (on_altstack ? SS_ONSTACK : 0) | kept;
}

void __occlum_siginfo_from(siginfo_t *si, const struct occlum_siginfo *info) {
    memset(si, 0, sizeof *si);
    si->si_signo = info->signo;
    si->si_errno = info->errno_;
    si->si_code = info->code;
    si->si_pid = info->pid;
    si->si_uid = info->uid;
    if (info->signo == SIGCHLD && info->code > 0)
        si->si_status = info->status;
    else
        si->si_value.sival_int = info->value;
}

/* Set the alternate stack from `ss` after Linux's checks (EINVAL, ENOMEM). */
static int set_altstack(const stack_t *ss) {
    int mode = ss->ss_flags & ~(int)SS_FLAG_BITS;
    if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
        return EINVAL;
    if (mode != SS_DISABLE && ss->ss_size < MINSIGSTKSZ)
        return ENOMEM;
    if (mode == SS_DISABLE)
        altstack = (stack_t){NULL, ss->ss_flags, 0};
    else
        altstack = (stack_t){ss->ss_sp, ss->ss_flags & (int)SS_FLAG_BITS, ss->ss_size};
    return 0;
}

uint64_t __occlum_signal_deliver(uint32_t handler, int flags, const struct occlum_siginfo *info,
                                 uint64_t mask) {
    /* The kernel's SIG_DFL (0) and SIG_IGN (1) are not handlers. */
    if (handler <= 1)
        return mask;
    int saved_errno = errno;
    /* uc_stack: the alternate stack as the interrupted code would see it;
     * Linux sets it back from there when the handler returns. */
    stack_t outer;
    report_altstack(&outer);
    /* SA_ONSTACK with an alternate stack: say we are on it for the handler's
     * time (the stack itself is not switched; see above). */
    int was_on = on_altstack;
    if ((flags & SA_ONSTACK) && !(altstack.ss_flags & SS_DISABLE) && !on_altstack) {
        /* Disarmed, it is no stack at all: nothing to be on (Linux looks at
         * the stack pointer against the current alternate stack). */
        if (altstack.ss_flags & SS_AUTODISARM)
            altstack = (stack_t){NULL, SS_DISABLE, 0};
        else
            on_altstack = 1;
    }
    stack_t back = outer;
    if (flags & SA_SIGINFO) {
        siginfo_t si;
        ucontext_t uc;
        __occlum_siginfo_from(&si, info);
        memset(&uc, 0, sizeof uc);
        uc.uc_stack = outer;
        uc.uc_sigmask.__bits[0] = mask;
        /* call_indirect checks the type: a three-argument handler. */
        ((void (*)(int, siginfo_t *, void *))(uintptr_t)handler)(info->signo, &si, &uc);
        mask = uc.uc_sigmask.__bits[0];
        back = uc.uc_stack;
    } else {
        ((void (*)(int))(uintptr_t)handler)(info->signo);
    }
    on_altstack = was_on;
    (void)set_altstack(&back); /* as Linux's sigreturn; a bad uc_stack changes nothing */
    errno = saved_errno;
    return mask;
}

int sigaltstack(const stack_t *restrict ss, stack_t *restrict old) {
    stack_t previous;
    report_altstack(&previous);
    if (ss != NULL) {
        if (on_altstack) {
            errno = EPERM;
            return -1;
        }
        int e = set_altstack(ss);
        if (e != 0) {
            errno = e;
            return -1;
        }
    }
    if (old != NULL)
        *old = previous;
    return 0;
}

/* --- contexts: wasm cannot save or switch a call stack --- */

int getcontext(ucontext_t *ucp) {
    (void)ucp;
    errno = ENOSYS;
    return -1;
}

int setcontext(const ucontext_t *ucp) {
    (void)ucp;
    errno = ENOSYS;
    return -1;
}

void makecontext(ucontext_t *ucp, void (*func)(void), int argc, ...) {
    (void)ucp;
    (void)func;
    (void)argc;
}

int swapcontext(ucontext_t *restrict oucp, const ucontext_t *restrict ucp) {
    (void)oucp;
    (void)ucp;
    errno = ENOSYS;
    return -1;
}
