/* syscall(SYS_futex): FUTEX_WAIT's EAGAIN, ETIMEDOUT and EINVAL, waking a
 * waiting thread and several at once, FUTEX_WAIT_BITSET with absolute
 * deadlines on both clocks, and the errnos of a zero bitset and a misaligned
 * word. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long futex(uint32_t *addr, int op, uint32_t val, const struct timespec *ts, uint32_t val3) {
    return syscall(SYS_futex, addr, op, val, ts, NULL, val3);
}

static uint32_t word;
static int woke_ok;
static int started;

/* The waiters' second to reach FUTEX_WAIT runs from their start, not from
 * pthread_create: on a loaded machine a thread may take longer to start. (200 ms
 * was once too short inside, with the machine's two CPUs busy with a fuzzer:
 * one of three waiters was not waiting yet, and the wake returned 2.) */
static void wait_for_waiters(int n) {
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < n)
        usleep(1000);
    usleep(1000000);
}

static void *waiter(void *arg) {
    (void)arg;
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&word, __ATOMIC_SEQ_CST) == 0) {
        long r = futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL, 0);
        if (r != 0 && errno != EAGAIN && errno != EINTR)
            return NULL;
    }
    __atomic_add_fetch(&woke_ok, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static struct timespec from_now(clockid_t clock, long ms) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_nsec += ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    return ts;
}

int main(void) {
    struct timespec rel = {0, 50000000};
    word = 1;
    CHECK(futex(&word, FUTEX_WAIT, 0, NULL, 0));
    CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 1, &rel, 0));
    CHECK(futex(&word, FUTEX_WAKE, 1, NULL, 0));
    CHECK(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, 0));
    struct timespec bad = {0, 1000000000L};
    CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 1, &bad, 0));
    bad.tv_sec = -1;
    bad.tv_nsec = 0;
    CHECK(futex(&word, FUTEX_WAIT_PRIVATE, 1, &bad, 0));

    struct timespec at = from_now(CLOCK_MONOTONIC, 50);
    CHECK(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 1, &at, FUTEX_BITSET_MATCH_ANY));
    at = from_now(CLOCK_REALTIME, 50);
    CHECK(futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1, &at,
                FUTEX_BITSET_MATCH_ANY));
    CHECK(futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 1, &at, 0));
    CHECK(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, 0));
    CHECK(futex(&word, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, FUTEX_BITSET_MATCH_ANY));
    static uint32_t pair[2];
    CHECK(futex((uint32_t *)((char *)pair + 1), FUTEX_WAIT_PRIVATE, 0, &rel, 0));

    /* One waiter, then three. */
    word = 0;
    pthread_t t[3];
    MUST(pthread_create(&t[0], NULL, waiter, NULL) == 0);
    wait_for_waiters(1);
    __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
    CHECK(futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, 0));
    MUST(pthread_join(t[0], NULL) == 0);
    word = 0;
    for (int i = 0; i < 3; i++)
        MUST(pthread_create(&t[i], NULL, waiter, NULL) == 0);
    wait_for_waiters(4);
    __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
    CHECK(futex(&word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, 0));
    for (int i = 0; i < 3; i++)
        MUST(pthread_join(t[i], NULL) == 0);
    printf("woke_ok %d\n", woke_ok);
    return 0;
}
