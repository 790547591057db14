/* fresh_start PROGRAM ARGS...: run PROGRAM as a LibOS process starts: every
 * signal at its default action, none blocked, only fds 0-2 open. A test runner
 * (pytest-xdist, make, CI) may leave signals ignored or blocked and fds open,
 * and a native program inherits them; the programs of the Linux test suite
 * print such state, so the native side must start from the same point. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The kernel's struct sigaction: glibc's sigaction() refuses signals 32 and 33
 * (its own), which a runner may still have left ignored. */
struct kernel_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fresh_start PROGRAM [ARGS...]\n");
        return 2;
    }
    struct kernel_sigaction dfl = {SIG_DFL, 0, NULL, 0};
    for (int sig = 1; sig < NSIG; sig++) /* fails harmlessly for SIGKILL and SIGSTOP */
        syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    closefrom(3);
    execv(argv[1], argv + 1);
    perror(argv[1]);
    return 127;
}
