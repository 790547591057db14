/* Barriers and spinlocks in one thread: a barrier of one is passed at once
 * (PTHREAD_BARRIER_SERIAL_THREAD every time), count 0 is EINVAL; barrier
 * attributes; spin locks and trylock's EBUSY. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>

int main(void) {
    pthread_barrierattr_t ba;
    int pshared = -1;
    CHECK_ERRNO(pthread_barrierattr_init(&ba));
    CHECK_ERRNO(pthread_barrierattr_getpshared(&ba, &pshared));
    printf("pshared: %d\n", pshared == PTHREAD_PROCESS_SHARED);
    CHECK_ERRNO(pthread_barrierattr_setpshared(&ba, PTHREAD_PROCESS_SHARED));
    CHECK_ERRNO(pthread_barrierattr_getpshared(&ba, &pshared));
    printf("pshared: %d\n", pshared == PTHREAD_PROCESS_SHARED);
    CHECK_ERRNO(pthread_barrierattr_setpshared(&ba, 7));

    pthread_barrier_t b;
    CHECK_ERRNO(pthread_barrier_init(&b, NULL, 0));
    CHECK_ERRNO(pthread_barrier_init(&b, &ba, 1));
    for (int i = 0; i < 3; i++) {
        int r = pthread_barrier_wait(&b);
        printf("round %d: %s\n", i, r == PTHREAD_BARRIER_SERIAL_THREAD ? "SERIAL" : errname(r));
    }
    CHECK_ERRNO(pthread_barrier_destroy(&b));
    CHECK_ERRNO(pthread_barrier_init(&b, NULL, 3));
    CHECK_ERRNO(pthread_barrier_destroy(&b));
    CHECK_ERRNO(pthread_barrierattr_destroy(&ba));

    pthread_spinlock_t s;
    CHECK_ERRNO(pthread_spin_init(&s, PTHREAD_PROCESS_PRIVATE));
    CHECK_ERRNO(pthread_spin_trylock(&s));
    CHECK_ERRNO(pthread_spin_trylock(&s));
    CHECK_ERRNO(pthread_spin_unlock(&s));
    CHECK_ERRNO(pthread_spin_lock(&s));
    CHECK_ERRNO(pthread_spin_trylock(&s));
    CHECK_ERRNO(pthread_spin_unlock(&s));
    CHECK_ERRNO(pthread_spin_lock(&s));
    CHECK_ERRNO(pthread_spin_unlock(&s));
    CHECK_ERRNO(pthread_spin_destroy(&s));
    CHECK_ERRNO(pthread_spin_init(&s, PTHREAD_PROCESS_SHARED));
    CHECK_ERRNO(pthread_spin_trylock(&s));
    CHECK_ERRNO(pthread_spin_unlock(&s));
    CHECK_ERRNO(pthread_spin_destroy(&s));
    return 0;
}
