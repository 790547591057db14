/* Timed waits with deadlines centuries away (tv_sec near the largest time_t)
 * wait like untimed ones: a mutex timed lock, a condvar timed wait, a
 * semaphore timed wait and a relative FUTEX_WAIT all end when another thread
 * lets them, not at once with ETIMEDOUT. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static sem_t s;
static int flag;
static uint32_t word;

static void *helper(void *arg) {
    (void)arg;
    usleep(100000);
    MUST(pthread_mutex_unlock(&m) == 0); /* the main thread's lock, released for it */
    usleep(100000);
    pthread_mutex_lock(&m);
    flag = 1;
    pthread_cond_signal(&c);
    pthread_mutex_unlock(&m);
    usleep(100000);
    sem_post(&s);
    usleep(100000);
    __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

int main(void) {
    /* The largest tv_sec both sides can hold (glibc's time_t is 64 bits, as
     * wasi-libc's). */
    struct timespec far = {(time_t)INT64_MAX, 0};
    MUST(sem_init(&s, 0, 0) == 0);
    /* A NORMAL mutex may be unlocked by another thread (glibc allows it). */
    MUST(pthread_mutex_lock(&m) == 0);
    pthread_t t;
    MUST(pthread_create(&t, NULL, helper, NULL) == 0);
    CHECK_ERRNO(pthread_mutex_timedlock(&m, &far));
    int r = 0;
    while (!flag && r == 0)
        r = pthread_cond_timedwait(&c, &m, &far);
    printf("cond: %s, flag %d\n", errname(r), flag);
    CHECK_ERRNO(pthread_mutex_unlock(&m));
    CHECK(sem_timedwait(&s, &far));
    long fr;
    while ((fr = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &far, NULL, 0)) == -1 &&
           errno == EINTR)
        ;
    printf("futex: %s\n", fr == 0 || errno == EAGAIN ? "woken" : errname(errno));
    MUST(pthread_join(t, NULL) == 0);
    return 0;
}
