/* exit() in any thread ends every thread (exit_group): threads spinning in a
 * tight loop, blocked in read() on a pipe, sleeping, or waiting in
 * pthread_join all stop, and the status is the one given to exit. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <unistd.h>

static int fds[2];
static volatile unsigned long spins;

static void *spin(void *arg) {
    (void)arg;
    for (;;)
        spins++;
    return NULL;
}

static void *reader(void *arg) {
    (void)arg;
    char c;
    (void)read(fds[0], &c, 1); /* nobody writes */
    printf("reader: read returned\n");
    return NULL;
}

static void *sleeper(void *arg) {
    (void)arg;
    sleep(100);
    printf("sleeper: woke up\n");
    return NULL;
}

static void *joiner(void *arg) {
    pthread_join(*(pthread_t *)arg, NULL); /* the spinner never ends */
    printf("joiner: joined\n");
    return NULL;
}

static void *exiter(void *arg) {
    (void)arg;
    usleep(100 * 1000);
    printf("exiter: calling exit(3)\n");
    exit(3);
}

int main(void) {
    MUST(pipe(fds) == 0);
    pthread_t s, r, z, j, e;
    MUST(pthread_create(&s, NULL, spin, NULL) == 0);
    MUST(pthread_create(&r, NULL, reader, NULL) == 0);
    MUST(pthread_create(&z, NULL, sleeper, NULL) == 0);
    MUST(pthread_create(&j, NULL, joiner, &s) == 0);
    MUST(pthread_create(&e, NULL, exiter, NULL) == 0);
    printf("main: waiting for the spinner\n");
    pthread_join(s, NULL);
    printf("main: joined the spinner\n");
    return 0;
}
