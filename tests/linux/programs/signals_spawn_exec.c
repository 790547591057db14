/* What a new program inherits: across posix_spawn the signal mask and ignored
 * signals (handlers become SIG_DFL, nothing is pending), changed by
 * POSIX_SPAWN_SETSIGMASK / SETSIGDEF; across execve the mask, the ignored
 * signals and the pending signals. */
#include "linuxtest.h"
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static void on_usr(int sig) { (void)sig; }

static int report(const char *who) {
    sigset_t mask, pend;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    sigpending(&pend);
    struct sigaction usr1, usr2, term;
    sigaction(SIGUSR1, NULL, &usr1);
    sigaction(SIGUSR2, NULL, &usr2);
    sigaction(SIGTERM, NULL, &term);
    printf("%s: blocked USR1 %d HUP %d RTMIN %d; pending USR1 %d RTMIN %d; USR1 %s USR2 %s TERM %s\n",
           who, sigismember(&mask, SIGUSR1), sigismember(&mask, SIGHUP),
           sigismember(&mask, SIGRTMIN), sigismember(&pend, SIGUSR1), sigismember(&pend, SIGRTMIN),
           usr1.sa_handler == SIG_IGN ? "ign" : usr1.sa_handler == SIG_DFL ? "dfl" : "handler",
           usr2.sa_handler == SIG_IGN ? "ign" : usr2.sa_handler == SIG_DFL ? "dfl" : "handler",
           term.sa_handler == SIG_IGN ? "ign" : term.sa_handler == SIG_DFL ? "dfl" : "handler");
    fflush(stdout);
    return 0;
}

static void spawn_and_wait(char *self, const posix_spawnattr_t *attr, char *mode) {
    char *args[] = {self, mode, NULL};
    pid_t pid;
    fflush(stdout);
    MUST(posix_spawn(&pid, self, NULL, attr, args, environ) == 0);
    int status;
    MUST(waitpid(pid, &status, 0) == pid);
    printf("  exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status));
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "report") == 0)
        return report("child");
    if (argc > 1 && strcmp(argv[1], "exec") == 0) {
        raise(SIGUSR1);
        report("before exec");
        char *args[] = {argv[0], "report", NULL};
        execve(argv[0], args, environ);
        return 9;
    }
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    CHECK(sigaction(SIGUSR2, &sa, NULL));
    sa.sa_handler = on_usr;
    CHECK(sigaction(SIGUSR1, &sa, NULL));
    CHECK(sigaction(SIGTERM, &sa, NULL));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGRTMIN);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL));
    CHECK(raise(SIGUSR1));
    CHECK(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 1}));
    report("parent");

    printf("posix_spawn:\n");
    spawn_and_wait(argv[0], NULL, "report");

    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    sigset_t mask, def;
    sigemptyset(&mask);
    sigaddset(&mask, SIGHUP);
    sigemptyset(&def);
    sigaddset(&def, SIGUSR2);
    CHECK_ERRNO(posix_spawnattr_setsigmask(&at, &mask));
    CHECK_ERRNO(posix_spawnattr_setsigdefault(&at, &def));
    CHECK_ERRNO(posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
    printf("posix_spawn with SETSIGMASK {HUP} and SETSIGDEF {USR2}:\n");
    spawn_and_wait(argv[0], &at, "report");
    posix_spawnattr_destroy(&at);

    printf("posix_spawn, then the child raises USR1 (blocked) and execs:\n");
    spawn_and_wait(argv[0], NULL, "exec");
    return 0;
}
