/*
 * mt_shell: system() and popen() end to end. Needs /bin/sh: a copy of
 * mt_child, whose tiny shell runs "exit N", "echo WORDS", "cat",
 * "cat > FILE", "true", "false" and "kill -N $$" (a real sh does too).
 *
 * Every case has a name; --skip=NAME skips it.
 */
#include "common.h"

#include <signal.h>
#include <sys/wait.h>

static void case_system(void) {
    printf("shell available: %d\n", system(NULL) != 0);
    CHECK(system(NULL) != 0);
    int st = system("exit 3");
    printf("exit 3: %d %d\n", WIFEXITED(st), WEXITSTATUS(st));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    st = system("true");
    CHECK(st == 0);
    fflush(stdout);
    st = system("echo from the shell");
    printf("echo: %d\n", st);
    CHECK(st == 0);
    st = system("kill -9 $$");
    printf("killed shell: %d %d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

    /* our SIGCHLD handling and signal mask are back as they were */
    sigset_t mask;
    sigprocmask(SIG_BLOCK, NULL, &mask);
    struct sigaction sa;
    sigaction(SIGINT, NULL, &sa);
    printf("after: SIGCHLD blocked %d, SIGINT ignored %d\n", sigismember(&mask, SIGCHLD),
           sa.sa_handler == SIG_IGN);
    CHECK(!sigismember(&mask, SIGCHLD) && sa.sa_handler != SIG_IGN);
}

static void case_popen_read(void) {
    FILE *f = popen("echo hello popen", "r");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    char line[128] = "";
    char *got = fgets(line, sizeof line, f);
    printf("read: %s", got ? line : "(nothing)\n");
    CHECK(got != NULL && strcmp(line, "hello popen\n") == 0);
    CHECK(fgets(line, sizeof line, f) == NULL); /* EOF */
    int st = pclose(f);
    printf("pclose: %d\n", st);
    CHECK(st == 0);

    f = popen("exit 7", "r");
    st = f ? pclose(f) : -1;
    printf("pclose of exit 7: %d %d\n", WIFEXITED(st), WEXITSTATUS(st));
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 7);
}

static void case_popen_write(void) {
    unlink("/tmp/mt_popen");
    FILE *f = popen("cat > /tmp/mt_popen", "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    for (int i = 0; i < 1000; i++)
        fprintf(f, "line %d\n", i);
    int st = pclose(f);
    char buf[16384];
    get_file("/tmp/mt_popen", buf, sizeof buf);
    char *last = strstr(buf, "line 999\n");
    printf("pclose: %d, all lines arrived: %d\n", st, last != NULL && strlen(buf) == 8890);
    CHECK(st == 0 && last != NULL && strlen(buf) == 8890);
}

static void case_popen_two(void) {
    /* two streams at once; the second shell does not hold the first pipe */
    FILE *a = popen("cat > /tmp/mt_popen_a", "w");
    FILE *b = popen("echo b", "r");
    CHECK(a != NULL && b != NULL);
    if (a == NULL || b == NULL)
        return;
    char line[32] = "";
    CHECK(fgets(line, sizeof line, b) != NULL && strcmp(line, "b\n") == 0);
    int sb = pclose(b); /* would hang if "echo b" kept a's pipe open: a is still open */
    fputs("a\n", a);
    int sa = pclose(a);
    char buf[32];
    get_file("/tmp/mt_popen_a", buf, sizeof buf);
    printf("two streams: %d %d %s", sa, sb, buf);
    CHECK(sa == 0 && sb == 0 && strcmp(buf, "a\n") == 0);
    errno = 0;
    CHECK(popen("true", "x") == NULL && errno == EINVAL);
}

int main(int argc, char **argv) {

    static const struct mt_case cases[] = {
        {"system", case_system},
        {"popen_read", case_popen_read},
        {"popen_write", case_popen_write},
        {"popen_two", case_popen_two},
    };
    return run_cases(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
