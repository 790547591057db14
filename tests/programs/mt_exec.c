/*
 * mt_exec: the exec family end to end. Needs /bin/mt_child.
 * execve keeps the pid, the parent and the descriptors (but closes the
 * close-on-exec ones), keeps the signal mask and ignored signals and resets
 * handled ones; the exec'd program's exit status reaches the parent; a
 * failing exec returns -1 with ENOENT/ENOEXEC and the caller goes on.
 *
 * Every case has a name; --skip=NAME skips it. Helpers come from $MT_BIN
 * (default /bin).
 */
#include "common.h"

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

static char helper_dir[256];
static char helper_path[512];

/* common.h's errname(), naming a few more errors (EXPECT_ERR uses it). */
static const char *ename(int e) {
    return e == ECHILD ? "ECHILD" : e == ESRCH ? "ESRCH" : e == ENOEXEC ? "ENOEXEC" : (errname)(e);
}
#define errname(e) ename(e)

static void case_keeps_pid_and_fds(void) {
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 5); /* the child's fd 5 */
    char *argv[] = {"mt_child", "exec-keep", "5", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, helper_path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    CHECK(rc == 0);
    close(p[1]);
    char buf[256];
    size_t len = 0;
    ssize_t n;
    while (len + 1 < sizeof buf && (n = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(p[0]);
    int same_pid = 0, fd_open = 0, cloexec_closed = 0, ppid = 0;
    int fields = sscanf(buf, "pid-same %d fd-open %d cloexec-closed %d ppid %d", &same_pid,
                        &fd_open, &cloexec_closed, &ppid);
    printf("after exec: pid kept %d, fd kept %d, cloexec fd closed %d, parent kept %d\n",
           same_pid, fd_open, cloexec_closed, ppid == (int)getpid());
    CHECK(fields == 4 && same_pid && fd_open && cloexec_closed && ppid == (int)getpid());
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid);
    printf("exit status of the new image: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

#define BIT(sig) (1ul << ((sig) - 1))

static void case_keeps_signal_state(void) {
    /* mt_child handle-exec: handler for USR1, ignores USR2, blocks TERM, then
     * execs "mt_child mask". */
    const char *out_path = "/tmp/mt_exec.out";
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *argv[] = {"mt_child", "handle-exec", "9", NULL};
    pid_t pid;
    CHECK(posix_spawn(&pid, helper_path, &fa, NULL, argv, environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid && st == 0);
    char buf[128];
    unsigned long blocked = 0, ignored = 0;
    get_file(out_path, buf, sizeof buf);
    CHECK(sscanf(buf, "blocked %lx ignored %lx", &blocked, &ignored) == 2);
    printf("after exec: TERM blocked %d, USR2 ignored %d, USR1 ignored %d\n",
           !!(blocked & BIT(SIGTERM)), !!(ignored & BIT(SIGUSR2)), !!(ignored & BIT(SIGUSR1)));
    CHECK((blocked & BIT(SIGTERM)) && (ignored & BIT(SIGUSR2)) && !(ignored & BIT(SIGUSR1)));
}

static void case_failures(void) {
    char *argv[] = {"mt_child", "exit", "0", NULL};
    char *envp[] = {NULL};
    EXPECT_ERR(execve("/nonexistent/prog", argv, envp), ENOENT, "execve missing");
    EXPECT_ERR(execv("/nonexistent/prog", argv), ENOENT, "execv missing");
    put_file("/tmp/mt_exec_text", "not a program\n");
    chmod("/tmp/mt_exec_text", 0755);
    EXPECT_ERR(execv("/tmp/mt_exec_text", argv), ENOEXEC, "execv not a program");
    char path[600];
    snprintf(path, sizeof path, "/nonexistent:%s", helper_dir);
    setenv("PATH", path, 1);
    EXPECT_ERR(execvp("mt_no_such_program", argv), ENOENT, "execvp missing");
    EXPECT_ERR(execlp("mt_no_such_program", "x", (char *)NULL), ENOENT, "execlp missing");
    EXPECT_ERR(execl("/nonexistent/prog", "x", (char *)NULL), ENOENT, "execl missing");
    EXPECT_ERR(execle("/nonexistent/prog", "x", (char *)NULL, envp), ENOENT, "execle missing");
    printf("still running: pid %s\n", getpid() > 0 ? "ok" : "bad");
}

/* No fork under PyOcclum, as in Occlum (on Linux this case fails). */
static void case_fork_is_not_there(void) {
    errno = 0;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    printf("fork: %d %s\n", (int)pid, errname(errno));
    CHECK(pid == -1 && errno == ENOSYS);
    errno = 0;
    pid = vfork();
    if (pid == 0)
        _exit(0);
    printf("vfork: %d %s\n", (int)pid, errname(errno));
    CHECK(pid == -1 && errno == ENOSYS);
}

int main(int argc, char **argv) {
    const char *dir = getenv("MT_BIN");
    snprintf(helper_dir, sizeof helper_dir, "%s", dir ? dir : "/bin");
    snprintf(helper_path, sizeof helper_path, "%s/mt_child", helper_dir);

    static const struct mt_case cases[] = {
        {"keeps_pid_and_fds", case_keeps_pid_and_fds},
        {"keeps_signal_state", case_keeps_signal_state},
        {"failures", case_failures},
        {"no_fork", case_fork_is_not_there},
    };
    return run_cases(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
