/* A handler run for a thread blocked in sem_wait (pthread_kill, no
 * SA_RESTART) makes its sem_wait fail with EINTR; a post that comes later
 * stays in the semaphore. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

static sem_t s;
static volatile sig_atomic_t handled;
static int rc, err;
static volatile int started;

static void on_usr1(int sig) {
    (void)sig;
    handled++;
}

static void *sem_waiter(void *arg) {
    (void)arg;
    errno = 0;
    __atomic_store_n(&started, 1, __ATOMIC_SEQ_CST);
    rc = sem_wait(&s);
    err = errno;
    return NULL;
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGUSR1, &sa, NULL) == 0);
    MUST(sem_init(&s, 0, 0) == 0);
    pthread_t t;
    MUST(pthread_create(&t, NULL, sem_waiter, NULL) == 0);
    /* Counted from the waiter's start, not the create: on a loaded machine a new
     * thread may take longer than the wait, and a signal handled before sem_wait
     * interrupts nothing (on Linux too). */
    while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
        usleep(1000);
    usleep(200000);
    MUST(pthread_kill(t, SIGUSR1) == 0);
    for (int i = 0; i < 5000 && !handled; i++) /* the handler has run: the wait is over */
        usleep(1000);
    usleep(100000);
    MUST(sem_post(&s) == 0); /* ends the wait if the signal did not */
    MUST(pthread_join(t, NULL) == 0);
    int v = -1;
    sem_getvalue(&s, &v);
    printf("sem_wait = %d %s, handled %d, value %d\n", rc, errname(err), (int)handled, v);
    return 0;
}
