/* Real-time signals: SIGRTMIN..SIGRTMAX, queued (several of one signal all
 * arrive, in the order sent, with their values), delivered lowest-numbered
 * first; standard signals are merged. Numbers printed relative to SIGRTMIN. */
#include "linuxtest.h"
#include <signal.h>
#include <unistd.h>

static int seen[64], nseen;
static int values[64];

static void on_rt(int sig, siginfo_t *si, void *ctx) {
    (void)ctx;
    values[nseen] = si->si_code == SI_QUEUE ? si->si_value.sival_int : -1;
    seen[nseen++] = sig;
}

static void show(const char *what) {
    printf("%s:", what);
    for (int i = 0; i < nseen; i++) {
        if (seen[i] >= SIGRTMIN)
            printf(" RTMIN+%d(%d)", seen[i] - SIGRTMIN, values[i]);
        else
            printf(" %d(%d)", seen[i], values[i]);
    }
    printf("\n");
    nseen = 0;
}

int main(void) {
    printf("SIGRTMAX - SIGRTMIN = %d\n", SIGRTMAX - SIGRTMIN);
    printf("SIGRTMIN > SIGSYS %d, SIGRTMAX < NSIG %d\n", SIGRTMIN > SIGSYS, SIGRTMAX < NSIG);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO;
    sigfillset(&sa.sa_mask); /* one handler at a time: the order is the delivery order */
    int sigs[] = {SIGUSR1, SIGUSR2, SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 5, SIGRTMAX};
    for (unsigned i = 0; i < sizeof sigs / sizeof *sigs; i++)
        MUST(sigaction(sigs[i], &sa, NULL) == 0);
    CHECK(sigaction(SIGRTMAX + 1, &sa, NULL));

    sigset_t all, old;
    sigfillset(&all);
    CHECK(sigprocmask(SIG_BLOCK, &all, &old));
    for (int i = 0; i < 3; i++) {
        CHECK(sigqueue(getpid(), SIGRTMIN + 5, (union sigval){.sival_int = 50 + i}));
        CHECK(sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 10 + i}));
        CHECK(sigqueue(getpid(), SIGUSR2, (union sigval){.sival_int = 20 + i}));
    }
    CHECK(kill(getpid(), SIGRTMAX));
    CHECK(kill(getpid(), SIGRTMAX));
    CHECK(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 1}));
    CHECK(kill(getpid(), SIGUSR1));
    sigset_t pending;
    CHECK(sigpending(&pending));
    printf("pending: USR1 %d USR2 %d RTMIN %d RTMIN+1 %d RTMIN+2 %d RTMAX %d\n",
           sigismember(&pending, SIGUSR1), sigismember(&pending, SIGUSR2),
           sigismember(&pending, SIGRTMIN), sigismember(&pending, SIGRTMIN + 1),
           sigismember(&pending, SIGRTMIN + 2), sigismember(&pending, SIGRTMAX));
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL));
    show("delivered");

    /* one at a time: unblock them in reverse order */
    CHECK(sigprocmask(SIG_BLOCK, &all, NULL));
    CHECK(sigqueue(getpid(), SIGRTMIN + 1, (union sigval){.sival_int = 7}));
    CHECK(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 8}));
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGRTMIN + 1);
    CHECK(sigprocmask(SIG_UNBLOCK, &one, NULL));
    show("RTMIN+1 unblocked");
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL));
    show("all unblocked");
    return 0;
}
