/* Interrupted calls: with SA_RESTART a blocking read and waitpid go on after
 * the handler, without it they fail with EINTR; poll, sigsuspend, pause and
 * nanosleep always fail with EINTR. The handler (SIGALRM) writes to a pipe. */
#include "linuxtest.h"
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static int fds[2];
static volatile int alarms;

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
    if (write(fds[1], "x", 1) != 1)
        _exit(90);
}

static void handle(int flags) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = flags;
    MUST(sigaction(SIGALRM, &sa, NULL) == 0);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        sleep(3);
        return 4;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    MUST(pipe(fds) == 0);
    char c;

    handle(SA_RESTART);
    alarm(1);
    CHECK(read(fds[0], &c, 1)); /* restarted: reads the handler's byte */
    printf("alarms %d\n", alarms);
    handle(0);
    alarm(1);
    CHECK(read(fds[0], &c, 1)); /* EINTR; the byte is still there */
    CHECK(read(fds[0], &c, 1));
    printf("alarms %d\n", alarms);

    pid_t pid;
    char *args[] = {argv[0], "child", NULL};
    fflush(stdout);
    MUST(posix_spawn(&pid, argv[0], NULL, NULL, args, environ) == 0);
    int status;
    alarm(1);
    CHECK(waitpid(pid, &status, 0)); /* EINTR */
    handle(SA_RESTART);
    alarm(1);
    CHECK(waitpid(pid, &status, 0) == pid); /* restarted until the child exits */
    printf("exit %d alarms %d\n", WEXITSTATUS(status), alarms);
    CHECK(read(fds[0], &c, 1)); /* the two alarms' bytes */
    CHECK(read(fds[0], &c, 1));

    /* never restarted, SA_RESTART or not */
    int dummy[2];
    MUST(pipe(dummy) == 0);
    struct pollfd pfd = {.fd = dummy[0], .events = POLLIN};
    alarm(1);
    CHECK(poll(&pfd, 1, 5000));
    alarm(1);
    CHECK(pause());
    sigset_t none;
    sigemptyset(&none);
    alarm(1);
    CHECK(sigsuspend(&none));
    struct timespec ts = {5, 0};
    alarm(1);
    CHECK(nanosleep(&ts, NULL));
    printf("alarms %d\n", alarms);
    return 0;
}
