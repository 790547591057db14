/* Barriers between threads: rounds in which every thread sees every other's
 * work of the round before, exactly one PTHREAD_BARRIER_SERIAL_THREAD per
 * round; a barrier reused with another count; destroy after the last round. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>

#define THREADS 4
#define ROUNDS 50

static pthread_barrier_t b;
static int work[THREADS];
static int serial[ROUNDS], bad;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *run(void *arg) {
    int me = (int)(long)arg;
    for (int r = 0; r < ROUNDS; r++) {
        __atomic_store_n(&work[me], r + 1, __ATOMIC_RELAXED);
        int rc = pthread_barrier_wait(&b);
        if (rc == PTHREAD_BARRIER_SERIAL_THREAD) {
            pthread_mutex_lock(&m);
            serial[r]++;
            pthread_mutex_unlock(&m);
        } else if (rc != 0) {
            bad++;
        }
        for (int i = 0; i < THREADS; i++) {
            int w = __atomic_load_n(&work[i], __ATOMIC_RELAXED);
            if (w != r + 1 && w != r + 2) {
                pthread_mutex_lock(&m);
                bad++;
                pthread_mutex_unlock(&m);
            }
        }
        /* Nobody starts round r+1 until everyone checked round r. */
        pthread_barrier_wait(&b);
    }
    return NULL;
}

int main(void) {
    CHECK_ERRNO(pthread_barrier_init(&b, NULL, THREADS));
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        MUST(pthread_create(&t[i], NULL, run, (void *)i) == 0);
    for (int i = 0; i < THREADS; i++)
        MUST(pthread_join(t[i], NULL) == 0);
    int once = 0;
    for (int r = 0; r < ROUNDS; r++)
        once += serial[r] == 1;
    printf("%d rounds with one serial thread, %d bad observations\n", once, bad);
    CHECK_ERRNO(pthread_barrier_destroy(&b));

    /* Reused with two threads: main and one helper. */
    CHECK_ERRNO(pthread_barrier_init(&b, NULL, 2));
    pthread_t h;
    MUST(pthread_create(&h, NULL, (void *(*)(void *))pthread_barrier_wait, &b) == 0);
    int rc = pthread_barrier_wait(&b);
    void *hr;
    MUST(pthread_join(h, &hr) == 0);
    printf("serial threads: %d\n", (rc == PTHREAD_BARRIER_SERIAL_THREAD) +
                                       ((int)(long)hr == PTHREAD_BARRIER_SERIAL_THREAD));
    CHECK_ERRNO(pthread_barrier_destroy(&b));
    return 0;
}
