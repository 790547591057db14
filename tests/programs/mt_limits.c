/*
 * mt_limits: resource limits end to end. Needs /bin/mt_child, and an
 * Occlum.json with a finite process limit and a per-process memory limit.
 *   nproc   spawning children that stay alive until posix_spawn fails with
 *           EAGAIN (at most RLIMIT_NPROC, if finite; gives up after 5000);
 *           after reaping them, spawning works again
 *   memory  a child that allocates past its memory limit dies (the parent
 *           sees a signal or a non-zero exit) and the parent is unharmed;
 *           the parent's own failed malloc returns NULL. The child allocates
 *           --mem-mb=N MiB (default 4096: more than a wasm32 process can
 *           ever have)
 *   nofile  opening files until EMFILE (at most RLIMIT_NOFILE), then again
 *           after closing them
 *   rlimits getrlimit/setrlimit: lowering works, raising above max fails
 *
 * Every case has a name; --skip=NAME skips it. Helpers come from $MT_BIN
 * (default /bin).
 */
#include "common.h"

#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

static char helper_path[512];
static const char *mem_mb = "4096";

/* common.h's errname(), naming a few more errors (EXPECT_ERR uses it). */
static const char *ename(int e) {
    return e == ECHILD ? "ECHILD" : e == ESRCH ? "ESRCH" : e == ENOEXEC ? "ENOEXEC" : (errname)(e);
}
#define errname(e) ename(e)

#define MAX_CHILDREN 5000

static void case_nproc(void) {
    struct rlimit rl;
    EXPECT_OK(getrlimit(RLIMIT_NPROC, &rl), "getrlimit RLIMIT_NPROC");
    printf("RLIMIT_NPROC finite: %d\n", rl.rlim_cur != RLIM_INFINITY);
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    char *argv[] = {"mt_child", "wait-eof", NULL};
    static pid_t pids[MAX_CHILDREN];
    int n = 0, rc = 0;
    while (n < MAX_CHILDREN && (rc = posix_spawn(&pids[n], helper_path, &fa, NULL, argv,
                                                 environ)) == 0)
        n++;
    printf("spawned some: %d, then %s\n", n > 0, errname(rc));
    CHECK(n > 0 && rc == EAGAIN);
    if (rl.rlim_cur != RLIM_INFINITY) {
        printf("no more than RLIMIT_NPROC: %d\n", (unsigned long long)n <= rl.rlim_cur);
        CHECK((unsigned long long)n <= rl.rlim_cur);
    }
    close(p[1]);
    int clean = 0;
    for (int i = 0; i < n; i++) {
        int st;
        clean += waitpid(pids[i], &st, 0) == pids[i] && st == 0;
    }
    printf("all exited cleanly: %d\n", clean == n);
    CHECK(clean == n);
    close(p[0]);
    posix_spawn_file_actions_destroy(&fa);
    char *exit0[] = {"mt_child", "exit", "0", NULL};
    pid_t pid;
    rc = posix_spawn(&pid, helper_path, NULL, NULL, exit0, environ);
    printf("spawn after reaping: %s\n", errname(rc));
    CHECK(rc == 0);
    int st;
    CHECK(rc != 0 || (waitpid(pid, &st, 0) == pid && st == 0));
}

static void case_memory(void) {
    char *argv[] = {"mt_child", "alloc", (char *)mem_mb, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, helper_path, NULL, NULL, argv, environ);
    CHECK(rc == 0);
    int st = 0;
    CHECK(rc != 0 || waitpid(pid, &st, 0) == pid);
    printf("child past its memory limit: %s\n",
           WIFSIGNALED(st) ? "killed by a signal" : WEXITSTATUS(st) ? "failed" : "succeeded");
    CHECK(WIFSIGNALED(st) || WEXITSTATUS(st) != 0);

    /* the parent: a failed allocation is NULL, not death */
    void *volatile big = malloc((size_t)-1 / 2); /* volatile: not elided */
    printf("huge malloc in the parent: %s\n", big == NULL ? "NULL" : "succeeded");
    CHECK(big == NULL);
    free(big);
    char *argv2[] = {"mt_child", "alloc", "4", NULL};
    rc = posix_spawn(&pid, helper_path, NULL, NULL, argv2, environ);
    CHECK(rc == 0 && waitpid(pid, &st, 0) == pid);
    printf("a small child afterwards: %s\n", st == 0 ? "ok" : "failed");
    CHECK(st == 0);
}

#define MAX_FILES 100000

static void case_nofile(void) {
    struct rlimit rl;
    EXPECT_OK(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit RLIMIT_NOFILE");
    static int fds[MAX_FILES];
    int n = 0, e = 0;
    while (n < MAX_FILES) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            e = errno;
            break;
        }
        fds[n++] = fd;
    }
    printf("opened some: %d, then %s\n", n > 0, errname(e));
    CHECK(n > 0 && e == EMFILE);
    if (rl.rlim_cur != RLIM_INFINITY)
        CHECK((unsigned long long)n < rl.rlim_cur);
    int p[2];
    EXPECT_ERR(pipe(p), EMFILE, "pipe at the limit");
    EXPECT_ERR(dup(0), EMFILE, "dup at the limit");
    for (int i = 0; i < n; i++)
        close(fds[i]);
    int fd = open("/dev/null", O_RDONLY);
    printf("open after closing: %s\n", fd >= 0 ? "ok" : errname(errno));
    CHECK(fd >= 0);
    close(fd);
}

static void case_rlimits(void) {
    struct rlimit rl, lower;
    EXPECT_OK(getrlimit(RLIMIT_NOFILE, &rl), "getrlimit RLIMIT_NOFILE");
    printf("cur <= max: %d\n", rl.rlim_cur <= rl.rlim_max);
    CHECK(rl.rlim_cur <= rl.rlim_max);
    lower.rlim_cur = 64;
    lower.rlim_max = rl.rlim_max;
    EXPECT_OK(setrlimit(RLIMIT_NOFILE, &lower), "lower the soft limit");
    struct rlimit now;
    getrlimit(RLIMIT_NOFILE, &now);
    CHECK(now.rlim_cur == 64);
    static int fds[128];
    int n = 0;
    while (n < 128 && (fds[n] = open("/dev/null", O_RDONLY)) >= 0)
        n++;
    printf("opened below 64: %d (%s)\n", n < 64, errname(errno));
    CHECK(n < 64 && errno == EMFILE);
    while (n > 0)
        close(fds[--n]);
    EXPECT_OK(setrlimit(RLIMIT_NOFILE, &rl), "back up to max");
    if (rl.rlim_max != RLIM_INFINITY) {
        struct rlimit above = {rl.rlim_max + 1, rl.rlim_max + 1};
        EXPECT_ERR(setrlimit(RLIMIT_NOFILE, &above), EPERM, "above the hard limit");
    }
    struct rlimit bad = {10, 5};
    EXPECT_ERR(setrlimit(RLIMIT_NOFILE, &bad), EINVAL, "cur above max");
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strncmp(argv[i], "--mem-mb=", 9) == 0)
            mem_mb = argv[i] + 9;
    const char *dir = getenv("MT_BIN");
    snprintf(helper_path, sizeof helper_path, "%s/mt_child", dir ? dir : "/bin");

    static const struct mt_case cases[] = {
        {"nproc", case_nproc},
        {"memory", case_memory},
        {"nofile", case_nofile},
        {"rlimits", case_rlimits},
    };
    return run_cases(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
