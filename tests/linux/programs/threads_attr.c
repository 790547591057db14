/* Thread attributes: stack size (set, get, and really usable: a thread with
 * a 4 MiB stack uses 3 MiB of it), pthread_attr_setstack with a caller's
 * stack, detach state, and the errnos of bad values. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <limits.h>
#include <pthread.h>

static long deep(int depth) {
    volatile char frame[1024];
    frame[0] = (char)depth;
    if (depth == 0)
        return frame[0];
    return deep(depth - 1) + frame[0];
}

static void *use_stack(void *arg) {
    return (void *)deep((int)(long)arg);
}

int main(void) {
    pthread_attr_t a;
    CHECK_ERRNO(pthread_attr_init(&a));
    size_t size = 0;
    CHECK_ERRNO(pthread_attr_setstacksize(&a, 4 << 20));
    CHECK_ERRNO(pthread_attr_getstacksize(&a, &size));
    printf("stack size %zu\n", size);
    CHECK_ERRNO(pthread_attr_setstacksize(&a, 1));
    CHECK_ERRNO(pthread_attr_setdetachstate(&a, 42));

    pthread_t t;
    void *r;
    CHECK_ERRNO(pthread_create(&t, &a, use_stack, (void *)3000L));
    CHECK_ERRNO(pthread_join(t, &r));
    printf("deep recursion: %ld\n", (long)r);

    static char stack[1 << 20] __attribute__((aligned(16)));
    pthread_attr_t b;
    CHECK_ERRNO(pthread_attr_init(&b));
    CHECK_ERRNO(pthread_attr_setstack(&b, stack, sizeof stack));
    void *addr = NULL;
    CHECK_ERRNO(pthread_attr_getstack(&b, &addr, &size));
    printf("own stack: addr ok %d, size %zu\n", addr == (void *)stack, size);
    CHECK_ERRNO(pthread_create(&t, &b, use_stack, (void *)500L));
    CHECK_ERRNO(pthread_join(t, &r));
    printf("on own stack: %ld\n", (long)r);
    CHECK_ERRNO(pthread_attr_destroy(&a));
    CHECK_ERRNO(pthread_attr_destroy(&b));
    return 0;
}
