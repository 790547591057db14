/* F_SETLKW: a waiter is woken by the unlock, a signal interrupts the wait (EINTR
 * without SA_RESTART; a blocking flock too; with SA_RESTART the wait goes on), and a
 * wait that would close a cycle fails with EDEADLK.
 * The other process is this program spawned again, told what to do through
 * argv and paced through a pipe. */
#include "linuxtest.h"
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static int lk(int fd, int cmd, short type, long start, long len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static void nap(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Spawn role with the write end of a new pipe as fd 20; returns the read end. */
static pid_t spawn_role(const char *argv0, const char *role, int *rd) {
    int p[2];
    MUST(pipe(p) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addclose(&fa, p[0]);
    posix_spawn_file_actions_adddup2(&fa, p[1], 20);
    fflush(stdout);
    pid_t pid;
    char *args[] = {(char *)argv0, (char *)role, NULL};
    MUST(posix_spawn(&pid, argv0, &fa, NULL, args, environ) == 0);
    close(p[1]);
    *rd = p[0];
    return pid;
}

static void wait_child(pid_t pid) {
    int st;
    MUST(waitpid(pid, &st, 0) == pid);
    printf("child exit %d\n", WEXITSTATUS(st));
}

static volatile int alarms;

static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1) {
        int fd = open("data", O_RDWR);
        MUST(fd >= 0);
        if (strcmp(argv[1], "waiter") == 0) {
            MUST(write(20, "w", 1) == 1);
            CHECK(lk(fd, F_SETLKW, F_WRLCK, 0, 1));
            printf("waiter has the lock\n");
        } else if (strcmp(argv[1], "holder") == 0) {
            CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 0));
            CHECK(flock(fd, LOCK_EX));
            MUST(write(20, "h", 1) == 1);
            char c;
            read(0, &c, 1); /* until the parent closes our stdin */
        } else if (strcmp(argv[1], "brief") == 0) {
            CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 0));
            MUST(write(20, "b", 1) == 1);
            nap(1500); /* then exits, dropping the lock */
        } else if (strcmp(argv[1], "cycle") == 0) {
            CHECK(lk(fd, F_SETLK, F_WRLCK, 1, 1));
            MUST(write(20, "c", 1) == 1);
            CHECK(lk(fd, F_SETLKW, F_WRLCK, 0, 1)); /* held by the parent: waits */
            printf("cycle child has byte 0\n");
        }
        return 0;
    }
    int fd = open("data", O_RDWR | O_CREAT, 0644);
    MUST(fd >= 0 && write(fd, "0123456789", 10) == 10);
    char c;
    int rd;

    printf("-- a waiter woken by the unlock\n");
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 1));
    pid_t pid = spawn_role(argv[0], "waiter", &rd);
    MUST(read(rd, &c, 1) == 1);
    nap(300);
    printf("parent unlocks\n");
    int r = lk(fd, F_SETLK, F_UNLCK, 0, 1); /* printed once the child is done: one writer */
    wait_child(pid);
    printf("unlock = %d\n", r);
    close(rd);

    printf("-- a signal interrupts the wait\n");
    int in[2];
    MUST(pipe2(in, O_CLOEXEC) == 0);
    int saved = dup(0);
    MUST(dup2(in[0], 0) == 0);
    pid = spawn_role(argv[0], "holder", &rd);
    MUST(dup2(saved, 0) == 0);
    close(in[0]);
    MUST(read(rd, &c, 1) == 1);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigemptyset(&sa.sa_mask);
    MUST(sigaction(SIGALRM, &sa, NULL) == 0);
    alarm(1);
    CHECK(lk(fd, F_SETLKW, F_RDLCK, 5, 1));
    CHECK(lk(fd, F_SETLK, F_RDLCK, 5, 1));
    alarm(1);
    CHECK(flock(fd, LOCK_SH));
    CHECK(flock(fd, LOCK_SH | LOCK_NB));
    close(in[1]); /* the holder exits, and its lock goes */
    wait_child(pid);
    close(rd);
    CHECK(lk(fd, F_SETLKW, F_RDLCK, 5, 1));
    CHECK(flock(fd, LOCK_SH));

    printf("-- with SA_RESTART the wait goes on after the handler\n");
    CHECK(lk(fd, F_SETLK, F_UNLCK, 0, 0));
    CHECK(flock(fd, LOCK_UN));
    pid = spawn_role(argv[0], "brief", &rd);
    MUST(read(rd, &c, 1) == 1);
    sa.sa_flags = SA_RESTART;
    MUST(sigaction(SIGALRM, &sa, NULL) == 0);
    alarms = 0;
    alarm(1);
    CHECK(lk(fd, F_SETLKW, F_WRLCK, 0, 1));
    printf("handler ran %d time(s)\n", alarms);
    wait_child(pid);
    close(rd);

    printf("-- a cycle: EDEADLK\n");
    CHECK(lk(fd, F_SETLK, F_UNLCK, 0, 0));
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 1));
    pid = spawn_role(argv[0], "cycle", &rd);
    MUST(read(rd, &c, 1) == 1);
    nap(500); /* the child is now waiting for byte 0 */
    CHECK(lk(fd, F_SETLKW, F_WRLCK, 1, 1));
    CHECK(lk(fd, F_SETLK, F_WRLCK, 1, 1));
    printf("parent unlocks byte 0\n");
    r = lk(fd, F_SETLK, F_UNLCK, 0, 1);
    wait_child(pid);
    printf("unlock = %d\n", r);
    close(rd);
    CHECK(lk(fd, F_SETLKW, F_WRLCK, 0, 2));
    return 0;
}
