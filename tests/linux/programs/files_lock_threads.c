// linux-test: cflags=-pthread
/* Locks and threads: POSIX record locks belong to the process, so its threads never
 * conflict with each other and F_SETLKW from one thread does not wait for another;
 * OFD and flock locks belong to open file descriptions, so two opens conflict
 * even between threads of one process, and an F_OFD_SETLKW waits until the other
 * thread unlocks. */
#include "linuxtest.h"
#include <fcntl.h>
#include <pthread.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

static int lk(int fd, int cmd, short type, long start, long len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static int fd_a, fd_b;
static int pipefd[2];

static void *posix_thread(void *arg) {
    (void)arg;
    CHECK(lk(fd_b, F_SETLK, F_WRLCK, 0, 10));  /* same process: no conflict */
    CHECK(lk(fd_b, F_SETLKW, F_WRLCK, 5, 10)); /* nor a wait */
    return NULL;
}

static void *ofd_thread(void *arg) {
    (void)arg;
    CHECK(lk(fd_b, F_OFD_SETLK, F_WRLCK, 0, 1)); /* another description: EAGAIN */
    CHECK(flock(fd_b, LOCK_EX | LOCK_NB));
    MUST(write(pipefd[1], "x", 1) == 1);
    CHECK(lk(fd_b, F_OFD_SETLKW, F_WRLCK, 0, 1)); /* waits for the main thread */
    printf("thread has the OFD lock\n");
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    fd_a = open("data", O_RDWR | O_CREAT, 0644);
    fd_b = open("data", O_RDWR);
    MUST(fd_a >= 0 && fd_b >= 0 && pipe(pipefd) == 0);

    printf("-- POSIX locks are the process's\n");
    CHECK(lk(fd_a, F_SETLK, F_WRLCK, 0, 0));
    pthread_t t;
    MUST(pthread_create(&t, NULL, posix_thread, NULL) == 0);
    MUST(pthread_join(t, NULL) == 0);
    CHECK(lk(fd_a, F_SETLK, F_UNLCK, 0, 0));

    printf("-- OFD and flock locks are the description's\n");
    CHECK(lk(fd_a, F_OFD_SETLK, F_WRLCK, 0, 1));
    CHECK(flock(fd_a, LOCK_SH));
    MUST(pthread_create(&t, NULL, ofd_thread, NULL) == 0);
    char c;
    MUST(read(pipefd[0], &c, 1) == 1);
    struct timespec ts = {0, 300 * 1000 * 1000};
    nanosleep(&ts, NULL);
    printf("main unlocks\n");
    int r = lk(fd_a, F_OFD_SETLK, F_UNLCK, 0, 1); /* printed after the join: one writer */
    MUST(pthread_join(t, NULL) == 0);
    printf("main's unlock = %d\n", r);
    CHECK(lk(fd_a, F_OFD_SETLK, F_RDLCK, 0, 1));
    return 0;
}
