/* abort() raises SIGABRT: a handler runs; whether it returns, SIGABRT is
 * ignored or blocked, the process dies of SIGABRT (its parent's waitpid
 * sees WIFSIGNALED, WTERMSIG == SIGABRT); a failed assert() aborts too.
 * Each case runs in a child (this program again). */
#include "linuxtest.h"
#include <assert.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void on_abrt(int sig) {
    printf("  child: handler for %d ran\n", sig);
    fflush(stdout);
}

static int child(const char *how) {
    struct sigaction sa = {0};
    if (strcmp(how, "handler") == 0) {
        sa.sa_handler = on_abrt;
        sigaction(SIGABRT, &sa, NULL);
    } else if (strcmp(how, "ignored") == 0) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGABRT, &sa, NULL);
    } else if (strcmp(how, "blocked") == 0) {
        sa.sa_handler = on_abrt;
        sigaction(SIGABRT, &sa, NULL);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGABRT);
        sigprocmask(SIG_BLOCK, &set, NULL);
    } else if (strcmp(how, "assert") == 0) {
        assert(strlen(how) == 1);
        return 3;
    } else if (strcmp(how, "raise") == 0) {
        raise(SIGABRT);
        return 4;
    }
    printf("  child: calling abort\n");
    fflush(stdout);
    abort();
}

static void run(char *self, char *how) {
    char *args[] = {self, how, NULL};
    pid_t pid;
    fflush(stdout);
    MUST(posix_spawn(&pid, self, NULL, NULL, args, environ) == 0);
    int status;
    MUST(waitpid(pid, &status, 0) == pid);
    printf("%s: exited %d signaled %d signal is SIGABRT %d\n", how, WIFEXITED(status),
           WIFSIGNALED(status), WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

int main(int argc, char **argv) {
    if (argc > 1)
        return child(argv[1]);
    char *cases[] = {"plain", "handler", "ignored", "blocked", "assert", "raise"};
    for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++)
        run(argv[0], cases[i]);
    return 0;
}
