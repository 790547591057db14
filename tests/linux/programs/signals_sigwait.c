/* sigwait, sigwaitinfo, sigtimedwait: taking blocked signals synchronously
 * (with their siginfo), a zero and a short timeout (EAGAIN), bad timeouts
 * (EINVAL), a handler of another signal interrupting the wait (EINTR), and a
 * child's exit caught as a blocked SIGCHLD (ignored by default, yet pending). */
#include "linuxtest.h"
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

int main(int argc, char **argv) {
    if (argc > 1)
        return atoi(argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGCHLD);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL));

    int sig = 0;
    CHECK(raise(SIGUSR1));
    CHECK_ERRNO(sigwait(&set, &sig));
    printf("sigwait got %d\n", sig);

    siginfo_t si;
    CHECK(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 99}));
    CHECK(sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 100}));
    CHECK(sigwaitinfo(&set, &si) - SIGRTMIN);
    printf("info: code SI_QUEUE %d value %d pid_is_me %d\n", si.si_code == SI_QUEUE,
           si.si_value.sival_int, si.si_pid == getpid());
    struct timespec zero = {0, 0};
    CHECK(sigtimedwait(&set, &si, &zero) - SIGRTMIN);
    printf("value %d\n", si.si_value.sival_int);
    CHECK(sigtimedwait(&set, &si, &zero));
    struct timespec short_wait = {0, 50 * 1000 * 1000};
    CHECK(sigtimedwait(&set, NULL, &short_wait));
    struct timespec bad = {0, 1000000000};
    CHECK(sigtimedwait(&set, &si, &bad));
    bad.tv_sec = -1;
    bad.tv_nsec = 0;
    CHECK(sigtimedwait(&set, &si, &bad));

    /* a handled signal outside the set ends the wait with EINTR */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    CHECK(sigaction(SIGALRM, &sa, NULL));
    alarm(1);
    struct timespec long_wait = {10, 0};
    CHECK(sigtimedwait(&set, &si, &long_wait));
    printf("alarms %d\n", alarms);
    sa.sa_flags = SA_RESTART; /* no difference: sigtimedwait is never restarted */
    CHECK(sigaction(SIGALRM, &sa, NULL));
    alarm(1);
    CHECK(sigwaitinfo(&set, &si));
    printf("alarms %d\n", alarms);

    /* SIGCHLD: ignored by default, but kept pending while blocked */
    pid_t pid;
    char *child[] = {argv[0], "7", NULL};
    fflush(stdout);
    MUST(posix_spawn(&pid, argv[0], NULL, NULL, child, environ) == 0);
    CHECK(sigwaitinfo(&set, &si));
    printf("SIGCHLD: code CLD_EXITED %d status %d pid is child %d\n", si.si_code == CLD_EXITED,
           si.si_status, si.si_pid == pid);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);
    printf("exit %d\n", WEXITSTATUS(status));
    return 0;
}
