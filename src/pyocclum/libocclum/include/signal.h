/*
 * signal.h: wasi-libc's <signal.h> (signal numbers, which are Linux's;
 * signal(), raise(), SIG_DFL/SIG_IGN/SIG_ERR; it requires
 * -D_WASI_EMULATED_SIGNAL, which occlum-cc passes) plus the POSIX signal
 * API that libocclum implements over the kernel: sigaction, sigset_t
 * functions, sigprocmask, sigsuspend, kill, ... All values (SA_*, SIG_BLOCK,
 * SI_*, CLD_*) are Linux's. sigset_t is 64 bits (see __typedef_sigset_t.h).
 *
 * SIG_IGN and SIG_ERR stay wasi-libc's: functions (__SIG_IGN, __SIG_ERR),
 * because 1 is a valid function pointer on wasm; libocclum gives the kernel
 * 1 for SIG_IGN and function-table indices for handlers.
 */
#pragma GCC system_header

#include_next <signal.h>

#ifndef _PYOCCLUM_SIGNAL_H
#define _PYOCCLUM_SIGNAL_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_POSIX_SOURCE) || defined(_POSIX_C_SOURCE) \
 || defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) \
 || defined(_BSD_SOURCE)

#define __NEED_size_t
#define __NEED_pid_t
#define __NEED_uid_t
#define __NEED_clock_t
#define __NEED_sigset_t
#define __NEED_struct_timespec
#include <bits/alltypes.h>

/* stack_t and ucontext_t (uc_flags, uc_link, uc_stack, uc_mcontext,
 * uc_sigmask), as glibc's <signal.h> offers them. */
#include <sys/ucontext.h>

#define SIG_BLOCK     0
#define SIG_UNBLOCK   1
#define SIG_SETMASK   2

#define SI_ASYNCNL (-60)
#define SI_TKILL (-6)
#define SI_SIGIO (-5)
#define SI_ASYNCIO (-4)
#define SI_MESGQ (-3)
#define SI_TIMER (-2)
#define SI_QUEUE (-1)
#define SI_USER 0
#define SI_KERNEL 128

#define FPE_INTDIV 1
#define FPE_INTOVF 2
#define FPE_FLTDIV 3
#define FPE_FLTOVF 4
#define FPE_FLTUND 5
#define FPE_FLTRES 6
#define FPE_FLTINV 7
#define FPE_FLTSUB 8

#define ILL_ILLOPC 1
#define ILL_ILLOPN 2
#define ILL_ILLADR 3
#define ILL_ILLTRP 4
#define ILL_PRVOPC 5
#define ILL_PRVREG 6
#define ILL_COPROC 7
#define ILL_BADSTK 8

#define SEGV_MAPERR 1
#define SEGV_ACCERR 2

#define BUS_ADRALN 1
#define BUS_ADRERR 2
#define BUS_OBJERR 3

#define CLD_EXITED 1
#define CLD_KILLED 2
#define CLD_DUMPED 3
#define CLD_TRAPPED 4
#define CLD_STOPPED 5
#define CLD_CONTINUED 6

union sigval {
    int sival_int;
    void *sival_ptr;
};

/* 128 bytes, the fields at Linux's (x86-64) offsets. libocclum fills it in
 * waitid(), sigwaitinfo() and for SA_SIGINFO handlers (docs/abi.md). */
typedef struct {
    int si_signo, si_errno, si_code;
    union {
        char __pad[128 - 16]; /* 8-aligned (clock_t is 64-bit): starts at 16 */
        struct {
            pid_t si_pid;
            uid_t si_uid;
            union {
                union sigval si_value;
                struct {
                    int si_status;
                    clock_t si_utime, si_stime;
                } __sigchld;
            } __second;
        } __si_common;
        struct {
            void *si_addr;
        } __sigfault;
        struct {
            long si_band;
            int si_fd;
        } __sigpoll;
    } __si_fields;
} siginfo_t;
#define si_pid     __si_fields.__si_common.si_pid
#define si_uid     __si_fields.__si_common.si_uid
#define si_status  __si_fields.__si_common.__second.__sigchld.si_status
#define si_utime   __si_fields.__si_common.__second.__sigchld.si_utime
#define si_stime   __si_fields.__si_common.__second.__sigchld.si_stime
#define si_value   __si_fields.__si_common.__second.si_value
#define si_addr    __si_fields.__sigfault.si_addr
#define si_band    __si_fields.__sigpoll.si_band
#define si_fd      __si_fields.__sigpoll.si_fd
#define si_ptr     si_value.sival_ptr
#define si_int     si_value.sival_int

struct sigaction {
    union {
        void (*sa_handler)(int);
        void (*sa_sigaction)(int, siginfo_t *, void *);
    } __sa_handler;
    sigset_t sa_mask;
    int sa_flags;
    void (*sa_restorer)(void); /* unused */
};
#define sa_handler   __sa_handler.sa_handler
#define sa_sigaction __sa_handler.sa_sigaction

#define SA_NOCLDSTOP  1
#define SA_NOCLDWAIT  2
#define SA_SIGINFO    4
#define SA_ONSTACK    0x08000000
#define SA_RESTART    0x10000000
#define SA_NODEFER    0x40000000
#define SA_RESETHAND  0x80000000
#define SA_RESTORER   0x04000000

/* Real-time signals: the kernel has 32..64; as glibc, libc keeps 32 and 33
 * for itself (sigaction refuses them), so SIGRTMIN is 34 (musl's is 35). */
int __libc_current_sigrtmin(void);
int __libc_current_sigrtmax(void);
#define SIGRTMIN (__libc_current_sigrtmin())
#define SIGRTMAX (__libc_current_sigrtmax())

struct sigevent {
    union sigval sigev_value;
    int sigev_signo;
    int sigev_notify;
    union {
        char __pad[64 - 2 * sizeof(int) - sizeof(union sigval)];
        pid_t sigev_notify_thread_id;
        struct {
            void (*sigev_notify_function)(union sigval);
            void *sigev_notify_attributes;
        } __sev_thread;
    } __sev_fields;
};
#define sigev_notify_thread_id __sev_fields.sigev_notify_thread_id
#define sigev_notify_function __sev_fields.__sev_thread.sigev_notify_function
#define sigev_notify_attributes __sev_fields.__sev_thread.sigev_notify_attributes
#define SIGEV_SIGNAL 0
#define SIGEV_NONE 1
#define SIGEV_THREAD 2
#define SIGEV_THREAD_ID 4

int kill(pid_t, int);
int sigqueue(pid_t, int, union sigval);
int sigwait(const sigset_t *__restrict, int *__restrict);
int sigwaitinfo(const sigset_t *__restrict, siginfo_t *__restrict);
int sigtimedwait(const sigset_t *__restrict, siginfo_t *__restrict,
                 const struct timespec *__restrict);
void psiginfo(const siginfo_t *, const char *);

int sigemptyset(sigset_t *);
int sigfillset(sigset_t *);
int sigaddset(sigset_t *, int);
int sigdelset(sigset_t *, int);
int sigismember(const sigset_t *, int);

int sigprocmask(int, const sigset_t *__restrict, sigset_t *__restrict);
int sigsuspend(const sigset_t *);
int sigaction(int, const struct sigaction *__restrict, struct sigaction *__restrict);
int sigpending(sigset_t *);
int pthread_sigmask(int, const sigset_t *__restrict, sigset_t *__restrict);

#endif

#if defined(_XOPEN_SOURCE) || defined(_BSD_SOURCE) || defined(_GNU_SOURCE)
int killpg(pid_t, int);
int siginterrupt(int, int);
int sigaltstack(const stack_t *__restrict, stack_t *__restrict);
int sighold(int);
int sigrelse(int);
int sigignore(int);
int sigpause(int);
#define SS_ONSTACK    1
#define SS_DISABLE    2
#define SS_AUTODISARM (1U << 31)
#define SS_FLAG_BITS  SS_AUTODISARM
#define MINSIGSTKSZ   2048
#define SIGSTKSZ      8192
#define TRAP_BRKPT 1
#define TRAP_TRACE 2
#define POLL_IN 1
#define POLL_OUT 2
#define POLL_MSG 3
#define POLL_ERR 4
#define POLL_PRI 5
#define POLL_HUP 6
#endif

#ifdef _GNU_SOURCE
#define SA_NOMASK  SA_NODEFER
#define SA_ONESHOT SA_RESETHAND
int sigisemptyset(const sigset_t *);
int sigorset(sigset_t *, const sigset_t *, const sigset_t *);
int sigandset(sigset_t *, const sigset_t *, const sigset_t *);
#endif

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_SIGNAL_H */
