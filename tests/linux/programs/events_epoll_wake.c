/* Blocking epoll_wait, poll and select woken by another process (a child
 * writing to a pipe after a pause); a signal interrupts them with EINTR even
 * with SA_RESTART; epoll_pwait and ppoll with a mask that blocks the signal
 * sleep through it. */
#include "linuxtest.h"
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t caught;
static void on_usr1(int sig) { caught = sig; }

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Spawn this program again to do `what` after 100 ms. */
static pid_t helper(const char *self, const char *what, int fd) {
    char num[16];
    snprintf(num, sizeof num, "%d", fd);
    char *argv[] = {(char *)self, (char *)what, num, NULL};
    pid_t pid;
    fflush(stdout);
    MUST(posix_spawn(&pid, self, NULL, NULL, argv, environ) == 0);
    return pid;
}

static void reap(pid_t pid) {
    int status;
    MUST(waitpid(pid, &status, 0) == pid);
    printf("helper exit %d\n", WEXITSTATUS(status));
}

int main(int argc, char **argv) {
    if (argc == 3) {
        usleep(100 * 1000);
        if (argv[1][0] == 'w')
            return write(atoi(argv[2]), "hello", 5) == 5 ? 0 : 1;
        return kill(getppid(), SIGUSR1) == 0 ? 0 : 1;
    }
    int p[2];
    MUST(pipe(p) == 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42}, out[2];
    MUST(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev) == 0);
    char buf[16];

    pid_t pid = helper(argv[0], "write", p[1]);
    long t0 = now_ms();
    int n = epoll_wait(ep, out, 2, 10000);
    long waited = now_ms() - t0;
    CHECK(n);
    printf("data %llu, woke after 50..5000 ms: %d\n", (unsigned long long)out[0].data.u64,
           waited >= 50 && waited < 5000);
    CHECK(read(p[0], buf, sizeof buf));
    reap(pid);

    pid = helper(argv[0], "write", p[1]);
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    CHECK(poll(&pfd, 1, 10000));
    printf("revents %#x\n", pfd.revents);
    CHECK(read(p[0], buf, sizeof buf));
    reap(pid);

    pid = helper(argv[0], "write", p[1]);
    fd_set set;
    FD_ZERO(&set);
    FD_SET(p[0], &set);
    struct timeval tv = {10, 0};
    CHECK(select(p[0] + 1, &set, NULL, NULL, &tv));
    printf("isset %d, time left 4..10 s: %d\n", FD_ISSET(p[0], &set),
           tv.tv_sec >= 4 && tv.tv_sec < 10);
    CHECK(read(p[0], buf, sizeof buf));
    reap(pid);

    /* A signal interrupts the waits, SA_RESTART or not. */
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
    pid = helper(argv[0], "signal", 0);
    CHECK(epoll_wait(ep, out, 2, 10000));
    printf("caught %d\n", caught == SIGUSR1);
    reap(pid);
    caught = 0;
    pid = helper(argv[0], "signal", 0);
    CHECK(poll(&pfd, 1, 10000));
    printf("caught %d\n", caught == SIGUSR1);
    reap(pid);
    caught = 0;
    pid = helper(argv[0], "signal", 0);
    FD_SET(p[0], &set);
    CHECK(select(p[0] + 1, &set, NULL, NULL, NULL));
    printf("caught %d\n", caught == SIGUSR1);
    reap(pid);

    /* epoll_pwait with SIGUSR1 blocked: times out; the signal stays pending. */
    caught = 0;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    MUST(sigprocmask(SIG_BLOCK, &block, NULL) == 0);
    pid = helper(argv[0], "signal", 0);
    reap(pid);
    sigset_t pending;
    sigpending(&pending);
    printf("pending %d\n", sigismember(&pending, SIGUSR1));
    CHECK(epoll_pwait(ep, out, 2, 50, &block));
    printf("caught %d\n", caught);
    /* ppoll with an empty mask lets it in: EINTR at once. */
    sigset_t none;
    sigemptyset(&none);
    struct timespec ts = {5, 0};
    CHECK(ppoll(&pfd, 1, &ts, &none));
    printf("caught %d\n", caught == SIGUSR1);
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    printf("mask restored %d\n", sigismember(&now, SIGUSR1));
    return 0;
}
