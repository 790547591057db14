/* Per-thread signal masks and signals sent to one thread: a new thread
 * starts with its creator's mask; pthread_sigmask in one thread does not
 * change another's; pthread_kill runs the handler in the target thread; a
 * signal sent to a thread that blocks it stays pending for that thread only
 * (sigpending elsewhere does not show it) until it unblocks it; a signal
 * sent to the process is handled by a thread that does not block it. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

static pthread_t main_thread, worker_thread;
static volatile pthread_t usr1_ran_in, usr2_ran_in;
static volatile sig_atomic_t usr1_count, usr2_count;
static volatile int step; /* main and the worker take turns */

static void on_usr1(int sig) {
    (void)sig;
    usr1_ran_in = pthread_self();
    usr1_count++;
}

static void on_usr2(int sig) {
    (void)sig;
    usr2_ran_in = pthread_self();
    usr2_count++;
}

static void wait_step(int want) {
    while (__atomic_load_n(&step, __ATOMIC_SEQ_CST) != want)
        usleep(1000);
}

static void set_step(int value) {
    __atomic_store_n(&step, value, __ATOMIC_SEQ_CST);
}

static const char *who(pthread_t t) {
    return pthread_equal(t, main_thread) ? "main" : pthread_equal(t, worker_thread) ? "worker" : "?";
}

static void *worker(void *arg) {
    (void)arg;
    sigset_t now, usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    MUST(pthread_sigmask(SIG_BLOCK, NULL, &now) == 0);
    printf("worker: starts with SIGUSR2 blocked (its creator's mask): %d\n",
           sigismember(&now, SIGUSR2));
    set_step(1);
    wait_step(2); /* main unblocked SIGUSR2 in itself and sent us SIGUSR2 */
    sigset_t pending;
    sigemptyset(&pending);
    MUST(sigpending(&pending) == 0);
    printf("worker: SIGUSR2 pending for it: %d, handled yet: %d\n",
           sigismember(&pending, SIGUSR2), (int)usr2_count);
    MUST(pthread_sigmask(SIG_UNBLOCK, &usr2, NULL) == 0);
    printf("worker: after unblocking, handled %d time(s), in %s\n", (int)usr2_count,
           who(usr2_ran_in));
    set_step(3);
    /* Wait for a pthread_kill(SIGUSR1), making syscalls as it waits. */
    while (usr1_count < 2)
        usleep(1000);
    wait_step(4); /* main has printed its line */
    printf("worker: SIGUSR1 from pthread_kill handled in %s\n", who(usr1_ran_in));
    return NULL;
}

int main(void) {
    main_thread = pthread_self();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_usr1;
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
    sa.sa_handler = on_usr2;
    MUST(sigaction(SIGUSR2, &sa, NULL) == 0);

    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    MUST(pthread_sigmask(SIG_BLOCK, &usr2, NULL) == 0);
    MUST(pthread_create(&worker_thread, NULL, worker, NULL) == 0);
    wait_step(1);
    MUST(pthread_sigmask(SIG_UNBLOCK, &usr2, NULL) == 0);
    CHECK_ERRNO(pthread_kill(worker_thread, SIGUSR2));
    usleep(20 * 1000);
    sigset_t pending;
    sigemptyset(&pending);
    MUST(sigpending(&pending) == 0);
    printf("main: the worker's SIGUSR2 shows in main's sigpending: %d, handled %d\n",
           sigismember(&pending, SIGUSR2), (int)usr2_count);
    set_step(2);
    wait_step(3);

    /* To the process: main does not block it, so main may take it. */
    CHECK(kill(getpid(), SIGUSR1));
    printf("main: kill(getpid(), SIGUSR1) handled in %s\n", who(usr1_ran_in));
    CHECK_ERRNO(pthread_kill(worker_thread, SIGUSR1));
    set_step(4);
    CHECK_ERRNO(pthread_join(worker_thread, NULL));
    return 0;
}
