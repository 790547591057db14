/*
 * mt_pipe: pipes end to end. Needs /bin/mt_child.
 * EOF when the last writer closes, 1 MiB each way between parent and child,
 * O_NONBLOCK (EAGAIN both ways), SIGPIPE (default: the writer dies with
 * 13; ignored: write fails with EPIPE, also across spawn), pipes with dup
 * and fcntl.
 *
 * Every case has a name; --skip=NAME skips it. Helpers come from $MT_BIN
 * (default /bin).
 */
#include "common.h"

#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <sys/wait.h>

extern char **environ;

static char helper_path[512];

/* common.h's errname(), naming a few more errors (EXPECT_ERR uses it). */
static const char *ename(int e) {
    return e == ECHILD ? "ECHILD" : e == ESRCH ? "ESRCH" : e == ENOEXEC ? "ENOEXEC" : (errname)(e);
}
#define errname(e) ename(e)

/* Starts "mt_child MODE ARG" with stdin from `in` and stdout to `out`
 * (-1: inherited); returns the pid or -1. */
static pid_t start(int in, int out, const char *mode, const char *arg) {
    char *argv[] = {"mt_child", (char *)mode, (char *)arg, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in >= 0)
        posix_spawn_file_actions_adddup2(&fa, in, 0);
    if (out >= 0)
        posix_spawn_file_actions_adddup2(&fa, out, 1);
    pid_t pid;
    int rc = posix_spawn(&pid, helper_path, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        printf("spawn %s: %s\n", mode, errname(rc));
        return -1;
    }
    return pid;
}

static int wait_status(pid_t pid) {
    int st = -1;
    return waitpid(pid, &st, 0) == pid ? st : -1;
}

static unsigned char pattern(size_t i) { /* as mt_child produce */
    return (unsigned char)(i * 7 + i / 4096 + 3);
}

static uint32_t checksum(uint32_t h, const unsigned char *p, size_t n) { /* as mt_child count */
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void case_eof(void) {
    int p[2];
    EXPECT_OK(pipe(p), "pipe");
    char buf[16];
    CHECK(write(p[1], "abc", 3) == 3);
    int extra = dup(p[1]);
    close(p[1]);
    CHECK(write(extra, "de", 2) == 2);
    close(extra); /* the last writer */
    ssize_t a = read(p[0], buf, sizeof buf);
    ssize_t b = read(p[0], buf, sizeof buf);
    printf("read %ld then %ld (EOF)\n", (long)a, (long)b);
    CHECK(a == 5 && b == 0);
    close(p[0]);

    /* a child holding the write end: EOF only when it exits */
    EXPECT_OK(pipe2(p, O_CLOEXEC), "pipe2");
    pid_t pid = start(-1, p[1], "sleep", "100"); /* stdout = the pipe, writes nothing */
    close(p[1]);
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("child exited without writing: read %ld\n", (long)n);
    CHECK(n == 0);
    CHECK(wait_status(pid) != -1);
    close(p[0]);
}

#define MIB (1 << 20)

static void case_one_mib(void) {
    /* parent -> child: the child counts and checksums what it reads */
    int in[2], out[2];
    CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0);
    pid_t pid = start(in[0], out[1], "count", NULL);
    close(in[0]);
    close(out[1]);
    static unsigned char data[MIB];
    for (size_t i = 0; i < MIB; i++)
        data[i] = pattern(i);
    size_t sent = 0;
    while (sent < MIB) {
        ssize_t n = write(in[1], data + sent, MIB - sent < 65536 ? MIB - sent : 65536);
        if (n <= 0)
            break;
        sent += (size_t)n;
    }
    close(in[1]);
    char result[64] = "";
    ssize_t n = read(out[0], result, sizeof result - 1);
    result[n > 0 ? n : 0] = '\0';
    close(out[0]);
    char want[64];
    snprintf(want, sizeof want, "%d %08x\n", MIB, (unsigned)checksum(2166136261u, data, MIB));
    printf("sent %zu; child counted: %s", sent, result);
    CHECK(sent == MIB && strcmp(result, want) == 0);
    CHECK(wait_status(pid) == 0);

    /* child -> parent */
    CHECK(pipe2(out, O_CLOEXEC) == 0);
    char size[16];
    snprintf(size, sizeof size, "%d", MIB);
    pid = start(-1, out[1], "produce", size);
    close(out[1]);
    size_t got = 0, bad = 0;
    unsigned char buf[10000];
    while ((n = read(out[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++)
            bad += buf[i] != pattern(got + (size_t)i);
        got += (size_t)n;
    }
    close(out[0]);
    printf("received %zu bytes, %zu wrong\n", got, bad);
    CHECK(got == MIB && bad == 0);
    CHECK(wait_status(pid) == 0);
}

static void case_nonblock(void) {
    int p[2];
    EXPECT_OK(pipe2(p, O_NONBLOCK), "pipe2 O_NONBLOCK");
    printf("F_GETFL has O_NONBLOCK: %d %d\n", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK),
           !!(fcntl(p[1], F_GETFL) & O_NONBLOCK));
    CHECK((fcntl(p[0], F_GETFL) & O_NONBLOCK) && (fcntl(p[1], F_GETFL) & O_NONBLOCK));
    char buf[4096];
    EXPECT_ERR(read(p[0], buf, sizeof buf), EAGAIN, "read empty");
    memset(buf, 'x', sizeof buf);
    size_t total = 0;
    ssize_t n;
    while ((n = write(p[1], buf, sizeof buf)) > 0)
        total += (size_t)n;
    int e = errno;
    printf("filled after >= %d bytes: %d, then %s\n", PIPE_BUF, total >= PIPE_BUF, errname(e));
    CHECK(total >= PIPE_BUF && n < 0 && e == EAGAIN);
    CHECK(read(p[0], buf, sizeof buf) > 0);
    /* F_SETFL turns it off again */
    EXPECT_OK(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) & ~O_NONBLOCK), "F_SETFL");
    CHECK(!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    close(p[0]);
    close(p[1]);
}

static void case_sigpipe(void) {
    /* default action: a writer to a pipe without readers dies with SIGPIPE */
    int p[2];
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    close(p[0]);
    pid_t pid = start(-1, p[1], "sigpipe", NULL);
    close(p[1]);
    int st = wait_status(pid);
    printf("default: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGPIPE);

    /* ignored (and inherited across spawn): EPIPE */
    signal(SIGPIPE, SIG_IGN);
    CHECK(pipe2(p, O_CLOEXEC) == 0);
    close(p[0]);
    EXPECT_ERR(write(p[1], "x", 1), EPIPE, "write with SIGPIPE ignored");
    pid = start(-1, p[1], "sigpipe", NULL);
    close(p[1]);
    st = wait_status(pid);
    printf("ignored in the child: exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
    signal(SIGPIPE, SIG_DFL);
}

static void case_descriptors(void) {
    int p[2];
    CHECK(pipe(p) == 0);
    printf("F_GETFL: read end O_RDONLY %d, write end O_WRONLY %d\n",
           (fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY,
           (fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
    CHECK((fcntl(p[0], F_GETFL) & O_ACCMODE) == O_RDONLY);
    CHECK((fcntl(p[1], F_GETFL) & O_ACCMODE) == O_WRONLY);
    EXPECT_ERR(write(p[0], "x", 1), EBADF, "write to the read end");
    int high = fcntl(p[1], F_DUPFD, 50);
    printf("F_DUPFD 50: %d\n", high >= 50);
    CHECK(high >= 50);
    EXPECT_OK(dup2(p[1], 40), "dup2 to 40");
    EXPECT_OK(dup3(p[1], 41, O_CLOEXEC), "dup3 O_CLOEXEC");
    CHECK(fcntl(41, F_GETFD) == FD_CLOEXEC && fcntl(40, F_GETFD) == 0);
    EXPECT_ERR(dup3(p[1], p[1], 0), EINVAL, "dup3 onto itself");
    CHECK(dup2(p[1], p[1]) == p[1]);
    EXPECT_ERR(dup2(99, 42), EBADF, "dup2 of a closed fd");
    CHECK(write(high, "1", 1) == 1 && write(40, "2", 1) == 1 && write(41, "3", 1) == 1);
    close(high);
    close(40);
    close(41);
    close(p[1]);
    char buf[8];
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("through the copies: %.*s\n", (int)(n > 0 ? n : 0), buf);
    CHECK(n == 3 && memcmp(buf, "123", 3) == 0 && read(p[0], buf, 1) == 0);
    close(p[0]);
}

int main(int argc, char **argv) {
    const char *dir = getenv("MT_BIN");
    snprintf(helper_path, sizeof helper_path, "%s/mt_child", dir ? dir : "/bin");

    static const struct mt_case cases[] = {
        {"eof", case_eof},
        {"one_mib", case_one_mib},
        {"nonblock", case_nonblock},
        {"sigpipe", case_sigpipe},
        {"descriptors", case_descriptors},
    };
    return run_cases(argc, argv, cases, sizeof cases / sizeof cases[0]);
}
