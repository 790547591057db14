/*
 * mt_signal: signals end to end. Needs /bin/mt_child.
 * Handlers run before raise/kill return; blocked signals stay pending until
 * unblocked; a handler interrupts a blocking read (EINTR) unless SA_RESTART
 * (the read then completes); alarm and pause; sigsuspend; SA_RESETHAND,
 * SA_SIGINFO, the handler's mask; SIGKILL and SIGSTOP cannot be caught or
 * blocked; SIGCHLD when a child exits.
 *
 * Every case has a name; --skip=NAME skips it. Helpers come from $MT_BIN
 * (default /bin).
 */
#include "common.h"

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

extern char **environ;

static char helper_path[512];

/* common.h's errname(), naming a few more errors (EXPECT_ERR uses it). */
static const char *ename(int e) {
    return e == ECHILD ? "ECHILD" : e == ESRCH ? "ESRCH" : e == ENOEXEC ? "ENOEXEC" : (errname)(e);
}
#define errname(e) ename(e)

static volatile sig_atomic_t count, last, blocked_inside, info_sig;

static void handler(int sig) {
    count++;
    last = sig;
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    blocked_inside = (sigismember(&now, sig) ? 1 : 0) | (sigismember(&now, SIGUSR2) ? 2 : 0);
}

static void info_handler(int sig, siginfo_t *info, void *ctx) {
    (void)info; /* NULL under PyOcclum (docs/abi.md) */
    (void)ctx;
    info_sig = sig;
}

static int install(int sig, void (*fn)(int), int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    return sigaction(sig, &sa, NULL);
}

static pid_t start(int out, const char *mode, const char *arg, const char *arg2) {
    char *argv[] = {"mt_child", (char *)mode, (char *)arg, (char *)arg2, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (out >= 0)
        posix_spawn_file_actions_adddup2(&fa, out, 1);
    pid_t pid;
    int rc = posix_spawn(&pid, helper_path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

static void case_synchronous(void) {
    EXPECT_OK(install(SIGUSR1, handler, 0), "sigaction USR1");
    count = 0;
    EXPECT_OK(raise(SIGUSR1), "raise");
    printf("ran before raise returned: %d (signal %d)\n", (int)count, (int)last);
    CHECK(count == 1 && last == SIGUSR1);
    EXPECT_OK(kill(getpid(), SIGUSR1), "kill self");
    printf("ran before kill returned: %d\n", (int)count);
    CHECK(count == 2);
    printf("own signal blocked in the handler: %d\n", (int)(blocked_inside & 1));
    CHECK(blocked_inside & 1);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    sa.sa_flags = SA_NODEFER;
    EXPECT_OK(sigaction(SIGUSR1, &sa, NULL), "sigaction SA_NODEFER, mask USR2");
    raise(SIGUSR1);
    printf("in the handler: own blocked %d, USR2 blocked %d\n", (int)(blocked_inside & 1),
           (int)((blocked_inside & 2) >> 1));
    CHECK(blocked_inside == 2);
    struct sigaction old;
    EXPECT_OK(sigaction(SIGUSR1, NULL, &old), "query");
    CHECK(old.sa_handler == handler && (old.sa_flags & SA_NODEFER) &&
          sigismember(&old.sa_mask, SIGUSR2));
    signal(SIGUSR1, SIG_DFL);
}

static void case_pending(void) {
    install(SIGUSR2, handler, 0);
    count = 0;
    sigset_t set, pending;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    EXPECT_OK(sigprocmask(SIG_BLOCK, &set, NULL), "block USR2");
    raise(SIGUSR2);
    raise(SIGUSR2); /* not queued: one delivery */
    sigpending(&pending);
    printf("blocked: ran %d, pending %d\n", (int)count, sigismember(&pending, SIGUSR2));
    CHECK(count == 0 && sigismember(&pending, SIGUSR2) == 1);
    EXPECT_OK(sigprocmask(SIG_UNBLOCK, &set, NULL), "unblock");
    sigpending(&pending);
    printf("unblocked: ran %d, pending %d\n", (int)count, sigismember(&pending, SIGUSR2));
    CHECK(count == 1 && sigismember(&pending, SIGUSR2) == 0);

    /* ignoring a pending signal discards it */
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    signal(SIGUSR2, SIG_IGN);
    sigpending(&pending);
    printf("ignored while pending: pending %d\n", sigismember(&pending, SIGUSR2));
    CHECK(sigismember(&pending, SIGUSR2) == 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    signal(SIGUSR2, SIG_DFL);
}

static void case_eintr(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    EXPECT_OK(install(SIGALRM, handler, 0), "SIGALRM without SA_RESTART");
    count = 0;
    alarm(1);
    char buf[16];
    EXPECT_ERR(read(p[0], buf, sizeof buf), EINTR, "blocking read");
    printf("handler ran: %d\n", (int)count);
    CHECK(count == 1);
    close(p[0]);
    close(p[1]);
}

static void case_restart(void) {
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    EXPECT_OK(install(SIGALRM, handler, SA_RESTART), "SIGALRM with SA_RESTART");
    count = 0;
    pid_t pid = start(p[1], "delay-echo", "2000", "late");
    close(p[1]);
    alarm(1);
    char buf[16];
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("restarted read: %ld bytes \"%.*s\", handler ran %d\n", (long)n, (int)(n > 0 ? n : 0),
           buf, (int)count);
    CHECK(n == 4 && memcmp(buf, "late", 4) == 0 && count == 1);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && st == 0);
    close(p[0]);

    /* SA_RESTART also restarts a blocking waitpid */
    pid = start(-1, "sleep", "2000", NULL);
    alarm(1);
    count = 0;
    pid_t r = waitpid(pid, &st, 0);
    printf("restarted waitpid: %d, handler ran %d\n", r == pid, (int)count);
    CHECK(r == pid && st == 0 && count == 1);
    signal(SIGALRM, SIG_DFL);
}

static void case_alarm(void) {
    install(SIGALRM, handler, 0);
    alarm(10);
    unsigned left = alarm(0);
    printf("alarm(0) after alarm(10): %u left\n", left);
    CHECK(left >= 9 && left <= 10);
    CHECK(alarm(0) == 0);
    count = 0;
    alarm(1);
    EXPECT_ERR(pause(), EINTR, "pause until SIGALRM");
    printf("handler ran: %d\n", (int)count);
    CHECK(count == 1 && last == SIGALRM);
    signal(SIGALRM, SIG_DFL);
}

static void case_sigsuspend(void) {
    install(SIGUSR1, handler, 0);
    sigset_t block, old, wait_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    count = 0;
    char sig[8];
    snprintf(sig, sizeof sig, "%d", SIGUSR1);
    pid_t pid = start(-1, "kill-parent", sig, NULL);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && st == 0); /* sent, and blocked */
    printf("before sigsuspend: ran %d\n", (int)count);
    CHECK(count == 0);
    wait_mask = old;
    sigdelset(&wait_mask, SIGUSR1);
    EXPECT_ERR(sigsuspend(&wait_mask), EINTR, "sigsuspend");
    printf("after: ran %d\n", (int)count);
    CHECK(count == 1);
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("mask restored: %d\n", sigismember(&now, SIGUSR1));
    CHECK(sigismember(&now, SIGUSR1) == 1);
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGUSR1, SIG_DFL);
}

static void case_flags(void) {
    /* SA_RESETHAND: once, then the default (SIGURG's default is to ignore) */
    EXPECT_OK(install(SIGURG, handler, SA_RESETHAND), "SA_RESETHAND");
    count = 0;
    raise(SIGURG);
    raise(SIGURG);
    struct sigaction now;
    sigaction(SIGURG, NULL, &now);
    printf("SA_RESETHAND: ran %d, then default %d\n", (int)count, now.sa_handler == SIG_DFL);
    CHECK(count == 1 && now.sa_handler == SIG_DFL);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = info_handler;
    sa.sa_flags = SA_SIGINFO;
    EXPECT_OK(sigaction(SIGUSR2, &sa, NULL), "SA_SIGINFO");
    info_sig = 0;
    raise(SIGUSR2);
    printf("SA_SIGINFO handler got %d\n", (int)info_sig);
    CHECK(info_sig == SIGUSR2);
    signal(SIGUSR2, SIG_DFL);

    /* signal() returns the previous handler */
    CHECK(signal(SIGUSR1, handler) == SIG_DFL);
    CHECK(signal(SIGUSR1, SIG_IGN) == handler);
    CHECK(signal(SIGUSR1, SIG_DFL) == SIG_IGN);
    EXPECT_OK(raise(SIGWINCH), "raise SIGWINCH (default: ignore)");
}

static void case_uncatchable(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    EXPECT_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL, "sigaction SIGKILL");
    EXPECT_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL, "sigaction SIGSTOP");
    errno = 0;
    CHECK(signal(SIGKILL, SIG_IGN) == SIG_ERR && errno == EINVAL);
    EXPECT_ERR(sigaction(0, &sa, NULL), EINVAL, "sigaction 0");
    EXPECT_ERR(sigaction(65, &sa, NULL), EINVAL, "sigaction 65");
    sigset_t all, old, now;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &old);
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("block everything: KILL %d STOP %d USR1 %d\n", sigismember(&now, SIGKILL),
           sigismember(&now, SIGSTOP), sigismember(&now, SIGUSR1));
    CHECK(!sigismember(&now, SIGKILL) && !sigismember(&now, SIGSTOP) &&
          sigismember(&now, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void case_sigchld(void) {
    install(SIGCHLD, handler, SA_RESTART);
    count = 0;
    last = 0;
    pid_t pid = start(-1, "exit", "0", NULL);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    printf("SIGCHLD: ran %d\n", count > 0 && last == SIGCHLD);
    CHECK(count > 0 && last == SIGCHLD);
    signal(SIGCHLD, SIG_DFL);
}

int main(int argc, char **argv) {
    const char *dir = getenv("MT_BIN");
    snprintf(helper_path, sizeof helper_path, "%s/mt_child", dir ? dir : "/bin");

    static const struct mt_case cases[] = {
        {"synchronous", case_synchronous},
        {"pending", case_pending},
        {"eintr", case_eintr},
        {"restart", case_restart},
        {"alarm", case_alarm},
        {"sigsuspend", case_sigsuspend},
        {"flags", case_flags},
        {"uncatchable", case_uncatchable},
        {"sigchld", case_sigchld},
    };
    return run_cases(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
