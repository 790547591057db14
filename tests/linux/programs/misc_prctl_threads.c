// linux-test: cflags=-pthread
/* prctl(PR_SET_NAME) names the calling thread: a second thread's name is its
 * own, the main thread's stays the process's (/proc/self/comm). */
#include "linuxtest.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>

static char seen[3][32];

static void comm(char *out, size_t size) {
    int fd = open("/proc/self/comm", O_RDONLY);
    MUST(fd >= 0);
    ssize_t n = read(fd, out, size - 1);
    MUST(n > 0);
    out[n - 1] = '\0'; /* the newline */
    close(fd);
}

static void *worker(void *arg) {
    (void)arg;
    prctl(PR_GET_NAME, seen[0]); /* before naming itself: inherited */
    prctl(PR_SET_NAME, "worker-thread-name");
    prctl(PR_GET_NAME, seen[1]);
    comm(seen[2], sizeof seen[2]);
    return NULL;
}

int main(void) {
    char name[32];
    CHECK(prctl(PR_SET_NAME, "main-name"));
    pthread_t t;
    MUST(pthread_create(&t, NULL, worker, NULL) == 0);
    CHECK_ERRNO(pthread_join(t, NULL));
    printf("worker saw '%s', then '%s', process comm '%s'\n", seen[0], seen[1], seen[2]);
    CHECK(prctl(PR_GET_NAME, name));
    printf("main '%s'\n", name);
    comm(name, sizeof name);
    printf("comm '%s'\n", name);
    return 0;
}
