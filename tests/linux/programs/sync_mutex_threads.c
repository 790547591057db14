/* Mutexes between threads: counters under contention (normal, recursive,
 * errorcheck, spinlock), trylock and timedlock against a holder in another
 * thread, EPERM for unlocking another thread's mutex, a blocked locker
 * getting the mutex when it is released. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define THREADS 4
#define ROUNDS 5000

static pthread_mutex_t m;
static pthread_spinlock_t spin;
static long counter;
static int use_spin;

static void *work(void *arg) {
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
        if (use_spin) {
            pthread_spin_lock(&spin);
            counter++;
            pthread_spin_unlock(&spin);
        } else {
            MUST(pthread_mutex_lock(&m) == 0);
            if (i % 2 == 0 && pthread_mutex_trylock(&m) == 0) /* recursive only */
                pthread_mutex_unlock(&m);
            counter++;
            MUST(pthread_mutex_unlock(&m) == 0);
        }
    }
    return NULL;
}

static void run(const char *what) {
    pthread_t t[THREADS];
    counter = 0;
    for (int i = 0; i < THREADS; i++)
        MUST(pthread_create(&t[i], NULL, work, NULL) == 0);
    for (int i = 0; i < THREADS; i++)
        MUST(pthread_join(t[i], NULL) == 0);
    printf("%s: counter %ld of %d\n", what, counter, THREADS * ROUNDS);
}

static void contended(int type, const char *what) {
    pthread_mutexattr_t a;
    MUST(pthread_mutexattr_init(&a) == 0);
    MUST(pthread_mutexattr_settype(&a, type) == 0);
    MUST(pthread_mutex_init(&m, &a) == 0);
    run(what);
    CHECK_ERRNO(pthread_mutex_destroy(&m));
}

static struct timespec in_ms(long ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

/* Run against a mutex the main thread holds. */
static void *against_holder(void *arg) {
    (void)arg;
    CHECK_ERRNO(pthread_mutex_trylock(&m));
    CHECK_ERRNO(pthread_mutex_unlock(&m));
    struct timespec at = in_ms(50);
    CHECK_ERRNO(pthread_mutex_timedlock(&m, &at));
    at.tv_nsec = 1000000000L;
    CHECK_ERRNO(pthread_mutex_timedlock(&m, &at));
    return NULL;
}

static volatile int got_it;
static int locker_rc[2];

/* Prints nothing: its results are printed by main after the join. */
static void *blocked_locker(void *arg) {
    (void)arg;
    locker_rc[0] = pthread_mutex_lock(&m);
    got_it = 1;
    locker_rc[1] = pthread_mutex_unlock(&m);
    return NULL;
}

int main(void) {
    contended(PTHREAD_MUTEX_NORMAL, "normal");
    contended(PTHREAD_MUTEX_RECURSIVE, "recursive");
    contended(PTHREAD_MUTEX_ERRORCHECK, "errorcheck");
    MUST(pthread_spin_init(&spin, PTHREAD_PROCESS_PRIVATE) == 0);
    use_spin = 1;
    run("spinlock");
    use_spin = 0;

    pthread_mutexattr_t a;
    MUST(pthread_mutexattr_init(&a) == 0);
    MUST(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK) == 0);
    MUST(pthread_mutex_init(&m, &a) == 0);
    CHECK_ERRNO(pthread_mutex_lock(&m));
    pthread_t t;
    MUST(pthread_create(&t, NULL, against_holder, NULL) == 0);
    MUST(pthread_join(t, NULL) == 0);

    /* A thread blocked in lock gets the mutex once it is released. */
    MUST(pthread_create(&t, NULL, blocked_locker, NULL) == 0);
    usleep(100000);
    printf("before unlock: got_it %d\n", got_it);
    CHECK_ERRNO(pthread_mutex_unlock(&m));
    MUST(pthread_join(t, NULL) == 0);
    printf("after join: got_it %d, lock %s, unlock %s\n", got_it, errname(locker_rc[0]),
           errname(locker_rc[1]));
    CHECK_ERRNO(pthread_mutex_destroy(&m));
    return 0;
}
