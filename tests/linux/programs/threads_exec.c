/* execve from a thread other than the main one, while other threads spin and
 * sleep: the new program runs alone, as the process (same pid, its tid is the
 * pid), with the arguments given. */
// linux-test: cflags=-pthread

#include "linuxtest.h"
#include <pthread.h>
#include <unistd.h>

static volatile unsigned long spins;
static char *self_path;
static pid_t pid_before;

static void *spin(void *arg) {
    (void)arg;
    for (;;)
        spins++;
    return NULL;
}

static void *sleeper(void *arg) {
    (void)arg;
    sleep(100);
    return NULL;
}

static void *execer(void *arg) {
    (void)arg;
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)pid_before);
    printf("execer: exec'ing, gettid != getpid: %d\n", gettid() != getpid());
    fflush(stdout);
    char *argv[] = {self_path, "child", pid, NULL};
    execv(self_path, argv);
    printf("execv failed: %s\n", errname(errno));
    exit(1);
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "child") == 0) {
        printf("child: same pid %d, gettid == getpid %d\n", atoi(argv[2]) == getpid(),
               gettid() == getpid());
        return 5;
    }
    self_path = argv[0];
    pid_before = getpid();
    pthread_t s, z, e;
    MUST(pthread_create(&s, NULL, spin, NULL) == 0);
    MUST(pthread_create(&z, NULL, sleeper, NULL) == 0);
    MUST(pthread_create(&e, NULL, execer, NULL) == 0);
    pthread_join(s, NULL);
    printf("main: joined the spinner (must not happen)\n");
    return 0;
}
