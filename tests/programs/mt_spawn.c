/*
 * mt_spawn: posix_spawn end to end. Needs /bin/mt_child (mt_child.c).
 * argv, envp (and NULL for both), cwd inheritance, descriptor inheritance
 * and close-on-exec, every file action, spawn errors (ENOENT, ENOEXEC,
 * file-action errors), posix_spawnp's PATH search, spawn attributes.
 *
 * Every case has a name; --skip=NAME skips it (a known kernel bug).
 * Helpers come from $MT_BIN (default /bin), so the program also runs
 * natively on Linux against a native mt_child.
 */
#include "common.h"

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

#define OUT "/tmp/mt_spawn.out"

/* common.h's errname(), naming a few more errors (EXPECT_ERR uses it). */
static const char *ename(int e) {
    return e == ECHILD ? "ECHILD" : e == ESRCH ? "ESRCH" : e == ENOEXEC ? "ENOEXEC" : (errname)(e);
}
#define errname(e) ename(e)

static char helper_dir[256];
static char helper_path[512];

/* Child output goes to OUT (its stdout), read back into out. */
static void capture(posix_spawn_file_actions_t *fa) {
    posix_spawn_file_actions_init(fa);
    posix_spawn_file_actions_addopen(fa, 1, OUT, O_WRONLY | O_CREAT | O_TRUNC, 0644);
}

/* Spawns mt_child with argv and waits. Returns the wait status, or -1 with
 * errno = the spawn error. The child's stdout (if captured) is in out. */
static int run(posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
               char *const argv[], char *const envp[], char *out, size_t size) {
    pid_t pid = -1;
    (void)unlink(OUT);
    int rc = posix_spawn(&pid, helper_path, fa, attr, argv, envp);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    if (out != NULL)
        get_file(OUT, out, size);
    return status;
}

/* Runs "mt_child MODE [ARG]" (output captured) and returns its exit code,
 * or -1 if it did not exit normally. */
static int run_mode(const char *mode, const char *arg, char *out, size_t size) {
    char *argv[] = {"mt_child", (char *)mode, (char *)arg, NULL};
    posix_spawn_file_actions_t fa;
    capture(&fa);
    int st = run(&fa, NULL, argv, environ, out, size);
    posix_spawn_file_actions_destroy(&fa);
    return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Is descriptor fd open in a spawned child? 1 yes, 0 no, -1 failed. */
static int open_in_child(int fd) {
    char num[16];
    snprintf(num, sizeof num, "%d", fd);
    int code = run_mode("fd-open", num, NULL, 0);
    return code == 0 ? 1 : code == 1 ? 0 : -1;
}

static void case_argv(void) {
    char out[256];
    char *argv[] = {"mt_child", "args", "a b", "", "c", NULL};
    posix_spawn_file_actions_t fa;
    capture(&fa);
    int st = run(&fa, NULL, argv, environ, out, sizeof out);
    printf("argv: %s", out);
    CHECK(st == 0 && strcmp(out, "[a b][][c]\n") == 0);
#ifndef __GLIBC__ /* glibc's posix_spawn crashes on a NULL argv; the kernel takes it */
    /* No argv at all: mt_child exits 42 when argc is 0. */
    st = run(&fa, NULL, NULL, environ, NULL, 0);
    printf("NULL argv: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    CHECK(st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 42);
#endif
    posix_spawn_file_actions_destroy(&fa);
}

static void case_env(void) {
    char out[256];
    char *argv[] = {"mt_child", "env", "MT_VAR", NULL};
    char *envp[] = {"A=1", "MT_VAR=hello world", NULL};
    posix_spawn_file_actions_t fa;
    capture(&fa);
    int st = run(&fa, NULL, argv, envp, out, sizeof out);
    printf("env: %s", out);
    CHECK(st == 0 && strcmp(out, "hello world\n") == 0);
    st = run(&fa, NULL, argv, NULL, out, sizeof out);
    printf("NULL env: %s", out);
    CHECK(st == 0 && strcmp(out, "(unset)\n") == 0);
    setenv("MT_VAR", "from environ", 1);
    st = run(&fa, NULL, argv, environ, out, sizeof out);
    printf("environ: %s", out);
    CHECK(st == 0 && strcmp(out, "from environ\n") == 0);
    unsetenv("MT_VAR");
    posix_spawn_file_actions_destroy(&fa);
}

static void case_cwd(void) {
    char out[256];
    mkdir("/tmp/mt_dir", 0755);
    EXPECT_OK(chdir("/tmp/mt_dir"), "chdir /tmp/mt_dir");
    CHECK(run_mode("cwd", NULL, out, sizeof out) == 0);
    printf("inherited cwd: %s", out);
    CHECK(strcmp(out, "/tmp/mt_dir\n") == 0);
    EXPECT_OK(chdir("/"), "chdir /");

    char *argv[] = {"mt_child", "cwd", NULL};
    posix_spawn_file_actions_t fa;
    capture(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, "/tmp/mt_dir");
    CHECK(run(&fa, NULL, argv, environ, out, sizeof out) == 0);
    printf("addchdir: %s", out);
    CHECK(strcmp(out, "/tmp/mt_dir\n") == 0);
    posix_spawn_file_actions_destroy(&fa);

    int dir = open("/tmp/mt_dir", O_RDONLY | O_DIRECTORY);
    capture(&fa);
    posix_spawn_file_actions_addfchdir_np(&fa, dir);
    CHECK(run(&fa, NULL, argv, environ, out, sizeof out) == 0);
    printf("addfchdir: %s", out);
    CHECK(strcmp(out, "/tmp/mt_dir\n") == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(dir);

    char here[256];
    printf("parent still in: %s\n", getcwd(here, sizeof here));
    CHECK(strcmp(here, "/") == 0);
}

static void case_fds(void) {
    int fd = open("/tmp/mt_a", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    printf("plain fd open in child: %d\n", open_in_child(fd));
    CHECK(open_in_child(fd) == 1);
    printf("F_GETFD plain: %d\n", fcntl(fd, F_GETFD));
    CHECK(fcntl(fd, F_GETFD) == 0);
    EXPECT_OK(fcntl(fd, F_SETFD, FD_CLOEXEC), "F_SETFD FD_CLOEXEC");
    printf("F_GETFD after: %d\n", fcntl(fd, F_GETFD));
    CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC);
    printf("cloexec fd open in child: %d\n", open_in_child(fd));
    CHECK(open_in_child(fd) == 0);
    int dupped = dup(fd); /* dup clears close-on-exec */
    printf("dup of it open in child: %d\n", open_in_child(dupped));
    CHECK(open_in_child(dupped) == 1);
    int cloexec_dup = fcntl(dupped, F_DUPFD_CLOEXEC, 0);
    printf("F_DUPFD_CLOEXEC open in child: %d\n", open_in_child(cloexec_dup));
    CHECK(open_in_child(cloexec_dup) == 0);
    close(fd);
    close(dupped);
    close(cloexec_dup);

    fd = open("/tmp/mt_a", O_RDONLY | O_CLOEXEC);
    printf("O_CLOEXEC: F_GETFD %d, open in child %d\n", fcntl(fd, F_GETFD), open_in_child(fd));
    CHECK(fcntl(fd, F_GETFD) == FD_CLOEXEC && open_in_child(fd) == 0);
    close(fd);

    int p[2];
    EXPECT_OK(pipe2(p, O_CLOEXEC), "pipe2 O_CLOEXEC");
    printf("pipe2 O_CLOEXEC ends in child: %d %d\n", open_in_child(p[0]), open_in_child(p[1]));
    CHECK(open_in_child(p[0]) == 0 && open_in_child(p[1]) == 0);
    /* dup2 onto a new number in a file action: the copy is inherited. */
    posix_spawn_file_actions_t fa;
    capture(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 20);
    char *argv[] = {"mt_child", "fd-open", "20", NULL};
    int st = run(&fa, NULL, argv, environ, NULL, 0);
    printf("adddup2 of a cloexec fd: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    CHECK(st == 0);
    posix_spawn_file_actions_destroy(&fa);
    close(p[0]);
    close(p[1]);

    /* stdin/stdout/stderr are inherited. */
    printf("stdio open in child: %d %d %d\n", open_in_child(0), open_in_child(1),
           open_in_child(2));
}

static void case_file_actions(void) {
    char out[256];
    posix_spawn_file_actions_t fa;
    /* open: stdout to a file (what capture() does), O_APPEND on a second one */
    put_file("/tmp/mt_log", "first\n");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/tmp/mt_log", O_WRONLY | O_APPEND, 0);
    char *argv[] = {"mt_child", "args", "second", NULL};
    CHECK(run(&fa, NULL, argv, environ, NULL, 0) == 0);
    printf("addopen O_APPEND: %s", get_file("/tmp/mt_log", out, sizeof out));
    CHECK(strcmp(out, "first\n[second]\n") == 0);
    posix_spawn_file_actions_destroy(&fa);

    /* dup2 then close, in order: stdout is a dup of fd 9, which is closed */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 9, OUT, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&fa, 9, 1);
    posix_spawn_file_actions_addclose(&fa, 9);
    char *argv2[] = {"mt_child", "fd-open", "9", NULL};
    int st = run(&fa, NULL, argv2, environ, NULL, 0);
    printf("closed fd 9 in child: %d\n", WIFEXITED(st) && WEXITSTATUS(st) == 1);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
    posix_spawn_file_actions_destroy(&fa);

    /* stdin from a file */
    put_file("/tmp/mt_in", "from a file\n");
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/tmp/mt_in", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, OUT, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *argv3[] = {"mt_child", "cat", NULL};
    CHECK(run(&fa, NULL, argv3, environ, out, sizeof out) == 0);
    printf("addopen stdin: %s", out);
    CHECK(strcmp(out, "from a file\n") == 0);
    posix_spawn_file_actions_destroy(&fa);

    /* a relative open after addchdir resolves in the new directory */
    mkdir("/tmp/mt_dir", 0755);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, "/tmp/mt_dir");
    posix_spawn_file_actions_addopen(&fa, 1, "rel.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char *argv4[] = {"mt_child", "args", "relative", NULL};
    CHECK(run(&fa, NULL, argv4, environ, NULL, 0) == 0);
    printf("open after chdir: %s", get_file("/tmp/mt_dir/rel.out", out, sizeof out));
    CHECK(strcmp(out, "[relative]\n") == 0);
    posix_spawn_file_actions_destroy(&fa);
}

static void case_errors(void) {
    char *argv[] = {"mt_child", "exit", "0", NULL};
    pid_t pid = 12345;
    int rc = posix_spawn(&pid, "/nonexistent/prog", NULL, NULL, argv, environ);
    printf("missing program: %s\n", ename(rc));
    CHECK(rc == ENOENT);

    put_file("/tmp/mt_text", "this is not a program\n");
    chmod("/tmp/mt_text", 0755);
    rc = posix_spawn(&pid, "/tmp/mt_text", NULL, NULL, argv, environ);
    printf("not a program: %s\n", ename(rc));
    CHECK(rc == ENOEXEC);

    rc = posix_spawn(&pid, "/tmp", NULL, NULL, argv, environ);
    printf("a directory: %s\n", ename(rc));
    CHECK(rc == EACCES);

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/nonexistent/file", O_RDONLY, 0);
    rc = posix_spawn(&pid, helper_path, &fa, NULL, argv, environ);
    printf("failing addopen: %s\n", ename(rc));
    CHECK(rc == ENOENT);
    posix_spawn_file_actions_destroy(&fa);

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, 77, 1);
    rc = posix_spawn(&pid, helper_path, &fa, NULL, argv, environ);
    printf("adddup2 of a closed fd: %s\n", ename(rc));
    CHECK(rc == EBADF);
    posix_spawn_file_actions_destroy(&fa);

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, "/nonexistent");
    rc = posix_spawn(&pid, helper_path, &fa, NULL, argv, environ);
    printf("failing addchdir: %s\n", ename(rc));
    CHECK(rc == ENOENT);
    posix_spawn_file_actions_destroy(&fa);

    /* no child was left behind by any of these */
    errno = 0;
    printf("children left: %s\n", waitpid(-1, NULL, WNOHANG) < 0 ? ename(errno) : "some");
    CHECK(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD);
}

static void case_spawnp(void) {
    char *argv[] = {"mt_child", "exit", "5", NULL};
    pid_t pid;
    const char *old = getenv("PATH");
    char saved[512];
    snprintf(saved, sizeof saved, "%s", old ? old : "");
    char path[600];
    snprintf(path, sizeof path, "/nonexistent:%s", helper_dir);
    setenv("PATH", path, 1);
    int rc = posix_spawnp(&pid, "mt_child", NULL, NULL, argv, environ);
    int st = -1;
    if (rc == 0)
        waitpid(pid, &st, 0);
    printf("spawnp via PATH: %s, exit %d\n", ename(rc), WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    CHECK(rc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 5);
    rc = posix_spawnp(&pid, "mt_no_such_program", NULL, NULL, argv, environ);
    printf("spawnp missing: %s\n", ename(rc));
    CHECK(rc == ENOENT);
    rc = posix_spawnp(&pid, helper_path, NULL, NULL, argv, environ); /* has a '/' */
    if (rc == 0)
        waitpid(pid, &st, 0);
    printf("spawnp with a slash: %s\n", ename(rc));
    CHECK(rc == 0);
    if (old)
        setenv("PATH", saved, 1);
    else
        unsetenv("PATH");
}

/* "blocked HEX ignored HEX" from mt_child mask, run with attr. */
static int child_masks(const posix_spawnattr_t *attr, unsigned long *blocked,
                       unsigned long *ignored) {
    char out[256];
    char *argv[] = {"mt_child", "mask", NULL};
    posix_spawn_file_actions_t fa;
    capture(&fa);
    int st = run(&fa, attr, argv, environ, out, sizeof out);
    posix_spawn_file_actions_destroy(&fa);
    return st == 0 && sscanf(out, "blocked %lx ignored %lx", blocked, ignored) == 2 ? 0 : -1;
}

#define BIT(sig) (1ul << ((sig) - 1))

static void on_usr1(int sig) {
    (void)sig;
}

static void case_attributes(void) {
    unsigned long blocked, ignored;
    posix_spawnattr_t attr;
    sigset_t set, saved_mask;
    sigprocmask(SIG_BLOCK, NULL, &saved_mask);

    /* the signal mask and ignored signals are inherited; handled ones are not */
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, on_usr1);
    CHECK(child_masks(NULL, &blocked, &ignored) == 0);
    printf("inherited: USR2 blocked %d, HUP ignored %d, USR1 ignored %d\n",
           !!(blocked & BIT(SIGUSR2)), !!(ignored & BIT(SIGHUP)), !!(ignored & BIT(SIGUSR1)));
    CHECK((blocked & BIT(SIGUSR2)) && (ignored & BIT(SIGHUP)) && !(ignored & BIT(SIGUSR1)));

    /* SETSIGMASK replaces the mask; SETSIGDEF resets to the default action */
    posix_spawnattr_init(&attr);
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    posix_spawnattr_setsigmask(&attr, &set);
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    posix_spawnattr_setsigdefault(&attr, &set);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    CHECK(child_masks(&attr, &blocked, &ignored) == 0);
    printf("attr: TERM blocked %d, USR2 blocked %d, HUP ignored %d\n",
           !!(blocked & BIT(SIGTERM)), !!(blocked & BIT(SIGUSR2)), !!(ignored & BIT(SIGHUP)));
    CHECK((blocked & BIT(SIGTERM)) && !(blocked & BIT(SIGUSR2)) && !(ignored & BIT(SIGHUP)));
    posix_spawnattr_destroy(&attr);
    sigprocmask(SIG_SETMASK, &saved_mask, NULL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);

    /* process groups and sessions: "PID PPID PGID SID" */
    char out[256];
    int pid, ppid, pgid, sid;
    char *argv[] = {"mt_child", "ids", NULL};
    posix_spawn_file_actions_t fa;
    capture(&fa);
    CHECK(run(&fa, NULL, argv, environ, out, sizeof out) == 0);
    CHECK(sscanf(out, "%d %d %d %d", &pid, &ppid, &pgid, &sid) == 4);
    printf("plain: ppid is us %d, our group %d, our session %d\n", ppid == (int)getpid(),
           pgid == (int)getpgrp(), sid == (int)getsid(0));
    CHECK(ppid == (int)getpid() && pgid == (int)getpgrp() && sid == (int)getsid(0));

    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    CHECK(run(&fa, &attr, argv, environ, out, sizeof out) == 0);
    CHECK(sscanf(out, "%d %d %d %d", &pid, &ppid, &pgid, &sid) == 4);
    printf("SETPGROUP 0: own group %d, our session %d\n", pgid == pid, sid == (int)getsid(0));
    CHECK(pgid == pid && sid == (int)getsid(0));
    posix_spawnattr_destroy(&attr);

    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    CHECK(run(&fa, &attr, argv, environ, out, sizeof out) == 0);
    CHECK(sscanf(out, "%d %d %d %d", &pid, &ppid, &pgid, &sid) == 4);
    printf("SETSID: own session %d, own group %d\n", sid == pid, pgid == pid);
    CHECK(sid == pid && pgid == pid);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&fa);

    short flags = 0;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSID);
    posix_spawnattr_getflags(&attr, &flags);
    CHECK(flags == (POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSID));
    posix_spawnattr_destroy(&attr);
}

static void case_many(void) {
    /* Children started one after the other get distinct pids and all exit. */
    pid_t pids[20];
    char *argv[] = {"mt_child", "exit", "0", NULL};
    int ok = 1;
    for (int i = 0; i < 20; i++)
        ok &= posix_spawn(&pids[i], helper_path, NULL, NULL, argv, environ) == 0;
    for (int i = 0; i < 20; i++)
        for (int j = 0; j < i; j++)
            ok &= pids[i] != pids[j];
    for (int i = 0; i < 20; i++) {
        int st;
        ok &= waitpid(pids[i], &st, 0) == pids[i] && st == 0;
    }
    printf("20 children: %s\n", ok ? "ok" : "failed");
    CHECK(ok);
}

int main(int argc, char **argv) {
    const char *dir = getenv("MT_BIN");
    snprintf(helper_dir, sizeof helper_dir, "%s", dir ? dir : "/bin");
    snprintf(helper_path, sizeof helper_path, "%s/mt_child", helper_dir);

    static const struct mt_case cases[] = {
        {"argv", case_argv},         {"env", case_env},
        {"cwd", case_cwd},           {"fds", case_fds},
        {"file_actions", case_file_actions},
        {"errors", case_errors},     {"spawnp", case_spawnp},
        {"attributes", case_attributes},
        {"many", case_many},
    };
    return run_cases(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
