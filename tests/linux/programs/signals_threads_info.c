// linux-test: cflags=-pthread
/* siginfo in a threaded program: pthread_kill and raise give SI_TKILL, kill
 * SI_USER, sigqueue SI_QUEUE with its value, all from this process; a
 * thread spinning without system calls still runs a handler. */
#include "linuxtest.h"
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t got_code = 99, got_pid_me, got_value, spun;

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)ctx;
    got_code = si->si_code;
    got_pid_me = si->si_pid == getpid();
    got_value = si->si_code == SI_QUEUE ? si->si_value.sival_int : 0;
}

static const char *code_name(int code) {
    return code == SI_USER ? "SI_USER" : code == SI_TKILL ? "SI_TKILL"
         : code == SI_QUEUE ? "SI_QUEUE" : "other";
}

static void show(const char *what) {
    printf("%s: %s from me %d value %d\n", what, code_name(got_code), (int)got_pid_me,
           (int)got_value);
    got_code = 99;
}

static volatile sig_atomic_t stop;
static void on_usr2(int sig) { (void)sig; stop = 1; }

static void *spinner(void *arg) {
    (void)arg;
    unsigned long n = 0;
    while (!stop)
        n++;
    spun = n > 0;
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    CHECK(sigaction(SIGUSR1, &sa, NULL));
    CHECK_ERRNO(pthread_kill(pthread_self(), SIGUSR1));
    show("pthread_kill");
    CHECK(raise(SIGUSR1));
    show("raise");
    CHECK(kill(getpid(), SIGUSR1));
    show("kill");
    CHECK(sigqueue(getpid(), SIGUSR1, (union sigval){.sival_int = 5}));
    show("sigqueue");

    /* the main thread blocks SIGUSR2; the spinning thread takes it */
    sa.sa_handler = on_usr2;
    sa.sa_flags = 0;
    CHECK(sigaction(SIGUSR2, &sa, NULL));
    pthread_t t;
    CHECK_ERRNO(pthread_create(&t, NULL, spinner, NULL));
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    CHECK_ERRNO(pthread_sigmask(SIG_BLOCK, &set, NULL));
    usleep(100000);
    CHECK(kill(getpid(), SIGUSR2));
    CHECK_ERRNO(pthread_join(t, NULL));
    printf("the spinning thread stopped: %d\n", (int)spun);
    return 0;
}
