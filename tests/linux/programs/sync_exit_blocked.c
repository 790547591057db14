/* A process whose threads are blocked for ever in sync waits (a mutex, a
 * condvar, a semaphore, a barrier) still ends: by exit() from the main thread
 * (exit status 3), and a signal handler of the main thread runs meanwhile. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER, m2 = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static sem_t s;
static pthread_barrier_t b;
static volatile sig_atomic_t handled;

static void *lock_forever(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    printf("never: got the mutex\n");
    return NULL;
}

static void *cond_forever(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m2);
    for (;;)
        pthread_cond_wait(&c, &m2);
    return NULL;
}

static void *sem_forever(void *arg) {
    (void)arg;
    while (sem_wait(&s) != 0)
        ;
    printf("never: got the semaphore\n");
    return NULL;
}

static void *barrier_forever(void *arg) {
    (void)arg;
    pthread_barrier_wait(&b);
    printf("never: passed the barrier\n");
    return NULL;
}

static void on_usr1(int sig) {
    (void)sig;
    handled = 1;
}

int main(void) {
    MUST(sem_init(&s, 0, 0) == 0);
    MUST(pthread_barrier_init(&b, NULL, 3) == 0);
    MUST(signal(SIGUSR1, on_usr1) != SIG_ERR);
    pthread_mutex_lock(&m);
    pthread_t t[4];
    MUST(pthread_create(&t[0], NULL, lock_forever, NULL) == 0);
    MUST(pthread_create(&t[1], NULL, cond_forever, NULL) == 0);
    MUST(pthread_create(&t[2], NULL, sem_forever, NULL) == 0);
    MUST(pthread_create(&t[3], NULL, barrier_forever, NULL) == 0);
    usleep(200000);
    /* The main thread still runs its signal handlers. */
    MUST(pthread_kill(pthread_self(), SIGUSR1) == 0);
    printf("handled %d\n", (int)handled);
    printf("exiting with threads blocked\n");
    fflush(stdout);
    exit(3);
}
