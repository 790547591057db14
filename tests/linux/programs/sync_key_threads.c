/* Thread-specific data and pthread_once across threads: each thread sees
 * its own values, destructors run at thread exit (return and pthread_exit)
 * for non-NULL values only, a destructor that sets a value again gets more
 * rounds, and a once routine called from many threads runs once while the
 * others wait for it to finish. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <unistd.h>

static pthread_key_t k1, k2, k3;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int dtor1_calls, dtor2_calls, dtor3_calls, wrong;

static void dtor1(void *v) {
    pthread_mutex_lock(&m);
    dtor1_calls++;
    pthread_mutex_unlock(&m);
    free(v);
}

static void dtor2(void *v) {
    (void)v;
    pthread_mutex_lock(&m);
    dtor2_calls++;
    pthread_mutex_unlock(&m);
}

/* Sets its value again twice: three rounds in all. */
static void dtor3(void *v) {
    long n = (long)v;
    pthread_mutex_lock(&m);
    dtor3_calls++;
    pthread_mutex_unlock(&m);
    if (n < 3)
        pthread_setspecific(k3, (void *)(n + 1));
}

static void *worker(void *arg) {
    long me = (long)arg;
    long *mine = malloc(sizeof *mine);
    MUST(mine != NULL);
    *mine = me;
    MUST(pthread_setspecific(k1, mine) == 0);
    if (me % 2 == 0)
        MUST(pthread_setspecific(k2, (void *)1) == 0); /* odd threads leave it NULL */
    MUST(pthread_setspecific(k3, (void *)1) == 0);
    usleep(10000);
    long *back = pthread_getspecific(k1);
    if (back != mine || *back != me)
        wrong++;
    if (me == 3)
        pthread_exit(NULL); /* destructors run here too */
    return NULL;
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs, saw_done;
static volatile int once_done;

static void slow_init(void) {
    usleep(50000);
    once_runs++;
    once_done = 1;
}

static void *onceer(void *arg) {
    (void)arg;
    MUST(pthread_once(&once, slow_init) == 0);
    pthread_mutex_lock(&m);
    saw_done += once_done;
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void) {
    MUST(pthread_key_create(&k1, dtor1) == 0);
    MUST(pthread_key_create(&k2, dtor2) == 0);
    MUST(pthread_key_create(&k3, dtor3) == 0);
    MUST(pthread_setspecific(k1, NULL) == 0);
    pthread_t t[4];
    for (long i = 0; i < 4; i++)
        MUST(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
    for (int i = 0; i < 4; i++)
        MUST(pthread_join(t[i], NULL) == 0);
    printf("wrong %d, dtor1 %d, dtor2 %d, dtor3 %d\n", wrong, dtor1_calls, dtor2_calls,
           dtor3_calls);
    printf("main's k1 still NULL: %d\n", pthread_getspecific(k1) == NULL);

    for (int i = 0; i < 4; i++)
        MUST(pthread_create(&t[i], NULL, onceer, NULL) == 0);
    for (int i = 0; i < 4; i++)
        MUST(pthread_join(t[i], NULL) == 0);
    printf("once ran %d time(s), %d threads saw it done\n", once_runs, saw_done);
    return 0;
}
