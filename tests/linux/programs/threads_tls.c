/* Thread-local storage: __thread variables (initialised and zero), errno,
 * and a thread-local array are per thread; the main thread's values are
 * untouched by the others. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <unistd.h>
#include <fcntl.h>

static __thread int counter = 100;
static __thread char name[32];
static __thread long big[256];

/* A two-phase rendezvous on atomics (not pthread_barrier: that is sync's). */
static int arrived;
static void rendezvous(int phase, int n) {
    __atomic_add_fetch(&arrived, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < phase * n)
        usleep(100);
}

static void *worker(void *arg) {
    long id = (long)arg;
    int initial = counter;
    int clean = name[0] == 0 && big[0] == 0 && big[255] == 0;
    snprintf(name, sizeof name, "worker-%ld", id);
    for (int i = 0; i < 256; i++)
        big[i] = id * 1000 + i;
    rendezvous(1, 4); /* every thread has written its copies */
    for (int i = 0; i < 1000; i++)
        counter++;
    /* errno is per thread: each sets a different one. */
    errno = 0;
    if (id % 2)
        (void)dup(-1); /* EBADF */
    else
        open("/nonexistent/x", O_RDONLY); /* ENOENT */
    rendezvous(2, 4);
    int mine = errno;
    long sum = 0;
    for (int i = 0; i < 256; i++)
        sum += big[i] - id * 1000;
    char line[128];
    snprintf(line, sizeof line, "%s: initial %d, clean %d, counter %d, errno %s, sum %ld",
             name, initial, clean, counter, errname(mine), sum);
    return strdup(line);
}

int main(void) {
    enum { N = 4 };
    counter = 7;
    snprintf(name, sizeof name, "main");
    errno = 0;
    pthread_t t[N];
    for (long i = 0; i < N; i++)
        MUST(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
    for (int i = 0; i < N; i++) {
        char *line;
        MUST(pthread_join(t[i], (void **)&line) == 0);
        printf("%s\n", line);
        free(line);
    }
    printf("main: counter %d, name %s, big[0] %ld\n", counter, name, big[0]);
    return 0;
}
