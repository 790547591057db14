/* Running a program needs an execute bit (EACCES otherwise, even for root),
 * any one of the three will do; directories and missing files fail too.
 * The program copies itself (from /proc/self/exe) and spawns the copy. */
#include "linuxtest.h"
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void spawn(const char *path) {
    char *argv[] = {(char *)"copy", (char *)"child", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, path, NULL, NULL, argv, environ);
    if (rc != 0) {
        printf("spawn %s: %s\n", path, errname(rc));
        return;
    }
    int status;
    MUST(waitpid(pid, &status, 0) == pid);
    printf("spawn %s: exited %d\n", path, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

int main(int argc, char **argv) {
    (void)argv;
    if (argc > 1) {
        printf("child ran\n");
        return 7;
    }
    int in = open("/proc/self/exe", O_RDONLY);
    MUST(in >= 0);
    int out = open("copy", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    MUST(out >= 0);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        MUST(write(out, buf, (size_t)n) == n);
    MUST(n == 0 && close(in) == 0 && close(out) == 0);
    fflush(stdout);
    static const mode_t modes[] = {0644, 0755, 0100, 0010, 0001, 0666, 04755};
    for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        MUST(chmod("copy", modes[i]) == 0);
        printf("mode %04o: ", (unsigned)modes[i]);
        CHECK(access("copy", X_OK));
        fflush(stdout);
        spawn("./copy");
        fflush(stdout);
    }
    MUST(mkdir("dir", 0755) == 0);
    spawn("./dir");
    spawn("./nope");
    spawn("copy/x");
    MUST(chmod("copy", 0600) == 0);
    char *args[] = {(char *)"copy", (char *)"child", NULL};
    CHECK(execv("./copy", args));
    CHECK(execve("./dir", args, environ));
    MUST(chmod("copy", 0700) == 0);
    fflush(stdout);
    CHECK(execv("./copy", args)); /* does not return: the child's 7 is the status */
    return 0;
}
