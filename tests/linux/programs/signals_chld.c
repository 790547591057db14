/* SIGCHLD: an SA_SIGINFO handler learns how a child ended (CLD_EXITED with
 * the exit code, CLD_KILLED with the signal, si_pid the child); SIG_IGN and
 * SA_NOCLDWAIT make children reap themselves (waitpid: ECHILD), a handler
 * still runs with SA_NOCLDWAIT; SA_NOCLDSTOP is accepted. */
#include "linuxtest.h"
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile int chld_calls, chld_code, chld_status, chld_pid;

static void on_chld(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    chld_calls++;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_pid = si->si_pid;
}

static pid_t start(char *self, char *how) {
    char *args[] = {self, how, NULL};
    pid_t pid;
    fflush(stdout);
    MUST(posix_spawn(&pid, self, NULL, NULL, args, environ) == 0);
    return pid;
}

/* Wait (in sigsuspend) until the handler has run `n` times in all. */
static void await_handler(int n) {
    sigset_t none;
    sigemptyset(&none);
    while (chld_calls < n)
        sigsuspend(&none);
}

static const char *code_name(int code) {
    return code == CLD_EXITED ? "CLD_EXITED" : code == CLD_KILLED ? "CLD_KILLED"
         : code == CLD_DUMPED ? "CLD_DUMPED" : "other";
}

int main(int argc, char **argv) {
    if (argc > 1) {
        if (strcmp(argv[1], "term") == 0) {
            raise(SIGTERM);
            return 1;
        }
        return atoi(argv[1]);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigset_t chld, old;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &chld, &old)); /* no handler before we wait for it */
    struct sigaction sa = {0};
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_NOCLDSTOP | SA_RESTART;
    CHECK(sigaction(SIGCHLD, &sa, NULL));

    pid_t pid = start(argv[0], "5");
    await_handler(1);
    printf("handler: %s status %d pid is child %d\n", code_name(chld_code), chld_status,
           chld_pid == pid);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("exited %d code %d\n", WIFEXITED(status), WEXITSTATUS(status));

    pid = start(argv[0], "term");
    await_handler(2);
    printf("handler: %s status is SIGTERM %d pid is child %d\n", code_name(chld_code),
           chld_status == SIGTERM, chld_pid == pid);
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("signaled %d by SIGTERM %d\n", WIFSIGNALED(status), WTERMSIG(status) == SIGTERM);
    CHECK(waitpid(-1, &status, WNOHANG));

    /* SA_NOCLDWAIT: the handler runs, the child is gone by itself */
    sa.sa_flags = SA_SIGINFO | SA_NOCLDWAIT;
    CHECK(sigaction(SIGCHLD, &sa, NULL));
    pid = start(argv[0], "3");
    await_handler(3);
    printf("handler: %s status %d\n", code_name(chld_code), chld_status);
    CHECK(waitpid(pid, &status, 0));
    CHECK(wait(&status));

    /* SIG_IGN: no handler, and wait blocks until the children are gone: ECHILD */
    sa.sa_handler = SIG_IGN;
    sa.sa_flags = 0;
    CHECK(sigaction(SIGCHLD, &sa, NULL));
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL));
    pid = start(argv[0], "4");
    CHECK(waitpid(pid, &status, 0));
    CHECK(wait(&status));
    printf("handler calls %d\n", chld_calls);

    /* back to SIG_DFL: children are waited for again */
    sa.sa_handler = SIG_DFL;
    CHECK(sigaction(SIGCHLD, &sa, NULL));
    pid = start(argv[0], "6");
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("exited %d code %d\n", WIFEXITED(status), WEXITSTATUS(status));
    return 0;
}
