/* setjmp/longjmp: jumping back from deep calls, the value (0 becomes 1),
 * volatile locals kept, nested jump buffers, _setjmp/_longjmp, and
 * sigsetjmp/siglongjmp saving and restoring the signal mask (or not). */
#include "linuxtest.h"
#include <setjmp.h>
#include <signal.h>

static jmp_buf outer, inner;
static int calls;

static void deep(int n, int val) {
    calls++;
    if (n == 0)
        longjmp(outer, val);
    deep(n - 1, val);
}

static int try_inner(void) {
    if (setjmp(inner) == 0) {
        longjmp(inner, 5);
    }
    return 5;
}

static int blocked(int sig) {
    sigset_t s;
    sigprocmask(SIG_BLOCK, NULL, &s);
    return sigismember(&s, sig);
}

int main(void) {
    volatile int round = 0;
    int r = setjmp(outer);
    printf("setjmp = %d round %d calls %d\n", r, round, calls);
    if (round < 3) {
        round++;
        deep(10, round == 3 ? 0 : 40 + round);
    }
    printf("inner %d\n", try_inner());

    jmp_buf b;
    volatile int x = 1;
    if (_setjmp(b) == 0) {
        x = 2;
        _longjmp(b, 1);
    }
    printf("_longjmp back, x %d\n", x);

    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigjmp_buf sb;
    if (sigsetjmp(sb, 1) == 0) {
        sigprocmask(SIG_BLOCK, &usr1, NULL);
        printf("blocked before siglongjmp %d\n", blocked(SIGUSR1));
        siglongjmp(sb, 1);
    }
    printf("savemask 1: blocked after %d\n", blocked(SIGUSR1));
    if (sigsetjmp(sb, 0) == 0) {
        sigprocmask(SIG_BLOCK, &usr1, NULL);
        siglongjmp(sb, 1);
    }
    printf("savemask 0: blocked after %d\n", blocked(SIGUSR1));
    return 0;
}
