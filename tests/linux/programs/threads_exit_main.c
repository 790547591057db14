/* pthread_exit in the main thread: the process lives on while another thread
 * runs; when the last thread ends the process exits with status 0 as if by
 * exit(0): atexit handlers run and buffered stdout is flushed. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <unistd.h>

static pthread_t main_thread;

static void at_exit(void) {
    printf("atexit handler ran\n");
}

static void *worker(void *arg) {
    (void)arg;
    usleep(50 * 1000);
    printf("worker: main has gone, joining it gives %s\n",
           errname(pthread_join(main_thread, NULL)));
    printf("worker: last thread returns\n");
    return NULL;
}

int main(void) {
    atexit(at_exit);
    main_thread = pthread_self();
    pthread_t t;
    MUST(pthread_create(&t, NULL, worker, NULL) == 0);
    printf("main: calling pthread_exit (this line is still buffered)\n");
    pthread_exit(NULL);
}
