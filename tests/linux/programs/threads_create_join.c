/* pthread_create/join/detach/exit/self/equal: arguments and results, many
 * threads, joining in any order, detached threads, pthread_exit's value,
 * and the errnos of misuse (EDEADLK on joining oneself, EINVAL on detaching
 * twice, ESRCH-free pthread_kill(t, 0) on a live thread). */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#define N 8

static pthread_t main_thread;
static int ran[N];

static void *square(void *arg) {
    long n = (long)arg;
    ran[n] = 1;
    return (void *)(n * n);
}

static void *exits_early(void *arg) {
    (void)arg;
    pthread_exit((void *)42);
    return (void *)1; /* never */
}

static void *who_am_i(void *arg) {
    pthread_t *out = arg;
    *out = pthread_self();
    return (void *)(long)(pthread_equal(pthread_self(), main_thread) ? 1 : 2);
}

static void *join_self(void *arg) {
    (void)arg;
    return (void *)(long)pthread_join(pthread_self(), NULL);
}

static volatile int detached_done;
static void *detached(void *arg) {
    (void)arg;
    __atomic_store_n(&detached_done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
static void *waits_for_gate(void *arg) {
    (void)arg;
    pthread_mutex_lock(&gate);
    pthread_mutex_unlock(&gate);
    return (void *)7;
}

int main(void) {
    main_thread = pthread_self();
    printf("self == self: %d\n", pthread_equal(pthread_self(), pthread_self()) != 0);

    pthread_t t[N];
    for (long i = 0; i < N; i++)
        MUST(pthread_create(&t[i], NULL, square, (void *)i) == 0);
    /* Join in reverse order. */
    long sum = 0;
    for (int i = N - 1; i >= 0; i--) {
        void *r = NULL;
        CHECK_ERRNO(pthread_join(t[i], &r));
        sum += (long)r;
    }
    int all = 1;
    for (int i = 0; i < N; i++)
        all &= ran[i];
    printf("sum of squares %ld, all ran %d\n", sum, all);

    pthread_t e;
    void *r = NULL;
    CHECK_ERRNO(pthread_create(&e, NULL, exits_early, NULL));
    CHECK_ERRNO(pthread_join(e, &r));
    printf("pthread_exit value %ld\n", (long)r);

    pthread_t w, seen;
    CHECK_ERRNO(pthread_create(&w, NULL, who_am_i, &seen));
    CHECK_ERRNO(pthread_join(w, &r));
    printf("thread is not main: %ld, its self is its id: %d\n", (long)r,
           pthread_equal(seen, w) != 0);

    CHECK_ERRNO(pthread_create(&w, NULL, join_self, NULL));
    CHECK_ERRNO(pthread_join(w, &r));
    printf("joining oneself: %s\n", errname((int)(long)r));

    /* A thread still running: kill(t, 0) finds it; detach it; detach again. */
    pthread_mutex_lock(&gate);
    CHECK_ERRNO(pthread_create(&w, NULL, waits_for_gate, NULL));
    CHECK_ERRNO(pthread_kill(w, 0));
    CHECK_ERRNO(pthread_detach(w));
    pthread_mutex_unlock(&gate);

    /* A detached thread runs to its end on its own. */
    pthread_attr_t a;
    CHECK_ERRNO(pthread_attr_init(&a));
    CHECK_ERRNO(pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED));
    int state = -1;
    CHECK_ERRNO(pthread_attr_getdetachstate(&a, &state));
    printf("detach state DETACHED: %d\n", state == PTHREAD_CREATE_DETACHED);
    CHECK_ERRNO(pthread_create(&w, &a, detached, NULL));
    CHECK_ERRNO(pthread_attr_destroy(&a));
    while (!__atomic_load_n(&detached_done, __ATOMIC_SEQ_CST))
        usleep(1000);
    printf("detached thread ran\n");

    /* Many create/join rounds reuse the freed stacks. */
    long total = 0;
    for (long i = 0; i < 200; i++) {
        pthread_t x;
        MUST(pthread_create(&x, NULL, square, (void *)(i % N)) == 0);
        MUST(pthread_join(x, &r) == 0);
        total += (long)r;
    }
    printf("200 rounds: %ld\n", total);
    return 0;
}
