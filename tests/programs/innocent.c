/*
 * innocent: the bystander of tests/hardening/test_hostile_programs.py
 * (issue 16). While a hostile process attacks the LibOS, it keeps working
 * and checks every result:
 *   innocent work         keeps $INNOCENT_SECRET (its environment only, not
 *                         its arguments) and a 2 MiB pattern in its memory and
 *                         loops: check the pattern, write 64 KiB to
 *                         /tmp/innocent.data and read it back, send 4 KiB
 *                         through a pipe to itself; each result is checked.
 *                         Counts SIGUSR1s (a handler). Prints "ready" after
 *                         the first round, and when /tmp/innocent.stop exists
 *                         prints "innocent: ok rounds>0 N signals S" and exits
 *                         0 (any failed check: a FAIL line, exit 1).
 *   innocent stop         creates /tmp/innocent.stop
 * EINTR is retried (a signal storm interrupts the calls).
 */
#include "common.h"

#include <signal.h>
#include <sys/stat.h>

#define PATTERN_SIZE (2u << 20)
#define DATA_SIZE (64u << 10)
#define PIPE_CHUNK 4096u

static volatile sig_atomic_t signals;
static char *marker_copy;

static void on_usr1(int sig) {
    (void)sig;
    signals++;
}

static unsigned char pattern_at(size_t i, unsigned round) {
    return (unsigned char)((i * 131u) ^ (i >> 9) ^ round);
}

static int write_all(int fd, const char *p, size_t len) {
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, char *p, size_t len) {
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int fail(const char *what, unsigned round) {
    printf("FAIL %s (round %u, %s)\n", what, round, errname(errno));
    fflush(stdout);
    return 1;
}

static int work(const char *marker) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    marker_copy = strdup(marker);
    unsigned char *pattern = malloc(PATTERN_SIZE);
    char *data = malloc(DATA_SIZE), *back = malloc(DATA_SIZE);
    if (marker_copy == NULL || pattern == NULL || data == NULL || back == NULL)
        return fail("malloc", 0);
    for (size_t i = 0; i < PATTERN_SIZE; i++)
        pattern[i] = pattern_at(i, 0);
    int p[2];
    if (pipe(p) != 0)
        return fail("pipe", 0);
    unsigned round = 0;
    for (;; round++) {
        for (size_t i = 0; i < PATTERN_SIZE; i += 4093)
            if (pattern[i] != pattern_at(i, 0))
                return fail("pattern changed", round);
        if (strcmp(marker_copy, marker) != 0)
            return fail("marker changed", round);
        for (size_t i = 0; i < DATA_SIZE; i++)
            data[i] = (char)(i * 7u + round);
        int fd = open("/tmp/innocent.data", O_RDWR | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            return fail("open", round);
        if (write_all(fd, data, DATA_SIZE) != 0)
            return fail("write", round);
        if (lseek(fd, 0, SEEK_SET) != 0)
            return fail("lseek", round);
        memset(back, 0, DATA_SIZE);
        if (read_all(fd, back, DATA_SIZE) != 0 || memcmp(data, back, DATA_SIZE) != 0)
            return fail("read back", round);
        close(fd);
        if (write_all(p[1], data, PIPE_CHUNK) != 0)
            return fail("pipe write", round);
        if (read_all(p[0], back, PIPE_CHUNK) != 0 || memcmp(data, back, PIPE_CHUNK) != 0)
            return fail("pipe read", round);
        if (round == 0) {
            puts("ready");
            fflush(stdout);
        }
        struct stat st;
        if (stat("/tmp/innocent.stop", &st) == 0)
            break;
    }
    printf("innocent: ok rounds>0 %d signals %d\n", round > 0, (int)signals);
    return 0;
}

int main(int argc, char **argv) {
    const char *secret = getenv("INNOCENT_SECRET");
    if (argc > 1 && !strcmp(argv[1], "work"))
        return work(secret != NULL ? secret : "");
    if (argc > 1 && !strcmp(argv[1], "stop"))
        return put_file("/tmp/innocent.stop", "stop\n") == 0 ? 0 : 1;
    fprintf(stderr, "innocent: unknown mode\n");
    return 2;
}
