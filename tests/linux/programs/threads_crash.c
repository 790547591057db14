/* A thread that crashes (a trap: SIGILL natively) kills its whole process,
 * while the main thread waits in pthread_join and another thread spins. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <unistd.h>

static volatile unsigned long spins;

static void *spin(void *arg) {
    (void)arg;
    for (;;)
        spins++;
    return NULL;
}

static void *crash(void *arg) {
    (void)arg;
    usleep(50 * 1000);
    __builtin_trap();
    return NULL;
}

int main(void) {
    pthread_t s, c;
    MUST(pthread_create(&s, NULL, spin, NULL) == 0);
    MUST(pthread_create(&c, NULL, crash, NULL) == 0);
    printf("main: joining the crashing thread\n");
    fflush(stdout);
    pthread_join(c, NULL);
    printf("main: joined (must not happen)\n");
    return 0;
}
