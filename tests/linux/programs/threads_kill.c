/* SIGKILL (and an unhandled SIGTERM) stop every thread of a process at once:
 * threads spinning in tight loops, one waiting in pthread_join, one blocked
 * on a mutex, the main one sleeping. The parent sees the signal in waitpid. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
static volatile unsigned long spins;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *spin(void *arg) {
    (void)arg;
    for (;;)
        spins++;
    return NULL;
}

static void *joiner(void *arg) {
    pthread_join(*(pthread_t *)arg, NULL);
    return NULL;
}

static void *locker(void *arg) {
    (void)arg;
    pthread_mutex_lock(&held); /* main holds it for ever */
    return NULL;
}

static int child(int ready_fd) {
    static pthread_t s1;
    pthread_t s2, j, l;
    pthread_mutex_lock(&held);
    MUST(pthread_create(&s1, NULL, spin, NULL) == 0);
    MUST(pthread_create(&s2, NULL, spin, NULL) == 0);
    MUST(pthread_create(&j, NULL, joiner, &s1) == 0);
    MUST(pthread_create(&l, NULL, locker, NULL) == 0);
    while (spins == 0)
        usleep(1000);
    MUST(write(ready_fd, "r", 1) == 1);
    sleep(100);
    return 0;
}

static void run_and_kill(const char *self, int sig) {
    int p[2];
    MUST(pipe(p) == 0);
    char fd[16];
    snprintf(fd, sizeof fd, "%d", p[1]);
    char *argv[] = {(char *)self, "child", fd, NULL};
    pid_t pid;
    MUST(posix_spawn(&pid, self, NULL, NULL, argv, environ) == 0);
    close(p[1]);
    char c;
    MUST(read(p[0], &c, 1) == 1);
    close(p[0]);
    usleep(20 * 1000);
    CHECK(kill(pid, sig));
    int status = 0;
    CHECK_OK(waitpid(pid, &status, 0));
    printf("signaled %d, by %s\n", WIFSIGNALED(status),
           WIFSIGNALED(status) && WTERMSIG(status) == sig ? "it" : "another");
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "child") == 0)
        return child(atoi(argv[2]));
    run_and_kill(argv[0], SIGKILL);
    run_and_kill(argv[0], SIGTERM);
    return 0;
}
