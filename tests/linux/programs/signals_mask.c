/* Masks and dispositions: sigprocmask's how values (a bad one is EINVAL only
 * with a set), sigpending shows blocked pending signals only, an ignored
 * signal stays pending while blocked and is dropped when set to SIG_IGN,
 * sigsuspend's temporary mask, SA_RESETHAND (the handler only is reset),
 * SA_NODEFER and sa_mask inside handlers, nested delivery order. */
#include "linuxtest.h"
#include <signal.h>
#include <unistd.h>

static int order[16], norder;
static int in_handler_blocked[3];

static void blocked_now(int *out) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    out[0] = sigismember(&cur, SIGUSR1);
    out[1] = sigismember(&cur, SIGUSR2);
    out[2] = sigismember(&cur, SIGHUP);
}

static void on_sig(int sig) {
    order[norder++] = sig;
    blocked_now(in_handler_blocked);
}

static void show_order(const char *what) {
    printf("%s:", what);
    for (int i = 0; i < norder; i++)
        printf(" %d", order[i]);
    printf("\n");
    norder = 0;
}

static int pending(int sig) {
    sigset_t p;
    sigpending(&p);
    return sigismember(&p, sig);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(12345, NULL, NULL));
    CHECK(sigprocmask(12345, &set, NULL));
    CHECK(sigprocmask(SIG_SETMASK, NULL, &old));
    printf("nothing blocked at start: %d\n", sigisemptyset(&old));
    CHECK(sigprocmask(SIG_BLOCK, &set, &old));
    CHECK(sigprocmask(SIG_BLOCK, NULL, &old));
    printf("USR1 blocked %d\n", sigismember(&old, SIGUSR1));
    CHECK(sigprocmask(SIG_UNBLOCK, &set, &old));
    printf("old had USR1 %d\n", sigismember(&old, SIGUSR1));
    sigemptyset(&old); /* from here on, "old" is the empty mask we started with */

    /* ignored (by default or SIG_IGN) but blocked: stays pending; SIG_IGN drops it */
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGURG);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL));
    CHECK(raise(SIGCHLD));
    CHECK(raise(SIGURG));
    printf("CHLD pending %d, URG pending %d\n", pending(SIGCHLD), pending(SIGURG));
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    CHECK(sigaction(SIGCHLD, &sa, NULL));
    printf("after SIG_IGN: CHLD pending %d, URG pending %d\n", pending(SIGCHLD), pending(SIGURG));
    CHECK(raise(SIGCHLD));
    printf("raised while SIG_IGN and blocked: pending %d\n", pending(SIGCHLD));
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL));
    printf("unblocked: pending %d %d\n", pending(SIGCHLD), pending(SIGURG));
    sa.sa_handler = SIG_DFL;
    CHECK(sigaction(SIGCHLD, &sa, NULL));

    /* sigsuspend: waits with its mask, restores the old one */
    sa.sa_handler = on_sig;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGHUP);
    CHECK(sigaction(SIGUSR1, &sa, NULL));
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK(sigprocmask(SIG_BLOCK, &set, &old));
    CHECK(raise(SIGUSR1));
    sigset_t wait_mask;
    sigfillset(&wait_mask);
    sigdelset(&wait_mask, SIGUSR1);
    CHECK(sigsuspend(&wait_mask));
    show_order("sigsuspend ran");
    printf("in handler: USR1 %d USR2 %d HUP %d\n", in_handler_blocked[0], in_handler_blocked[1],
           in_handler_blocked[2]);
    sigset_t now;
    CHECK(sigprocmask(SIG_BLOCK, NULL, &now));
    printf("restored: USR1 blocked %d, HUP blocked %d\n", sigismember(&now, SIGUSR1),
           sigismember(&now, SIGHUP));
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL));

    /* SA_NODEFER: the signal is not blocked in its own handler */
    sa.sa_flags = SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL));
    CHECK(raise(SIGUSR1));
    printf("NODEFER: USR1 blocked in handler %d\n", in_handler_blocked[0]);
    show_order("ran");

    /* SA_RESETHAND: one delivery, then SIG_DFL; the flags stay */
    sa.sa_flags = SA_RESETHAND;
    CHECK(sigaction(SIGUSR2, &sa, NULL));
    CHECK(raise(SIGUSR2));
    printf("RESETHAND: USR2 blocked in handler %d\n", in_handler_blocked[1]);
    struct sigaction cur;
    CHECK(sigaction(SIGUSR2, NULL, &cur));
    printf("now SIG_DFL %d, RESETHAND still set %d\n", cur.sa_handler == SIG_DFL,
           !!(cur.sa_flags & SA_RESETHAND));
    show_order("ran");

    /* several signals delivered at once: each interrupts the previous handler */
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGUSR1, &sa, NULL));
    CHECK(sigaction(SIGUSR2, &sa, NULL));
    CHECK(sigaction(SIGHUP, &sa, NULL));
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGHUP);
    CHECK(sigprocmask(SIG_BLOCK, &set, &old));
    CHECK(raise(SIGUSR2));
    CHECK(raise(SIGHUP));
    CHECK(raise(SIGUSR1));
    CHECK(raise(SIGUSR1));
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL));
    show_order("all at once");
    /* with sa_mask blocking the others, they run one after the other */
    sa.sa_mask = set;
    CHECK(sigaction(SIGUSR1, &sa, NULL));
    CHECK(sigaction(SIGUSR2, &sa, NULL));
    CHECK(sigaction(SIGHUP, &sa, NULL));
    CHECK(sigprocmask(SIG_BLOCK, &set, &old));
    CHECK(raise(SIGUSR2));
    CHECK(raise(SIGHUP));
    CHECK(raise(SIGUSR1));
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL));
    show_order("one by one");
    return 0;
}
