/* Signals during waits in one thread: a handler's sem_post ends a sem_wait
 * restarted under SA_RESTART; without SA_RESTART sem_wait fails with EINTR
 * (the post stays counted); a timed mutex lock and a timed condvar wait go
 * on after the handler. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

static sem_t sem;
static volatile sig_atomic_t handled;

static void on_alarm(int sig) {
    (void)sig;
    handled++;
    sem_post(&sem); /* async-signal-safe */
}

static struct timespec in_ms(long ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

int main(void) {
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGALRM, &sa, NULL) == 0);
    MUST(sem_init(&sem, 0, 0) == 0);

    alarm(1);
    CHECK(sem_wait(&sem));
    int v = -1;
    sem_getvalue(&sem, &v);
    printf("handled %d, value %d\n", (int)handled, v);
    CHECK(sem_trywait(&sem));

    /* Without SA_RESTART: EINTR, and the handler's post is there. */
    sa.sa_flags = 0;
    MUST(sigaction(SIGALRM, &sa, NULL) == 0);
    alarm(1);
    CHECK(sem_wait(&sem));
    sem_getvalue(&sem, &v);
    printf("handled %d, value %d\n", (int)handled, v);
    CHECK(sem_trywait(&sem));

    /* The lock waits on through the handler until its deadline. */
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    MUST(pthread_mutex_lock(&m) == 0);
    alarm(1);
    struct timespec at = in_ms(1500);
    CHECK_ERRNO(pthread_mutex_timedlock(&m, &at));
    printf("handled %d\n", (int)handled);

    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    alarm(1);
    at = in_ms(1500);
    int r;
    /* A handler may wake a condvar wait spuriously: wait until the deadline. */
    while ((r = pthread_cond_timedwait(&c, &m, &at)) == 0)
        ;
    printf("pthread_cond_timedwait = %s, handled %d\n", errname(r), (int)handled);
    CHECK_ERRNO(pthread_mutex_unlock(&m));
    return 0;
}
