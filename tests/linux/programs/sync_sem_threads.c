/* Semaphores between threads: a ping-pong of two semaphores, a counting
 * semaphore limiting how many threads are inside at once, sem_timedwait
 * woken by a post before its deadline, and one that times out. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

static sem_t ping, pong, slots, late;
static int rally;

static void *ponger(void *arg) {
    (void)arg;
    for (int i = 0; i < 1000; i++) {
        MUST(sem_wait(&ping) == 0);
        rally++;
        MUST(sem_post(&pong) == 0);
    }
    return NULL;
}

static int inside, most;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

static void *limited(void *arg) {
    (void)arg;
    for (int i = 0; i < 20; i++) {
        MUST(sem_wait(&slots) == 0);
        pthread_mutex_lock(&m);
        if (++inside > most)
            most = inside;
        pthread_mutex_unlock(&m);
        usleep(200);
        pthread_mutex_lock(&m);
        inside--;
        pthread_mutex_unlock(&m);
        MUST(sem_post(&slots) == 0);
    }
    return NULL;
}

static void *poster(void *arg) {
    (void)arg;
    usleep(50000);
    MUST(sem_post(&late) == 0);
    return NULL;
}

int main(void) {
    MUST(sem_init(&ping, 0, 0) == 0 && sem_init(&pong, 0, 0) == 0);
    pthread_t t;
    MUST(pthread_create(&t, NULL, ponger, NULL) == 0);
    for (int i = 0; i < 1000; i++) {
        MUST(sem_post(&ping) == 0);
        MUST(sem_wait(&pong) == 0);
        rally++;
    }
    MUST(pthread_join(t, NULL) == 0);
    printf("rally %d\n", rally);

    MUST(sem_init(&slots, 0, 2) == 0);
    pthread_t l[6];
    for (int i = 0; i < 6; i++)
        MUST(pthread_create(&l[i], NULL, limited, NULL) == 0);
    for (int i = 0; i < 6; i++)
        MUST(pthread_join(l[i], NULL) == 0);
    int v;
    sem_getvalue(&slots, &v);
    printf("at most %d inside (limit 2), value %d\n", most, v);

    MUST(sem_init(&late, 0, 0) == 0);
    struct timespec at;
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_sec += 5;
    MUST(pthread_create(&t, NULL, poster, NULL) == 0);
    CHECK(sem_timedwait(&late, &at));
    MUST(pthread_join(t, NULL) == 0);
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_nsec += 50000000;
    if (at.tv_nsec >= 1000000000) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000;
    }
    CHECK(sem_timedwait(&late, &at));
    for (sem_t *s = &ping; s != NULL; s = s == &ping ? &pong : s == &pong ? &slots : s == &slots ? &late : NULL)
        CHECK(sem_destroy(s));
    return 0;
}
