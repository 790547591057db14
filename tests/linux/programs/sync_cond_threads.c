/* Condition variables between threads: a bounded queue with two producers
 * and two consumers (every item consumed once), broadcast waking every
 * waiter, signal waking one at a time, a timed wait woken before its
 * deadline, and a CLOCK_MONOTONIC condvar. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#define ITEMS 2000
#define SLOTS 4

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static int queue[SLOTS], head, count, done_producers;
static long sum[2];
static int consumed[2];

static void *producer(void *arg) {
    int base = (int)(long)arg;
    for (int i = 1; i <= ITEMS; i++) {
        pthread_mutex_lock(&m);
        while (count == SLOTS)
            pthread_cond_wait(&not_full, &m);
        queue[(head + count++) % SLOTS] = base + i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&m);
    }
    pthread_mutex_lock(&m);
    done_producers++;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *consumer(void *arg) {
    int me = (int)(long)arg;
    for (;;) {
        pthread_mutex_lock(&m);
        while (count == 0 && done_producers < 2)
            pthread_cond_wait(&not_empty, &m);
        if (count == 0) {
            pthread_mutex_unlock(&m);
            return NULL;
        }
        int v = queue[head];
        head = (head + 1) % SLOTS;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&m);
        sum[me] += v;
        consumed[me]++;
    }
}

static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int started, generation, woken;

static void *waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    int gen = generation;
    started++;
    while (generation == gen)
        pthread_cond_wait(&go, &m);
    woken++;
    pthread_mutex_unlock(&m);
    return NULL;
}

static int tokens;

static void *token_waiter(void *arg) {
    (void)arg;
    pthread_mutex_lock(&m);
    started++;
    while (tokens == 0)
        pthread_cond_wait(&go, &m);
    tokens--;
    woken++;
    pthread_mutex_unlock(&m);
    return NULL;
}

static void wait_started(int n) {
    for (;;) {
        pthread_mutex_lock(&m);
        int s = started;
        pthread_mutex_unlock(&m);
        if (s == n)
            return;
        usleep(1000);
    }
}

static pthread_cond_t mono;
static int flag;

static void *setter(void *arg) {
    (void)arg;
    usleep(50000);
    pthread_mutex_lock(&m);
    flag = 1;
    pthread_cond_signal(&mono);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void) {
    pthread_t p[2], c[2], w[5];
    for (long i = 0; i < 2; i++) {
        MUST(pthread_create(&p[i], NULL, producer, (void *)(i * 100000)) == 0);
        MUST(pthread_create(&c[i], NULL, consumer, (void *)i) == 0);
    }
    for (int i = 0; i < 2; i++) {
        MUST(pthread_join(p[i], NULL) == 0);
        MUST(pthread_join(c[i], NULL) == 0);
    }
    long expect = 0;
    for (int i = 1; i <= ITEMS; i++)
        expect += i + (100000 + i);
    printf("consumed %d items, sum ok %d, left %d\n", consumed[0] + consumed[1],
           sum[0] + sum[1] == expect, count);

    /* Broadcast wakes all five. */
    for (int i = 0; i < 5; i++)
        MUST(pthread_create(&w[i], NULL, waiter, NULL) == 0);
    wait_started(5);
    pthread_mutex_lock(&m);
    generation++;
    CHECK_ERRNO(pthread_cond_broadcast(&go));
    pthread_mutex_unlock(&m);
    for (int i = 0; i < 5; i++)
        MUST(pthread_join(w[i], NULL) == 0);
    printf("broadcast woke %d\n", woken);

    /* Signals, one token each. */
    started = woken = 0;
    for (int i = 0; i < 3; i++)
        MUST(pthread_create(&w[i], NULL, token_waiter, NULL) == 0);
    wait_started(3);
    for (int i = 0; i < 3; i++) {
        pthread_mutex_lock(&m);
        tokens++;
        CHECK_ERRNO(pthread_cond_signal(&go));
        pthread_mutex_unlock(&m);
    }
    for (int i = 0; i < 3; i++)
        MUST(pthread_join(w[i], NULL) == 0);
    printf("signals woke %d, tokens left %d\n", woken, tokens);

    /* A CLOCK_MONOTONIC timed wait, signalled after 50 ms of a 5 s deadline. */
    pthread_condattr_t ca;
    MUST(pthread_condattr_init(&ca) == 0);
    MUST(pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0);
    MUST(pthread_cond_init(&mono, &ca) == 0);
    struct timespec at, t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    at = t0;
    at.tv_sec += 5;
    pthread_t s;
    MUST(pthread_create(&s, NULL, setter, NULL) == 0);
    pthread_mutex_lock(&m);
    int r = 0;
    while (!flag && r == 0)
        r = pthread_cond_timedwait(&mono, &m, &at);
    pthread_mutex_unlock(&m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("timedwait = %s, flag %d, early %d\n", errname(r), flag, t1.tv_sec < at.tv_sec);
    MUST(pthread_join(s, NULL) == 0);
    CHECK_ERRNO(pthread_cond_destroy(&mono));
    return 0;
}
