/* Read-write locks between threads: readers hold the lock together, a writer
 * excludes readers and writers, try forms fail with EBUSY against another
 * thread's lock, a timed write lock times out while readers hold it, and a
 * blocked writer gets the lock when the readers leave. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <time.h>
#include <unistd.h>

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static pthread_barrier_t all_in;
static int readers_in, writers_in, bad;
static long shared_value;

static void *reader(void *arg) {
    (void)arg;
    MUST(pthread_rwlock_rdlock(&rw) == 0);
    __atomic_add_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
    pthread_barrier_wait(&all_in); /* all readers hold it at once */
    __atomic_sub_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
    MUST(pthread_rwlock_unlock(&rw) == 0);
    return NULL;
}

static void *mixed(void *arg) {
    long me = (long)arg;
    for (int i = 0; i < 2000; i++) {
        if ((i + me) % 4 == 0) {
            MUST(pthread_rwlock_wrlock(&rw) == 0);
            if (__atomic_add_fetch(&writers_in, 1, __ATOMIC_SEQ_CST) != 1 ||
                __atomic_load_n(&readers_in, __ATOMIC_SEQ_CST) != 0)
                __atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
            shared_value++;
            __atomic_sub_fetch(&writers_in, 1, __ATOMIC_SEQ_CST);
        } else {
            MUST(pthread_rwlock_rdlock(&rw) == 0);
            __atomic_add_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
            if (__atomic_load_n(&writers_in, __ATOMIC_SEQ_CST) != 0)
                __atomic_add_fetch(&bad, 1, __ATOMIC_SEQ_CST);
            __atomic_sub_fetch(&readers_in, 1, __ATOMIC_SEQ_CST);
        }
        MUST(pthread_rwlock_unlock(&rw) == 0);
    }
    return NULL;
}

static void *try_against_reader(void *arg) {
    (void)arg;
    CHECK_ERRNO(pthread_rwlock_tryrdlock(&rw));
    CHECK_ERRNO(pthread_rwlock_unlock(&rw));
    CHECK_ERRNO(pthread_rwlock_trywrlock(&rw));
    struct timespec at;
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_nsec += 50000000;
    if (at.tv_nsec >= 1000000000) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000;
    }
    CHECK_ERRNO(pthread_rwlock_timedwrlock(&rw, &at));
    return NULL;
}

static void *try_against_writer(void *arg) {
    (void)arg;
    CHECK_ERRNO(pthread_rwlock_tryrdlock(&rw));
    CHECK_ERRNO(pthread_rwlock_trywrlock(&rw));
    return NULL;
}

static volatile int writer_done;
static int writer_rc[2];

/* Prints nothing: its results are printed by main after the join. */
static void *blocked_writer(void *arg) {
    (void)arg;
    writer_rc[0] = pthread_rwlock_wrlock(&rw);
    writer_done = 1;
    writer_rc[1] = pthread_rwlock_unlock(&rw);
    return NULL;
}

int main(void) {
    pthread_t t[4];
    MUST(pthread_barrier_init(&all_in, NULL, 4) == 0);
    for (int i = 0; i < 4; i++)
        MUST(pthread_create(&t[i], NULL, reader, NULL) == 0);
    for (int i = 0; i < 4; i++)
        MUST(pthread_join(t[i], NULL) == 0);
    printf("four readers held it together\n");

    for (long i = 0; i < 4; i++)
        MUST(pthread_create(&t[i], NULL, mixed, (void *)i) == 0);
    for (int i = 0; i < 4; i++)
        MUST(pthread_join(t[i], NULL) == 0);
    printf("writes %ld, exclusion violations %d\n", shared_value, bad);

    CHECK_ERRNO(pthread_rwlock_rdlock(&rw));
    MUST(pthread_create(&t[0], NULL, try_against_reader, NULL) == 0);
    MUST(pthread_join(t[0], NULL) == 0);
    MUST(pthread_create(&t[0], NULL, blocked_writer, NULL) == 0);
    usleep(100000);
    printf("writer done before unlock: %d\n", writer_done);
    CHECK_ERRNO(pthread_rwlock_unlock(&rw));
    MUST(pthread_join(t[0], NULL) == 0);
    printf("writer done after: %d, wrlock %s, unlock %s\n", writer_done, errname(writer_rc[0]),
           errname(writer_rc[1]));

    CHECK_ERRNO(pthread_rwlock_wrlock(&rw));
    MUST(pthread_create(&t[0], NULL, try_against_writer, NULL) == 0);
    MUST(pthread_join(t[0], NULL) == 0);
    CHECK_ERRNO(pthread_rwlock_unlock(&rw));
    CHECK_ERRNO(pthread_rwlock_destroy(&rw));
    return 0;
}
