/* Mutexes in one thread: the three types, trylock, timedlock, the errnos of
 * misuse (EDEADLK, EPERM, EBUSY, EINVAL, ETIMEDOUT), attributes. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <time.h>

static struct timespec in_ms(long ms) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += (ms % 1000) * 1000000L; /* may go below 0 for a negative ms */
    ts.tv_sec += ms / 1000;
    if (ts.tv_nsec < 0) {
        ts.tv_nsec += 1000000000L;
        ts.tv_sec -= 1;
    }
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

static void show_type(const char *what, pthread_mutexattr_t *a) {
    int type = -1;
    CHECK_ERRNO(pthread_mutexattr_gettype(a, &type));
    printf("%s: type %s\n", what,
           type == PTHREAD_MUTEX_NORMAL       ? "NORMAL"
           : type == PTHREAD_MUTEX_RECURSIVE  ? "RECURSIVE"
           : type == PTHREAD_MUTEX_ERRORCHECK ? "ERRORCHECK" : "?");
}

int main(void) {
    pthread_mutexattr_t a;
    CHECK_ERRNO(pthread_mutexattr_init(&a));
    show_type("default", &a);
    printf("DEFAULT == NORMAL: %d\n", PTHREAD_MUTEX_DEFAULT == PTHREAD_MUTEX_NORMAL);
    CHECK_ERRNO(pthread_mutexattr_settype(&a, 12345));
    int pshared = -1;
    CHECK_ERRNO(pthread_mutexattr_getpshared(&a, &pshared));
    printf("pshared %d\n", pshared == PTHREAD_PROCESS_SHARED);
    CHECK_ERRNO(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED));
    CHECK_ERRNO(pthread_mutexattr_getpshared(&a, &pshared));
    printf("pshared %d\n", pshared == PTHREAD_PROCESS_SHARED);
    CHECK_ERRNO(pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_PRIVATE));

    /* The static initializer: a NORMAL mutex. */
    pthread_mutex_t st = PTHREAD_MUTEX_INITIALIZER;
    CHECK_ERRNO(pthread_mutex_lock(&st));
    CHECK_ERRNO(pthread_mutex_trylock(&st));
    struct timespec past = in_ms(-10);
    CHECK_ERRNO(pthread_mutex_timedlock(&st, &past));
    struct timespec soon = in_ms(50);
    CHECK_ERRNO(pthread_mutex_timedlock(&st, &soon));
    struct timespec bad = soon;
    bad.tv_nsec = 1000000000L;
    CHECK_ERRNO(pthread_mutex_timedlock(&st, &bad));
    bad.tv_nsec = -1;
    CHECK_ERRNO(pthread_mutex_timedlock(&st, &bad));
    CHECK_ERRNO(pthread_mutex_destroy(&st));
    CHECK_ERRNO(pthread_mutex_unlock(&st));
    CHECK_ERRNO(pthread_mutex_trylock(&st));
    CHECK_ERRNO(pthread_mutex_unlock(&st));
    /* An uncontended timed lock does not look at the timespec. */
    CHECK_ERRNO(pthread_mutex_timedlock(&st, &bad));
    CHECK_ERRNO(pthread_mutex_unlock(&st));
    CHECK_ERRNO(pthread_mutex_destroy(&st));

    /* ERRORCHECK: relock EDEADLK, foreign unlock EPERM. */
    pthread_mutex_t ec;
    CHECK_ERRNO(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK));
    show_type("set", &a);
    CHECK_ERRNO(pthread_mutex_init(&ec, &a));
    CHECK_ERRNO(pthread_mutex_unlock(&ec));
    CHECK_ERRNO(pthread_mutex_lock(&ec));
    CHECK_ERRNO(pthread_mutex_lock(&ec));
    CHECK_ERRNO(pthread_mutex_trylock(&ec));
    soon = in_ms(20);
    CHECK_ERRNO(pthread_mutex_timedlock(&ec, &soon));
    CHECK_ERRNO(pthread_mutex_unlock(&ec));
    CHECK_ERRNO(pthread_mutex_unlock(&ec));
    CHECK_ERRNO(pthread_mutex_destroy(&ec));

    /* RECURSIVE: counted, released by as many unlocks. */
    pthread_mutex_t rec;
    CHECK_ERRNO(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE));
    show_type("set", &a);
    CHECK_ERRNO(pthread_mutex_init(&rec, &a));
    CHECK_ERRNO(pthread_mutex_unlock(&rec));
    CHECK_ERRNO(pthread_mutex_lock(&rec));
    CHECK_ERRNO(pthread_mutex_lock(&rec));
    CHECK_ERRNO(pthread_mutex_trylock(&rec));
    soon = in_ms(20);
    CHECK_ERRNO(pthread_mutex_timedlock(&rec, &soon));
    for (int i = 0; i < 4; i++)
        CHECK_ERRNO(pthread_mutex_unlock(&rec));
    CHECK_ERRNO(pthread_mutex_unlock(&rec));
    CHECK_ERRNO(pthread_mutex_destroy(&rec));

    /* An explicitly NORMAL one, initialised twice. */
    pthread_mutex_t nm;
    CHECK_ERRNO(pthread_mutexattr_settype(&a, PTHREAD_MUTEX_NORMAL));
    CHECK_ERRNO(pthread_mutex_init(&nm, &a));
    CHECK_ERRNO(pthread_mutex_init(&nm, NULL));
    CHECK_ERRNO(pthread_mutex_lock(&nm));
    CHECK_ERRNO(pthread_mutex_trylock(&nm));
    CHECK_ERRNO(pthread_mutex_unlock(&nm));
    CHECK_ERRNO(pthread_mutex_destroy(&nm));
    CHECK_ERRNO(pthread_mutexattr_destroy(&a));
    return 0;
}
