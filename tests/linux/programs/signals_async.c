/* Handlers interrupt a computing process, not only its system calls: a
 * SIGALRM handler ends `while (!flag) ;`, a periodic timer's handler runs
 * many times inside pure computation (whose stack it must not disturb), and
 * a signal sent by another process reaches a spinning one. */
#include "linuxtest.h"
#include <signal.h>
#include <spawn.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile sig_atomic_t flag, ticks, usr1_value = -1;

static void on_alarm(int sig) {
    (void)sig;
    /* a big frame: it would overwrite whatever lies below the stack pointer */
    volatile unsigned char scratch[1024];
    for (unsigned i = 0; i < sizeof scratch; i++)
        scratch[i] = (unsigned char)(0xA5 ^ i);
    flag = 1;
    ticks++;
}

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    usr1_value = si->si_value.sival_int;
}

/* A leaf function with a small frame of its own (LLVM may keep it below the
 * stack pointer, in the red zone, without moving the pointer). */
static __attribute__((noinline)) unsigned leaf(unsigned seed) {
    volatile unsigned a[24];
    for (unsigned i = 0; i < 24; i++)
        a[i] = seed * 2654435761u + i;
    unsigned sum = 0;
    for (int round = 0; round < 200; round++)
        for (unsigned i = 0; i < 24; i++)
            sum = (sum << 5 | sum >> 27) ^ a[i];
    return sum;
}

int main(int argc, char **argv) {
    if (argc > 1) { /* the child: signal the spinning parent */
        usleep(200000);
        sigqueue(getppid(), SIGUSR1, (union sigval){.sival_int = 42});
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    CHECK(sigaction(SIGALRM, &sa, NULL));

    alarm(1);
    unsigned long spins = 0;
    while (!flag)
        spins++;
    printf("the spin ended: %d\n", spins > 0);

    /* results computed while a 5 ms timer fires must be what they are without it */
    unsigned expected[64];
    for (unsigned i = 0; i < 64; i++)
        expected[i] = leaf(i);
    struct itimerval it = {{0, 5000}, {0, 5000}};
    ticks = 0;
    CHECK(setitimer(ITIMER_REAL, &it, NULL));
    int wrong = 0, rounds = 0;
    while (ticks < 30) {
        for (unsigned i = 0; i < 64; i++)
            wrong += leaf(i) != expected[i];
        rounds++;
    }
    it.it_value.tv_usec = 0;
    CHECK(setitimer(ITIMER_REAL, &it, NULL));
    printf("30 ticks during computation, wrong results: %d\n", wrong);

    /* from another process, into a spin */
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGUSR1, &sa, NULL));
    pid_t pid;
    char *args[] = {argv[0], "child", NULL};
    fflush(stdout);
    MUST(posix_spawn(&pid, argv[0], NULL, NULL, args, environ) == 0);
    while (usr1_value < 0) {
    }
    printf("value from the child: %d\n", (int)usr1_value);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid);

    /* blocked signals wait, also in a spin */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    CHECK(sigprocmask(SIG_BLOCK, &set, NULL));
    flag = 0;
    alarm(1);
    struct timeval t0, t1;
    gettimeofday(&t0, NULL);
    do
        gettimeofday(&t1, NULL);
    while ((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_usec - t0.tv_usec) < 1500000);
    printf("blocked: handler ran %d\n", (int)flag);
    CHECK(sigprocmask(SIG_UNBLOCK, &set, NULL));
    printf("unblocked: handler ran %d\n", (int)flag);
    return 0;
}
