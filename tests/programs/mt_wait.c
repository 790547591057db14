/*
 * mt_wait: waiting and killing end to end. Needs /bin/mt_child.
 * ECHILD, exit statuses, WNOHANG, pid -1, process groups (0 and -pgid),
 * kill (ESRCH, EINVAL, signal 0), killing a busy child (status 9), killpg,
 * 200 children alive at once, and reparenting to 1 when a parent dies (if
 * this program is process 1, as the first process under PyOcclum is, the
 * orphan becomes its child).
 *
 * Every case has a name; --skip=NAME skips it. Helpers come from $MT_BIN
 * (default /bin).
 */
#include "common.h"

#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static char helper_path[512];

/* common.h's errname(), naming a few more errors (EXPECT_ERR uses it). */
static const char *ename(int e) {
    return e == ECHILD ? "ECHILD" : e == ESRCH ? "ESRCH" : e == ENOEXEC ? "ENOEXEC" : (errname)(e);
}
#define errname(e) ename(e)

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts "mt_child ARGS..." (NULL-terminated after the mode) with optional
 * stdin (fd, or -1) and attributes; returns the pid or -1. */
static pid_t start(const posix_spawnattr_t *attr, int in, const char *mode, const char *arg) {
    char *argv[] = {"mt_child", (char *)mode, (char *)arg, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in >= 0)
        posix_spawn_file_actions_adddup2(&fa, in, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, helper_path, &fa, attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        printf("spawn %s: %s\n", mode, ename(rc));
        return -1;
    }
    return pid;
}

/* "exit N" / "signal N" for a wait status. */
static const char *describe(int st) {
    static char buf[32];
    if (WIFEXITED(st))
        snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, sizeof buf, "signal %d", WTERMSIG(st));
    else
        snprintf(buf, sizeof buf, "status %#x", st);
    return buf;
}

static void case_echild(void) {
    EXPECT_ERR(wait(NULL), ECHILD, "wait without children");
    EXPECT_ERR(waitpid(-1, NULL, WNOHANG), ECHILD, "waitpid -1 WNOHANG");
    pid_t pid = start(NULL, -1, "exit", "0");
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    EXPECT_ERR(waitpid(pid, &st, 0), ECHILD, "waitpid of a reaped child");
}

static void case_statuses(void) {
    static const char *codes[] = {"0", "3", "255"};
    for (int i = 0; i < 3; i++) {
        pid_t pid = start(NULL, -1, "exit", codes[i]);
        int st = -1;
        CHECK(waitpid(pid, &st, 0) == pid);
        printf("exit %s: %s\n", codes[i], describe(st));
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == atoi(codes[i]) && !WIFSIGNALED(st));
    }
    pid_t pid = start(NULL, -1, "pause", NULL);
    sleep_ms(50);
    EXPECT_OK(kill(pid, SIGTERM), "kill SIGTERM");
    int st = -1;
    CHECK(waitpid(pid, &st, 0) == pid);
    printf("SIGTERM: %s\n", describe(st));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM && !WIFEXITED(st));
}

static void case_wnohang(void) {
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    pid_t pid = start(NULL, p[0], "wait-eof", NULL);
    int st = 12345;
    pid_t r = waitpid(pid, &st, WNOHANG);
    printf("WNOHANG while running: %d, status untouched %d\n", (int)r, st == 12345);
    CHECK(r == 0 && st == 12345);
    r = waitpid(-1, &st, WNOHANG);
    CHECK(r == 0);
    close(p[1]);
    r = waitpid(pid, &st, 0);
    printf("after EOF: %s\n", r == pid ? describe(st) : "wrong pid");
    CHECK(r == pid && st == 0);
    close(p[0]);
}

static void case_any_child(void) {
    pid_t pids[3];
    static const char *codes[] = {"1", "2", "3"};
    for (int i = 0; i < 3; i++)
        pids[i] = start(NULL, -1, "exit", codes[i]);
    int seen = 0;
    for (int n = 0; n < 3; n++) {
        int st;
        pid_t r = waitpid(-1, &st, 0);
        for (int i = 0; i < 3; i++)
            if (r == pids[i] && WIFEXITED(st) && WEXITSTATUS(st) == i + 1)
                seen |= 1 << i;
    }
    printf("pid -1 reaped all three: %d\n", seen == 7);
    CHECK(seen == 7);
    EXPECT_ERR(wait(NULL), ECHILD, "then");
}

static void case_groups(void) {
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    pid_t leader = start(&attr, p[0], "wait-eof", NULL); /* its own group */
    posix_spawnattr_destroy(&attr);
    pid_t member = start(NULL, -1, "exit", "5"); /* our group */
    printf("getpgid(child in own group) is its pid: %d\n", getpgid(leader) == leader);
    CHECK(getpgid(leader) == leader);
    printf("getpgid(child in our group) is ours: %d\n", getpgid(member) == getpgrp());
    int st;
    pid_t r = waitpid(-leader, &st, WNOHANG);
    printf("waitpid(-group, WNOHANG) while running: %d\n", (int)r);
    CHECK(r == 0);
    r = waitpid(0, &st, 0);
    printf("waitpid(0) reaps the one in our group: %d (%s)\n", r == member, describe(st));
    CHECK(r == member && WIFEXITED(st) && WEXITSTATUS(st) == 5);
    EXPECT_ERR(waitpid(0, &st, WNOHANG), ECHILD, "waitpid(0) with none left in our group");
    close(p[1]);
    r = waitpid(-leader, &st, 0);
    printf("waitpid(-group): %d (%s)\n", r == leader, describe(st));
    CHECK(r == leader && st == 0);
    close(p[0]);
    errno = 0;
    EXPECT_ERR(getpgid(leader), ESRCH, "getpgid of a reaped child");
}

static void case_kill(void) {
    pid_t pid = start(NULL, -1, "spin", NULL);
    EXPECT_OK(kill(pid, 0), "kill(child, 0)");
    EXPECT_ERR(kill(pid, 1000), EINVAL, "kill with a bad signal");
    sleep_ms(100); /* let it spin */
    int st = -1;
    CHECK(waitpid(pid, &st, WNOHANG) == 0);
    EXPECT_OK(kill(pid, SIGKILL), "kill SIGKILL a busy child");
    CHECK(waitpid(pid, &st, 0) == pid);
    printf("busy child: %s\n", describe(st));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    EXPECT_ERR(kill(pid, 0), ESRCH, "kill a reaped child");
    EXPECT_OK(kill(getpid(), 0), "kill(self, 0)");
    EXPECT_OK(kill(0, 0), "kill(0, 0)");
}

static void case_killpg(void) {
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attr, 0);
    pid_t a = start(&attr, -1, "spin", NULL);
    posix_spawnattr_setpgroup(&attr, a);
    pid_t b = start(&attr, -1, "pause", NULL);
    posix_spawnattr_destroy(&attr);
    sleep_ms(50);
    printf("same group: %d\n", getpgid(a) == a && getpgid(b) == a);
    CHECK(getpgid(a) == a && getpgid(b) == a);
    EXPECT_OK(killpg(a, SIGKILL), "killpg SIGKILL");
    int sa = -1, sb = -1;
    CHECK(waitpid(a, &sa, 0) == a && waitpid(b, &sb, 0) == b);
    printf("group members: %s", describe(sa));
    printf(", %s\n", describe(sb));
    CHECK(WIFSIGNALED(sa) && WTERMSIG(sa) == SIGKILL && WIFSIGNALED(sb) &&
          WTERMSIG(sb) == SIGKILL);
    EXPECT_ERR(killpg(a, SIGKILL), ESRCH, "killpg of an empty group");
}

#define MANY 200

static void case_many_alive(void) {
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    static pid_t pids[MANY];
    int started = 0;
    for (; started < MANY; started++)
        if ((pids[started] = start(NULL, p[0], "wait-eof", NULL)) < 0)
            break;
    int alive = 0;
    for (int i = 0; i < started; i++)
        alive += kill(pids[i], 0) == 0;
    printf("started %d, alive %d\n", started, alive);
    CHECK(started == MANY && alive == MANY);
    close(p[1]); /* EOF for all of them */
    int ok = 0;
    for (int i = 0; i < started; i++) {
        int st;
        ok += waitpid(pids[i], &st, 0) == pids[i] && st == 0;
    }
    printf("exited cleanly: %d\n", ok);
    CHECK(ok == MANY);
    close(p[0]);
}

static void case_reparent(void) {
    const char *file = "/tmp/mt_ppid";
    unlink(file);
    char *argv[] = {"mt_child", "orphan", "300", (char *)file, NULL};
    pid_t pid;
    CHECK(posix_spawn(&pid, helper_path, NULL, NULL, argv, environ) == 0);
    int st;
    CHECK(waitpid(pid, &st, 0) == pid && st == 0); /* the parent is gone */
    char buf[32] = "";
    for (int i = 0; i < 400 && access(file, F_OK) != 0; i++)
        sleep_ms(50);
    get_file(file, buf, sizeof buf);
    printf("orphan's ppid: %s", buf);
    CHECK(strcmp(buf, "1\n") == 0);
    if (getpid() == 1) {
        /* We are process 1 (the first process under PyOcclum): the orphan
         * is our child now, and we reap it. */
        int orphan_st = -1;
        pid_t r = waitpid(-1, &orphan_st, 0);
        printf("process 1 reaps the orphan: %d\n", r > 0 && orphan_st == 0);
        CHECK(r > 0 && r != pid && orphan_st == 0);
    }
    EXPECT_ERR(waitpid(-1, NULL, WNOHANG), ECHILD, "no child left");
}

int main(int argc, char **argv) {
    const char *dir = getenv("MT_BIN");
    snprintf(helper_path, sizeof helper_path, "%s/mt_child", dir ? dir : "/bin");

    static const struct mt_case cases[] = {
        {"echild", case_echild},   {"statuses", case_statuses},
        {"wnohang", case_wnohang}, {"any_child", case_any_child},
        {"groups", case_groups},   {"kill", case_kill},
        {"killpg", case_killpg},   {"many_alive", case_many_alive},
        {"reparent", case_reparent},
    };
    return run_cases(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
