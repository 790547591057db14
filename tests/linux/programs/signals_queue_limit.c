/* RLIMIT_SIGPENDING bounds the queued signals: sigqueue of a real-time
 * signal beyond it fails with EAGAIN, a pending standard signal takes a place
 * too, merging never fails, kill() of a real-time signal beyond it still
 * makes it pending (its siginfo lost). Linux counts per user (root's other
 * processes may hold some places), so only differences are printed. */
#include "linuxtest.h"
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

static sigset_t all;

static int queue_until_full(int sig) {
    int n = 0;
    while (n < 1000 && sigqueue(getpid(), sig, (union sigval){.sival_int = n}) == 0)
        n++;
    printf("EAGAIN at the end %d\n", errno == EAGAIN);
    return n;
}

static int drain(void) {
    siginfo_t si;
    struct timespec zero = {0, 0};
    int taken = 0;
    while (sigtimedwait(&all, &si, &zero) > 0)
        taken++;
    return taken;
}

static void set_limit(rlim_t n) {
    struct rlimit rl;
    MUST(getrlimit(RLIMIT_SIGPENDING, &rl) == 0);
    rl.rlim_cur = n;
    CHECK(setrlimit(RLIMIT_SIGPENDING, &rl));
}

int main(void) {
    struct rlimit rl;
    CHECK(getrlimit(RLIMIT_SIGPENDING, &rl));
    printf("a limit of at least 64: %d\n", rl.rlim_cur >= 64);

    sigfillset(&all);
    sigset_t old;
    CHECK(sigprocmask(SIG_BLOCK, &all, &old));
    set_limit(64);
    int n1 = queue_until_full(SIGRTMIN);
    printf("queued some %d\n", n1 > 0);
    printf("drained all %d\n", drain() == n1);
    set_limit(68);
    int n2 = queue_until_full(SIGRTMIN + 3);
    printf("4 more places: %d\n", n2 - n1);
    printf("drained all %d\n", drain() == n2);

    /* a pending standard signal takes a place; merging it again costs none */
    CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){0}));
    CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){0}));
    CHECK(kill(getpid(), SIGUSR1));
    int n3 = queue_until_full(SIGRTMAX);
    printf("one place fewer: %d\n", n2 - n3);
    /* full: kill() still works, sigqueue does not */
    CHECK(kill(getpid(), SIGRTMIN + 1));
    CHECK(sigqueue(getpid(), SIGRTMIN + 2, (union sigval){0}));
    sigset_t pend;
    CHECK(sigpending(&pend));
    printf("pending RTMIN+1 %d RTMIN+2 %d USR1 %d RTMAX %d\n", sigismember(&pend, SIGRTMIN + 1),
           sigismember(&pend, SIGRTMIN + 2), sigismember(&pend, SIGUSR1),
           sigismember(&pend, SIGRTMAX));
    siginfo_t si;
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGRTMIN + 1);
    CHECK(sigwaitinfo(&one, &si) - SIGRTMIN);
    printf("RTMIN+1: code SI_USER %d\n", si.si_code == SI_USER);
    /* SIG_IGN drops a queue */
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    CHECK(sigaction(SIGRTMAX, &sa, NULL));
    CHECK(sigpending(&pend));
    printf("RTMAX pending %d\n", sigismember(&pend, SIGRTMAX));
    printf("drained: USR1 only %d\n", drain() == 1);
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL));
    return 0;
}
