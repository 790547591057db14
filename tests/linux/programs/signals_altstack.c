/* sigaltstack: the initial state (SS_DISABLE), errors (EINVAL for bad flags,
 * ENOMEM below MINSIGSTKSZ's 2048 bytes, EPERM while on it), what an
 * SA_ONSTACK handler sees (SS_ONSTACK; uc_stack), SS_AUTODISARM, and
 * disabling. (Where the handler's stack really is, is not printed.) */
#include "linuxtest.h"
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

static char stack_a[65536], stack_b[65536];

static void show(const char *who, const stack_t *ss) {
    const char *sp = ss->ss_sp == NULL ? "NULL" : ss->ss_sp == stack_a ? "a"
                   : ss->ss_sp == stack_b ? "b" : "?";
    printf("%s: sp %s size %zu flags%s%s%s%s\n", who, sp, ss->ss_size,
           ss->ss_flags & SS_ONSTACK ? " ONSTACK" : "", ss->ss_flags & SS_DISABLE ? " DISABLE" : "",
           ss->ss_flags & (int)SS_AUTODISARM ? " AUTODISARM" : "", ss->ss_flags == 0 ? " 0" : "");
}

static void on_usr(int sig, siginfo_t *si, void *ctx) {
    (void)si;
    ucontext_t *uc = ctx;
    stack_t cur;
    printf("handler %d:\n", sig);
    CHECK(sigaltstack(NULL, &cur));
    show("  current", &cur);
    show("  uc_stack", &uc->uc_stack);
    stack_t other = {.ss_sp = stack_b, .ss_size = sizeof stack_b};
    CHECK(sigaltstack(&other, NULL));
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    stack_t ss, old;
    CHECK(sigaltstack(NULL, &old));
    show("initial", &old);
    CHECK(sigaltstack(NULL, NULL));

    ss.ss_sp = stack_a;
    ss.ss_flags = 0;
    ss.ss_size = 1024;
    CHECK(sigaltstack(&ss, NULL));
    ss.ss_size = 2047;
    CHECK(sigaltstack(&ss, NULL));
    ss.ss_size = sizeof stack_a;
    ss.ss_flags = 99;
    CHECK(sigaltstack(&ss, NULL));
    ss.ss_flags = SS_ONSTACK | SS_DISABLE;
    CHECK(sigaltstack(&ss, NULL));
    ss.ss_flags = SS_ONSTACK; /* accepted on input: "enable" */
    CHECK(sigaltstack(&ss, &old));
    show("old", &old);
    CHECK(sigaltstack(NULL, &old));
    show("set", &old);
    ss.ss_flags = 0;
    ss.ss_size = 4096;
    CHECK(sigaltstack(&ss, &old));
    CHECK(sigaltstack(NULL, &old));
    show("smaller", &old);
    ss.ss_size = sizeof stack_a;
    CHECK(sigaltstack(&ss, NULL));

    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    CHECK(sigaction(SIGUSR1, &sa, NULL));
    sa.sa_flags = SA_SIGINFO; /* not on the alternate stack */
    CHECK(sigaction(SIGUSR2, &sa, NULL));
    CHECK(raise(SIGUSR1));
    CHECK(raise(SIGUSR2));
    CHECK(sigaltstack(NULL, &old));
    show("after", &old);

    /* SS_AUTODISARM: disabled while the handler runs, back afterwards */
    ss.ss_sp = stack_a;
    ss.ss_size = sizeof stack_a;
    ss.ss_flags = (int)SS_AUTODISARM;
    CHECK(sigaltstack(&ss, NULL));
    CHECK(sigaltstack(NULL, &old));
    show("autodisarm", &old);
    CHECK(raise(SIGUSR1));
    CHECK(sigaltstack(NULL, &old));
    show("after", &old);

    ss.ss_flags = SS_DISABLE;
    ss.ss_size = 1; /* ignored when disabling */
    CHECK(sigaltstack(&ss, &old));
    show("old", &old);
    CHECK(sigaltstack(NULL, &old));
    show("disabled", &old);
    CHECK(raise(SIGUSR1));
    return 0;
}
