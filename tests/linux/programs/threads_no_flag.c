/* A program that uses threads but is built without -pthread (glibc >= 2.34
 * has pthreads in libc itself): occlum-cc notices pthread_create and links
 * it as a threaded program. */
#include "linuxtest.h"
#include <pthread.h>

static void *twice(void *arg) {
    return (void *)((long)arg * 2);
}

int main(void) {
    pthread_t t;
    void *r = NULL;
    CHECK_ERRNO(pthread_create(&t, NULL, twice, (void *)21L));
    CHECK_ERRNO(pthread_join(t, &r));
    printf("result %ld\n", (long)r);
    return 0;
}
