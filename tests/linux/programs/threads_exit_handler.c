/* A signal handler that calls exit() ends every thread, whichever thread it
 * interrupted: here SIGALRM arrives while the main thread spins without
 * system calls and another thread is blocked reading an empty pipe. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static int fds[2];
static volatile unsigned long spins;

static void on_alarm(int sig) {
    (void)sig;
    _exit(4);
}

static void *reader(void *arg) {
    (void)arg;
    char c;
    (void)read(fds[0], &c, 1);
    printf("reader: read returned (must not happen)\n");
    return NULL;
}

int main(void) {
    MUST(pipe(fds) == 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGALRM, &sa, NULL) == 0);
    pthread_t r;
    MUST(pthread_create(&r, NULL, reader, NULL) == 0);
    printf("main: spinning until SIGALRM\n");
    fflush(stdout);
    alarm(1);
    for (;;)
        spins++;
}
