/*
 * hostile_threads: the thread bomb of tests/hardening/test_hostile_programs.py
 * (issue 16), built with occlum-cc -pthread. Creates threads that wait on a
 * condition variable until pthread_create fails: "threads: N then ENAME";
 * then wakes them and joins them: "joined: N"; then creates one more:
 * "again: ENAME".
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define MAX_THREADS 100000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go = PTHREAD_COND_INITIALIZER;
static int released;

static void *waiter(void *arg) {
    pthread_mutex_lock(&lock);
    while (!released)
        pthread_cond_wait(&go, &lock);
    pthread_mutex_unlock(&lock);
    return arg;
}

static const char *name(int e) {
    return e == 0 ? "OK" : e == EAGAIN ? "EAGAIN" : e == ENOMEM ? "ENOMEM" : "E?";
}

static pthread_t threads[MAX_THREADS];

int main(void) {
    int n = 0, rc = 0;
    while (n < MAX_THREADS && (rc = pthread_create(&threads[n], NULL, waiter, NULL)) == 0)
        n++;
    printf("threads: %d then %s\n", n, name(rc));
    fflush(stdout);
    pthread_mutex_lock(&lock);
    released = 1;
    pthread_cond_broadcast(&go);
    pthread_mutex_unlock(&lock);
    int joined = 0;
    for (int i = 0; i < n; i++)
        joined += pthread_join(threads[i], NULL) == 0;
    printf("joined: %d\n", joined);
    pthread_t one;
    rc = pthread_create(&one, NULL, waiter, NULL);
    printf("again: %s\n", name(rc));
    if (rc == 0)
        pthread_join(one, NULL);
    return 0;
}
