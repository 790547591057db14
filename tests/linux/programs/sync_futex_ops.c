/* syscall(SYS_futex) beyond wait and wake: FUTEX_CMP_REQUEUE (EAGAIN when
 * the word changed; the count of woken plus requeued waiters), FUTEX_REQUEUE,
 * FUTEX_WAKE_OP (the operations on the second word, the comparison deciding
 * the second wake), and their EINVAL cases. Waiters loop until their word
 * says go, so a requeued waiter may also wake early. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

static long futex(uint32_t *a, int op, uint32_t val, uint32_t val2, uint32_t *a2, uint32_t v3) {
    return syscall(SYS_futex, a, op, val, (void *)(uintptr_t)val2, a2, v3);
}

static uint32_t cond_word, lock_word, go;
static int done, started;

/* Waits on cond_word until go; after a requeue it may sleep on lock_word. */
static void *waiter(void *arg) {
    (void)arg;
    __atomic_add_fetch(&started, 1, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&go, __ATOMIC_SEQ_CST))
        futex(&cond_word, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
    __atomic_add_fetch(&done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

static void wake_op(uint32_t start, int op, int oparg, int cmp, int cmparg) {
    uint32_t a = 0, b = start;
    long r = futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(op, oparg, cmp, cmparg));
    printf("wake_op(%u, op %d, oparg %d, cmp %d, %d) = %ld, second word %u\n", start, op,
           oparg, cmp, cmparg, r, b);
}

int main(void) {
    uint32_t x = 5, y = 0;
    CHECK(futex(&x, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &y, 4));
    CHECK(futex(&x, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, &y, 5));
    CHECK(futex(&x, FUTEX_REQUEUE_PRIVATE, 1, 1, &y, 0));
    CHECK(futex(&x, FUTEX_CMP_REQUEUE_PRIVATE, (uint32_t)-1, 1, &y, 5));
    CHECK(futex(&x, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, (uint32_t *)((char *)&y + 1), 5));

    wake_op(7, FUTEX_OP_SET, 3, FUTEX_OP_CMP_EQ, 7);
    wake_op(7, FUTEX_OP_ADD, 3, FUTEX_OP_CMP_NE, 7);
    wake_op(6, FUTEX_OP_OR, 1, FUTEX_OP_CMP_LT, 7);
    wake_op(7, FUTEX_OP_ANDN, 2, FUTEX_OP_CMP_LE, 7);
    wake_op(7, FUTEX_OP_XOR, 5, FUTEX_OP_CMP_GT, 6);
    wake_op(1, FUTEX_OP_ADD | FUTEX_OP_OPARG_SHIFT, 4, FUTEX_OP_CMP_GE, 2);
    wake_op(10, FUTEX_OP_ADD, -3, FUTEX_OP_CMP_GE, -1);
    uint32_t a = 0, b = 0;
    CHECK(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(6, 0, 0, 0)));
    CHECK(futex(&a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, FUTEX_OP(0, 0, 9, 0)));

    /* Three waiters: wake one, "requeue" the rest to lock_word. */
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        MUST(pthread_create(&t[i], NULL, waiter, NULL) == 0);
    /* The waiters' second to reach FUTEX_WAIT runs from their start, not from
     * pthread_create: on a loaded machine a thread may take longer to start
     * (200 ms was too short once, as in sync_futex.c). */
    while (__atomic_load_n(&started, __ATOMIC_SEQ_CST) < 3)
        usleep(1000);
    usleep(1000000);
    CHECK(futex(&cond_word, FUTEX_CMP_REQUEUE_PRIVATE, 1, INT_MAX, &lock_word, 0));
    usleep(100000);
    __atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
    /* Wake everyone wherever they wait. */
    futex(&lock_word, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0);
    futex(&cond_word, FUTEX_WAKE_PRIVATE, INT_MAX, 0, NULL, 0);
    for (int i = 0; i < 3; i++)
        MUST(pthread_join(t[i], NULL) == 0);
    printf("done %d\n", done);
    return 0;
}
