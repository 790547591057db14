/* Signals while threads are blocked in sync waits: with SA_RESTART a
 * thread's sem_wait goes on until a post, and a thread blocked in
 * pthread_mutex_lock still gets the mutex after a handler ran
 * (sync_signal_thread_eintr.c: the EINTR case). */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

static sem_t s;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t handled;
static int rc, err, started;

/* A fixed sleep from pthread_create is too short on a loaded machine: wait for
 * the thread to be about to block, give it time to block, and wait for the
 * handler to have run before ending the wait. */
static void settle(void) {
    while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
        usleep(1000);
    usleep(200000);
}

static void until_handled(int n) {
    for (int i = 0; i < 5000 && handled < n; i++)
        usleep(1000);
}

static void on_usr1(int sig) {
    (void)sig;
    handled++;
}

static void set_handler(int flags) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
}

static void *sem_waiter(void *arg) {
    (void)arg;
    errno = 0;
    __atomic_store_n(&started, 1, __ATOMIC_SEQ_CST);
    rc = sem_wait(&s);
    err = errno;
    return NULL;
}

static void *locker(void *arg) {
    (void)arg;
    __atomic_store_n(&started, 1, __ATOMIC_SEQ_CST);
    rc = pthread_mutex_lock(&m);
    if (rc == 0)
        pthread_mutex_unlock(&m);
    return NULL;
}

int main(void) {
    MUST(sem_init(&s, 0, 0) == 0);
    pthread_t t;

    set_handler(SA_RESTART);
    MUST(pthread_create(&t, NULL, sem_waiter, NULL) == 0);
    settle();
    MUST(pthread_kill(t, SIGUSR1) == 0);
    until_handled(1);
    MUST(sem_post(&s) == 0);
    MUST(pthread_join(t, NULL) == 0);
    printf("SA_RESTART: sem_wait = %d %s, handled %d\n", rc, errname(err), (int)handled);

    set_handler(0);
    MUST(pthread_mutex_lock(&m) == 0);
    __atomic_store_n(&started, 0, __ATOMIC_SEQ_CST);
    MUST(pthread_create(&t, NULL, locker, NULL) == 0);
    settle();
    MUST(pthread_kill(t, SIGUSR1) == 0);
    until_handled(2);
    MUST(pthread_mutex_unlock(&m) == 0);
    MUST(pthread_join(t, NULL) == 0);
    printf("mutex: lock = %s, handled %d\n", errname(rc), (int)handled);
    return 0;
}
