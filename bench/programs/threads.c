/*
 * Threads: the cost of pthread_create + pthread_join, and of a mutex
 * ping-pong between two threads.
 *
 *   threads create N     print create_us <us per create + join>
 *   threads pingpong N   print pingpong_us <us per round trip>
 *
 * create: N times, start a thread that returns at once and join it.
 * pingpong: two threads take turns through one mutex and two condition
 * variables; one round trip is main -> worker -> main. A few untimed
 * rounds come first. The same source is built with occlum-cc -pthread (run
 * inside PyOcclum) and with gcc -O2 -pthread (run on Linux).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WARMUP 3

static int64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *nothing(void *arg) {
    return arg;
}

static void create_join(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0) {
        fprintf(stderr, "pthread_create/join failed\n");
        exit(2);
    }
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t to_worker = PTHREAD_COND_INITIALIZER;
static pthread_cond_t to_main = PTHREAD_COND_INITIALIZER;
static int turn; /* 0: main's, 1: the worker's, 2: stop */

static void *worker(void *arg) {
    (void)arg;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (turn == 0)
            pthread_cond_wait(&to_worker, &lock);
        if (turn == 2)
            break;
        turn = 0;
        pthread_cond_signal(&to_main);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void round_trip(void) {
    pthread_mutex_lock(&lock);
    turn = 1;
    pthread_cond_signal(&to_worker);
    while (turn != 0)
        pthread_cond_wait(&to_main, &lock);
    pthread_mutex_unlock(&lock);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: threads create|pingpong N\n");
        return 2;
    }
    long n = atol(argv[2]);
    if (strcmp(argv[1], "create") == 0) {
        for (int i = 0; i < WARMUP; i++)
            create_join();
        int64_t start = now_ns();
        for (long i = 0; i < n; i++)
            create_join();
        printf("create_us %.3f\n", (now_ns() - start) / 1e3 / n);
        return 0;
    }
    if (strcmp(argv[1], "pingpong") == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, worker, NULL) != 0)
            return 2;
        for (int i = 0; i < WARMUP; i++)
            round_trip();
        int64_t start = now_ns();
        for (long i = 0; i < n; i++)
            round_trip();
        double us = (now_ns() - start) / 1e3 / n;
        pthread_mutex_lock(&lock);
        turn = 2;
        pthread_cond_signal(&to_worker);
        pthread_mutex_unlock(&lock);
        pthread_join(t, NULL);
        printf("pingpong_us %.3f\n", us);
        return 0;
    }
    fprintf(stderr, "unknown mode %s\n", argv[1]);
    return 2;
}
