/* POSIX semaphores in one thread: unnamed (counts, trywait's EAGAIN, timed
 * waits, EINVAL for bad values and timespecs, EOVERFLOW at SEM_VALUE_MAX) and
 * named ones (O_CREAT, O_EXCL, ENOENT, sharing by name, unlink). */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <time.h>
#include <unistd.h>

static struct timespec in_ms(long ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L;
    ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static void show(sem_t *s) {
    int v = -1;
    MUST(sem_getvalue(s, &v) == 0);
    printf("value %d\n", v);
}

int main(void) {
    sem_t s;
    printf("SEM_VALUE_MAX %ld\n", (long)SEM_VALUE_MAX);
    CHECK(sem_init(&s, 0, (unsigned)SEM_VALUE_MAX + 1));
    CHECK(sem_init(&s, 0, 2));
    show(&s);
    CHECK(sem_wait(&s));
    CHECK(sem_trywait(&s));
    CHECK(sem_trywait(&s));
    show(&s);
    struct timespec at = in_ms(50);
    CHECK(sem_timedwait(&s, &at));
    at.tv_sec = 0;
    at.tv_nsec = 0;
    CHECK(sem_timedwait(&s, &at));
    at.tv_nsec = 1000000000L;
    CHECK(sem_timedwait(&s, &at));
    CHECK(sem_post(&s));
    /* glibc checks the timespec before the value. */
    CHECK(sem_timedwait(&s, &at));
    at = in_ms(50);
    CHECK(sem_timedwait(&s, &at));
    for (int i = 0; i < 3; i++)
        CHECK(sem_post(&s));
    show(&s);
    CHECK(sem_destroy(&s));

    CHECK(sem_init(&s, 1, SEM_VALUE_MAX));
    show(&s);
    CHECK(sem_post(&s));
    CHECK(sem_trywait(&s));
    CHECK(sem_post(&s));
    CHECK(sem_destroy(&s));

    /* Named semaphores: a name of this run's own. */
    char name[64];
    snprintf(name, sizeof name, "/lt-sync-sem-%ld", (long)getpid());
    sem_unlink(name);
    CHECK_OK(sem_open(name, 0) == SEM_FAILED ? -1 : 0);
    sem_t *a = sem_open(name, O_CREAT | O_EXCL, 0600, 1);
    MUST(a != SEM_FAILED);
    CHECK_OK(sem_open(name, O_CREAT | O_EXCL, 0600, 1) == SEM_FAILED ? -1 : 0);
    sem_t *b = sem_open(name, O_CREAT, 0600, 5); /* exists: the value is ignored */
    MUST(b != SEM_FAILED);
    show(b);
    CHECK(sem_wait(a));
    CHECK(sem_trywait(b));
    CHECK(sem_post(b));
    show(a);
    CHECK(sem_close(b));
    CHECK(sem_unlink(name));
    CHECK(sem_unlink(name));
    CHECK_OK(sem_open(name, 0) == SEM_FAILED ? -1 : 0);
    /* Still usable until closed. */
    CHECK(sem_trywait(a));
    CHECK(sem_close(a));
    sem_t *c = sem_open(name, O_CREAT, 0600, 0);
    MUST(c != SEM_FAILED);
    show(c);
    CHECK(sem_close(c));
    CHECK(sem_unlink(name));
    CHECK_OK(sem_open(name, O_CREAT, 0600, (unsigned)SEM_VALUE_MAX + 1) == SEM_FAILED ? -1 : 0);
    return 0;
}
