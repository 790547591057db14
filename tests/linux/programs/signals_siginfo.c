/* SA_SIGINFO handlers: siginfo_t (si_signo, si_errno, si_code of raise/kill/
 * sigqueue, si_pid, si_uid, si_value) and the ucontext_t (uc_sigmask is the
 * interrupted mask, and the mask restored when the handler returns). */
#include "linuxtest.h"
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

static volatile int calls;

static const char *code_name(int code) {
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    case SI_KERNEL: return "SI_KERNEL";
    default: return "other";
    }
}

static void on_info(int sig, siginfo_t *si, void *ctx) {
    ucontext_t *uc = ctx;
    calls++;
    printf("handler: sig %d signo %d errno %d code %s pid_is_me %d uid %d value %d\n", sig,
           si->si_signo, si->si_errno, code_name(si->si_code), si->si_pid == getpid(),
           (int)si->si_uid, si->si_code == SI_QUEUE ? si->si_value.sival_int : -1);
    printf("  uc_link %d, uc_sigmask has USR2 %d, has USR1 %d\n", uc->uc_link == NULL,
           sigismember(&uc->uc_sigmask, SIGUSR2), sigismember(&uc->uc_sigmask, SIGUSR1));
    if (sig == SIGUSR2)
        sigaddset(&uc->uc_sigmask, SIGHUP); /* blocked once the handler returns */
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL));
    CHECK(sigaction(SIGUSR2, &sa, NULL));
    struct sigaction old;
    CHECK(sigaction(SIGUSR1, NULL, &old));
    printf("SA_SIGINFO kept %d, same function %d\n", !!(old.sa_flags & SA_SIGINFO),
           old.sa_sigaction == on_info);

    CHECK(raise(SIGUSR1));
    CHECK(kill(getpid(), SIGUSR1));
    union sigval v = {.sival_int = 1234};
    CHECK(sigqueue(getpid(), SIGUSR1, v));
    v.sival_int = -7;
    CHECK(sigqueue(getpid(), SIGUSR1, v));

    /* the interrupted mask is what the handler's ucontext shows */
    sigset_t set, now;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL));
    CHECK(raise(SIGUSR2)); /* blocked: stays pending */
    CHECK(sigpending(&now));
    printf("USR2 pending %d\n", sigismember(&now, SIGUSR2));
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL)); /* delivered here */
    CHECK(sigprocmask(SIG_BLOCK, NULL, &now));
    printf("after the handler: HUP blocked %d (set through uc_sigmask), USR2 %d\n",
           sigismember(&now, SIGHUP), sigismember(&now, SIGUSR2));
    printf("calls %d\n", calls);

    /* SIGPIPE from a write to a pipe without readers: SI_USER, from oneself */
    CHECK(sigaction(SIGPIPE, &sa, NULL));
    int fds[2];
    MUST(pipe(fds) == 0);
    CHECK(close(fds[0]));
    CHECK(write(fds[1], "x", 1));
    printf("calls %d\n", calls);
    return 0;
}
