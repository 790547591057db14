/* siglongjmp out of a signal handler: the usual way to recover from a
 * signal (a timeout, SIGINT in a REPL): the handler jumps back to a
 * sigsetjmp in main, and the signal is unblocked again. */
// linux-test: xfail=a longjmp cannot leave a signal handler: the handler runs in a call from the kernel (a host function), which a wasm exception cannot unwind through (the process dies of SIGILL)
#include "linuxtest.h"
#include <setjmp.h>
#include <signal.h>

static sigjmp_buf env;
static volatile sig_atomic_t jumps;

static void on_usr1(int sig) {
    (void)sig;
    jumps++;
    siglongjmp(env, 7);
}

int main(void) {
    signal(SIGUSR1, on_usr1);
    int r = sigsetjmp(env, 1);
    printf("sigsetjmp = %d\n", r);
    if (jumps < 2)
        raise(SIGUSR1);
    sigset_t s;
    sigprocmask(SIG_BLOCK, NULL, &s);
    printf("jumps %d, SIGUSR1 blocked %d\n", (int)jumps, sigismember(&s, SIGUSR1));
    return 0;
}
