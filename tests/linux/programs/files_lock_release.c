/* When POSIX record locks go: on close of ANY fd of the file by the owning process
 * (even one that never locked), at process exit, not on close in another process
 * that shares the description; and a spawned child does not inherit them. */
#include "linuxtest.h"
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int lk(int fd, int cmd, short type, long start, long len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static int spawn_wait(const char *argv0, const char *role, const char *arg) {
    fflush(stdout);
    pid_t pid;
    char *args[] = {(char *)argv0, (char *)role, (char *)arg, NULL};
    MUST(posix_spawn(&pid, argv0, NULL, NULL, args, environ) == 0);
    int st;
    MUST(waitpid(pid, &st, 0) == pid);
    return WEXITSTATUS(st);
}

/* Child roles. */
static int probe(void) {
    int fd = open("data", O_RDWR);
    MUST(fd >= 0);
    errno = 0;
    int r = lk(fd, F_SETLK, F_WRLCK, 0, 1);
    printf("  probe: lock byte 0 %s\n", r == 0 ? "ok" : errname(errno));
    return 0;
}

static int lock_and_exit(void) {
    int fd = open("data", O_RDWR);
    MUST(fd >= 0);
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 0));
    return 7; /* exits holding the lock */
}

/* An inherited fd (3 via the descriptor number in argv) closed by the child. */
static int close_inherited(const char *fdnum) {
    int fd = atoi(fdnum);
    CHECK(close(fd));
    return 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2 && strcmp(argv[1], "probe") == 0)
        return probe();
    if (argc > 2 && strcmp(argv[1], "lockexit") == 0)
        return lock_and_exit();
    if (argc > 2 && strcmp(argv[1], "close") == 0)
        return close_inherited(argv[2]);

    int fd = open("data", O_RDWR | O_CREAT, 0644);
    MUST(fd >= 0 && write(fd, "0123456789", 10) == 10);

    printf("locked by parent:\n");
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 0));
    spawn_wait(argv[0], "probe", "-");

    printf("closing another fd of the file drops the lock:\n");
    int other = open("data", O_RDONLY);
    MUST(other >= 0);
    CHECK(close(other));
    spawn_wait(argv[0], "probe", "-");

    printf("a dup'ed fd closed drops it too:\n");
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 0));
    int d = dup(fd);
    MUST(d >= 0);
    CHECK(close(d));
    spawn_wait(argv[0], "probe", "-");

    printf("closing the inherited fd in a child keeps the parent's lock:\n");
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 0));
    char num[16];
    snprintf(num, sizeof num, "%d", fd);
    printf("child exit %d\n", spawn_wait(argv[0], "close", num));
    spawn_wait(argv[0], "probe", "-");

    printf("dup2 over an fd of the file drops it:\n");
    int e = open("data", O_RDONLY);
    MUST(e >= 0);
    int nul = open("/dev/null", O_RDONLY);
    MUST(nul >= 0);
    CHECK_OK(dup2(nul, e));
    spawn_wait(argv[0], "probe", "-");

    printf("a child's locks go when it exits:\n");
    printf("child exit %d\n", spawn_wait(argv[0], "lockexit", "-"));
    CHECK(lk(fd, F_SETLK, F_WRLCK, 0, 0));
    spawn_wait(argv[0], "probe", "-");
    CHECK(lk(fd, F_SETLK, F_UNLCK, 0, 0));
    spawn_wait(argv[0], "probe", "-");
    return 0;
}
