/* Signals and threads: pthread_kill to oneself runs the handler before it
 * returns; pthread_kill(t, 0) checks a live thread; a bad signal is EINVAL;
 * pthread_sigmask blocks and unblocks (the pending signal runs then); a
 * signal sent to another thread is handled. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr1(int sig) {
    (void)sig;
    handled++;
}

static volatile int stop;
static void *waiter(void *arg) {
    (void)arg;
    while (!__atomic_load_n(&stop, __ATOMIC_SEQ_CST))
        usleep(1000);
    return NULL;
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);

    CHECK_ERRNO(pthread_kill(pthread_self(), SIGUSR1));
    printf("handled after pthread_kill(self): %d\n", handled);
    CHECK_ERRNO(pthread_kill(pthread_self(), 0));
    CHECK_ERRNO(pthread_kill(pthread_self(), 1000));

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK_ERRNO(pthread_sigmask(SIG_BLOCK, &set, &old));
    printf("was blocked: %d\n", sigismember(&old, SIGUSR1));
    CHECK_ERRNO(pthread_kill(pthread_self(), SIGUSR1));
    sigset_t pending;
    sigemptyset(&pending);
    CHECK(sigpending(&pending));
    printf("pending while blocked: %d, handled %d\n", sigismember(&pending, SIGUSR1), handled);
    CHECK_ERRNO(pthread_sigmask(SIG_UNBLOCK, &set, NULL));
    printf("handled after unblocking: %d\n", handled);
    CHECK_ERRNO(pthread_sigmask(99, &set, NULL));

    pthread_t t;
    MUST(pthread_create(&t, NULL, waiter, NULL) == 0);
    CHECK_ERRNO(pthread_kill(t, 0));
    CHECK_ERRNO(pthread_kill(t, SIGUSR1));
    for (int i = 0; i < 1000 && handled < 3; i++)
        usleep(1000);
    printf("handled after pthread_kill(thread): %d\n", handled);
    __atomic_store_n(&stop, 1, __ATOMIC_SEQ_CST);
    CHECK_ERRNO(pthread_join(t, NULL));
    return 0;
}
