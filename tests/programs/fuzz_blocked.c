/* Two threads that block for ever (issue 16, test_fuzz_syscalls.py): the main
 * one in pthread_join, the other in pause(). Only the kernel ending the
 * process (a fatal signal, or a kernel bug met by one of its threads) stops it.
 * Prints "blocked" once both are about to block. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *sleeper(void *arg) {
    (void)arg;
    for (;;)
        pause();
    return NULL;
}

int main(void) {
    pthread_t t;
    if (pthread_create(&t, NULL, sleeper, NULL) != 0)
        return 1;
    printf("blocked\n");
    fflush(stdout);
    pthread_join(t, NULL);
    return 0;
}
