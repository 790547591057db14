/* POSIX record locks across execve: kept by the process (same pid), unless a
 * close-on-exec fd of the locked file is closed by the exec, which drops them
 * (a close of any fd of the file). The locker is a child that execs itself;
 * a third process probes. */
#include "linuxtest.h"
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int lk(int fd, int cmd, short type) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    return fcntl(fd, cmd, &fl);
}

static pid_t spawn(const char *argv0, const char *role, const char *arg, int in, int out) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in >= 0)
        posix_spawn_file_actions_adddup2(&fa, in, 0);
    if (out >= 0)
        posix_spawn_file_actions_adddup2(&fa, out, 20);
    fflush(stdout);
    pid_t pid;
    char *args[] = {(char *)argv0, (char *)role, (char *)arg, NULL};
    MUST(posix_spawn(&pid, argv0, &fa, NULL, args, environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static void probe(const char *argv0) {
    pid_t pid = spawn(argv0, "probe", "-", -1, -1);
    int st;
    MUST(waitpid(pid, &st, 0) == pid);
}

static void run(const char *argv0, const char *mode) {
    int up[2], down[2];
    MUST(pipe2(up, O_CLOEXEC) == 0 && pipe2(down, O_CLOEXEC) == 0);
    pid_t pid = spawn(argv0, "locker", mode, down[0], up[1]);
    close(up[1]);
    close(down[0]);
    char c;
    MUST(read(up[0], &c, 1) == 1); /* the locker has exec'd */
    probe(argv0);
    close(down[1]); /* let it finish */
    int st;
    MUST(waitpid(pid, &st, 0) == pid);
    printf("locker exit %d\n", WEXITSTATUS(st));
    close(up[0]);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2 && strcmp(argv[1], "probe") == 0) {
        int fd = open("data", O_RDWR);
        MUST(fd >= 0);
        errno = 0;
        int r = lk(fd, F_SETLK, F_WRLCK);
        printf("  probe: %s\n", r == 0 ? "free" : errname(errno));
        return 0;
    }
    if (argc > 2 && strcmp(argv[1], "locker") == 0) {
        int fd = open("data", O_RDWR);
        MUST(fd >= 0);
        CHECK(lk(fd, F_SETLK, F_WRLCK));
        if (strcmp(argv[2], "cloexec") == 0) {
            int other = open("data", O_RDONLY | O_CLOEXEC);
            MUST(other >= 0);
        }
        char *args[] = {argv[0], "after-exec", "-", NULL};
        execve(argv[0], args, environ);
        return 99;
    }
    if (argc > 2 && strcmp(argv[1], "after-exec") == 0) {
        MUST(write(20, "x", 1) == 1);
        char c;
        read(0, &c, 1);
        return 3;
    }
    int fd = open("data", O_RDWR | O_CREAT, 0644);
    MUST(fd >= 0 && write(fd, "0123456789", 10) == 10);
    printf("-- exec keeps the locks\n");
    run(argv[0], "plain");
    probe(argv[0]);
    printf("-- exec closing a close-on-exec fd of the file drops them\n");
    run(argv[0], "cloexec");
    return 0;
}
