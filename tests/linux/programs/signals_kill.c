/* kill, raise, killpg and sigqueue edge cases: signal 0 checks existence
 * (a zombie still exists), ESRCH for no such process or group, EINVAL for
 * bad numbers, sending to one's own group, and the signals that cannot be
 * caught or blocked (root: never EPERM). */
#include "linuxtest.h"
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile int got;
static void on_usr(int sig) { got = sig; }

static int tests(char *self);

/* The tests run in a child in a process group of its own: kill(0, ...) must
 * not reach whoever started us (and the first process inside is pid 1, for
 * which kill(-getpgrp()) would mean every process). */
int main(int argc, char **argv) {
    if (argc > 1)
        return strcmp(argv[1], "tests") == 0 ? tests(argv[0]) : 0;
    posix_spawnattr_t at;
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&at, 0);
    char *args[] = {argv[0], "tests", NULL};
    pid_t pid;
    MUST(posix_spawn(&pid, argv[0], NULL, &at, args, environ) == 0);
    int status;
    MUST(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static int tests(char *self) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    CHECK(getpgrp() == getpid());
    CHECK(kill(getpid(), 0));
    CHECK(kill(0, 0));
    CHECK(kill(-getpgrp(), 0));
    CHECK(killpg(getpgrp(), 0));
    CHECK(kill(getpid(), -1));
    CHECK(kill(getpid(), 65));
    CHECK(kill(getpid(), 1000));
    CHECK(kill(99999999, 0));
    CHECK(kill(99999999, SIGTERM));
    CHECK(kill(-99999999, 0));
    CHECK(kill(INT_MIN, 0));
    CHECK(killpg(-1, 0));
    CHECK(raise(0));
    CHECK(raise(65));
    CHECK(raise(-3));
    CHECK(sigqueue(getpid(), 0, (union sigval){0}));
    CHECK(sigqueue(getpid(), 65, (union sigval){0}));
    CHECK(sigqueue(0, SIGUSR1, (union sigval){0}));
    CHECK(sigqueue(-1, SIGUSR1, (union sigval){0}));
    CHECK(sigqueue(99999999, SIGUSR1, (union sigval){0}));

    struct sigaction sa = {0};
    sa.sa_handler = on_usr;
    CHECK(sigaction(SIGKILL, &sa, NULL));
    CHECK(sigaction(SIGSTOP, &sa, NULL));
    CHECK(sigaction(0, &sa, NULL));
    CHECK(sigaction(65, &sa, NULL));
    CHECK(sigaction(SIGKILL, NULL, &sa)); /* reading is allowed */
    sa.sa_handler = SIG_IGN;
    CHECK(sigaction(SIGKILL, &sa, NULL));
    sa.sa_handler = SIG_DFL;
    CHECK(sigaction(SIGSTOP, &sa, NULL));
    sigset_t set, old;
    sigfillset(&set);
    CHECK(sigprocmask(SIG_BLOCK, &set, &old));
    CHECK(sigprocmask(SIG_BLOCK, NULL, &set));
    printf("KILL blocked %d, STOP blocked %d, TERM blocked %d\n", sigismember(&set, SIGKILL),
           sigismember(&set, SIGSTOP), sigismember(&set, SIGTERM));
    CHECK(sigprocmask(SIG_SETMASK, &old, NULL));

    /* to oneself: through the pid, the group, and every process (-1 skips the caller) */
    sa.sa_handler = on_usr;
    CHECK(sigaction(SIGUSR1, &sa, NULL));
    CHECK(sigaction(SIGUSR2, &sa, NULL));
    CHECK(kill(getpid(), SIGUSR1));
    printf("got %d\n", got);
    got = 0;
    CHECK(kill(0, SIGUSR2));
    printf("got %d\n", got);
    got = 0;
    CHECK(killpg(getpgrp(), SIGUSR1));
    printf("got %d\n", got);

    /* a child that has exited (its pipe end closed) exists until it is reaped */
    pid_t pid;
    char *args[] = {self, "child", NULL};
    int fds[2];
    MUST(pipe(fds) == 0);
    fflush(stdout);
    MUST(posix_spawn(&pid, self, NULL, NULL, args, environ) == 0);
    close(fds[1]);
    char c;
    CHECK(read(fds[0], &c, 1));
    CHECK(kill(pid, 0));
    CHECK(kill(pid, SIGTERM));
    CHECK(sigqueue(pid, SIGUSR1, (union sigval){0}));
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("exited %d code %d\n", WIFEXITED(status), WEXITSTATUS(status));
    CHECK(kill(pid, 0));
    return 0;
}
