/*
 * load_chat: many live processes chatting over pipes (tests/hardening/test_load.py).
 *
 *   load_chat ring N MILLIS [TOKENS] [--sync]
 *       Spawns N copies of itself as relays, joined in a ring of pipes
 *       (this process -> relay 1 -> relay 2 -> ... -> relay N -> this process),
 *       sends TOKENS (default 64) tokens around it and keeps them going for
 *       MILLIS ms. Each token is {id, hop}: relay i checks that it arrives with
 *       hop i-1 and passes it on with hop i; back here it must have hop N.
 *       Then it closes the ring: every relay sees EOF, passes it on and exits
 *       0 (1 if a token came wrong). Exits 0 only if every relay exited 0 and
 *       every token came back right.
 *       Prints "start N" (nothing spawned yet), "spawned N", "live N" (every
 *       token went round once: every relay has run), "chatted T" (T tokens
 *       came back in all, every relay still alive) and "done N relays, T trips,
 *       H hops" (H: pipe transfers). With --sync it waits for one byte on
 *       stdin after "start", "live" and "chatted" (the test samples the host's
 *       memory there).
 *   load_chat fanin N MILLIS
 *       Spawns N writers that all write 4096-byte records (PIPE_BUF: each
 *       write is atomic) into one pipe for MILLIS ms, then one end record
 *       with their count; this process reads them all and checks that no
 *       record was torn, mixed, lost, repeated or reordered per writer.
 *       Prints "done N writers, R records, B bytes"; exits 0 only if all was
 *       well.
 *   load_chat relay I      (spawned by ring)
 *   load_chat writer I MILLIS (spawned by fanin)
 *   load_chat hold PATH    reads stdin to EOF, then writes "held\n" to PATH.
 *   load_chat cat PATH     prints PATH's contents.
 *   load_chat fill PATH KIB  writes KIB KiB of a pattern seeded by PATH to PATH,
 *                          fsyncs, reads it back and checks it; "filled PATH".
 *   load_chat check PATH KIB checks that PATH holds exactly fill's pattern.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct token {
    uint32_t id;
    uint32_t hop;
};

#define BATCH 64

static int write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Reads whole tokens into t (at most max): their count, 0 at EOF, -1 on error. */
static int read_tokens(int fd, struct token *t, int max) {
    size_t have = 0, want = sizeof *t;
    char *p = (char *)t;
    for (;;) {
        ssize_t r = read(fd, p + have, (size_t)max * sizeof *t - have);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            return have == 0 ? 0 : -1; /* EOF inside a token */
        have += (size_t)r;
        if (have % want == 0)
            return (int)(have / want);
    }
}

static int relay(int index) {
    struct token t[BATCH];
    int bad = 0;
    for (;;) {
        int n = read_tokens(0, t, BATCH);
        if (n < 0) {
            fprintf(stderr, "relay %d: read: %s\n", index, strerror(errno));
            return 2;
        }
        if (n == 0)
            break;
        for (int i = 0; i < n; i++) {
            if (t[i].hop != (uint32_t)(index - 1)) {
                if (!bad)
                    fprintf(stderr, "relay %d: token %u came with hop %u\n", index,
                            (unsigned)t[i].id, (unsigned)t[i].hop);
                bad = 1;
            }
            t[i].hop = (uint32_t)index;
        }
        if (write_all(1, t, (size_t)n * sizeof t[0]) < 0) {
            fprintf(stderr, "relay %d: write: %s\n", index, strerror(errno));
            return 2;
        }
    }
    return bad;
}

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void stage(int sync, const char *what, long long n) {
    printf("%s %lld\n", what, n);
    fflush(stdout);
    if (sync) {
        char c;
        while (read(0, &c, 1) < 0 && errno == EINTR) {
        }
    }
}

static int ring(const char *self, int n, long long millis, int tokens, int sync) {
    if (n < 1 || tokens < 1 || tokens > 4096) {
        fprintf(stderr, "ring: bad sizes\n");
        return 2;
    }
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    int into[2]; /* this process -> relay 1 */
    if (!pids || pipe2(into, O_CLOEXEC) < 0) {
        perror("ring: pipe");
        return 2;
    }
    stage(sync, "start", n);
    int prev_read = into[0];
    for (int i = 1; i <= n; i++) {
        int out[2];
        if (pipe2(out, O_CLOEXEC) < 0) {
            fprintf(stderr, "ring: pipe %d: %s\n", i, strerror(errno));
            return 2;
        }
        char arg[16];
        snprintf(arg, sizeof arg, "%d", i);
        char *argv[] = {"load_chat", "relay", arg, NULL};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, prev_read, 0);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        int rc = posix_spawn(&pids[i - 1], self, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) {
            fprintf(stderr, "ring: spawn relay %d: %s\n", i, strerror(rc));
            return 2;
        }
        close(prev_read);
        close(out[1]);
        prev_read = out[0];
    }
    int to_ring = into[1], from_ring = prev_read;
    stage(0, "spawned", n);

    struct token t[BATCH];
    for (int i = 0; i < tokens; i++) {
        struct token one = {(uint32_t)i, 0};
        if (write_all(to_ring, &one, sizeof one) < 0) {
            perror("ring: write");
            return 2;
        }
    }
    long long returned = 0, bad = 0;
    int in_flight = tokens, live_said = 0;
    long long end = -1;
    while (in_flight > 0) {
        int got = read_tokens(from_ring, t, in_flight < BATCH ? in_flight : BATCH);
        if (got <= 0) {
            fprintf(stderr, "ring: read from relay %d: %s\n", n, got ? strerror(errno) : "EOF");
            return 2;
        }
        in_flight -= got;
        returned += got;
        for (int i = 0; i < got; i++) {
            if (t[i].hop != (uint32_t)n || t[i].id >= (uint32_t)tokens)
                bad++;
            t[i].hop = 0;
        }
        if (!live_said && returned >= tokens) {
            live_said = 1;
            stage(sync, "live", n);
            end = now_ms() + millis;
        }
        if (end < 0 || now_ms() < end) {
            if (write_all(to_ring, t, (size_t)got * sizeof t[0]) < 0) {
                perror("ring: write");
                return 2;
            }
            in_flight += got;
        }
    }
    stage(sync, "chatted", returned);

    close(to_ring); /* EOF goes round the ring */
    char c;
    ssize_t tail = read(from_ring, &c, 1);
    if (tail != 0) {
        fprintf(stderr, "ring: no EOF after the last relay (%zd)\n", tail);
        bad++;
    }
    close(from_ring);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        int st = -1;
        if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            if (failed < 5)
                fprintf(stderr, "ring: relay %d ended with status %#x\n", i + 1, st);
            failed++;
        }
    }
    printf("done %d relays, %lld trips, %lld hops\n", n - failed, returned, returned * (n + 1));
    if (bad)
        printf("FAIL: %lld tokens came back wrong\n", bad);
    free(pids);
    return failed || bad ? 1 : 0;
}

#define RECORD 4096 /* PIPE_BUF */

struct record_head {
    uint32_t writer;
    uint32_t seq;   /* 1, 2, ...; 0 in the end record */
    uint32_t count; /* records before the end record (end record only) */
};

static unsigned char fill(uint32_t writer, uint32_t seq, size_t i) {
    return (unsigned char)(writer * 31u + seq * 7u + (uint32_t)i);
}

static void make_record(unsigned char *r, uint32_t writer, uint32_t seq, uint32_t count) {
    struct record_head h = {writer, seq, count};
    memcpy(r, &h, sizeof h);
    for (size_t i = sizeof h; i < RECORD; i++)
        r[i] = fill(writer, seq, i);
}

static int writer(int index, long long millis) {
    static unsigned char r[RECORD];
    long long end = now_ms() + millis;
    uint32_t seq = 0;
    do {
        make_record(r, (uint32_t)index, ++seq, 0);
        if (write(1, r, RECORD) != RECORD) { /* atomic: all or nothing */
            fprintf(stderr, "writer %d: write: %s\n", index, strerror(errno));
            return 2;
        }
    } while (now_ms() < end);
    make_record(r, (uint32_t)index, 0, seq);
    return write(1, r, RECORD) == RECORD ? 0 : 2;
}

static int fanin(const char *self, int n, long long millis) {
    int p[2];
    uint32_t *last = calloc((size_t)n, sizeof *last);
    char *ended = calloc((size_t)n, 1);
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    if (!last || !ended || !pids || pipe2(p, O_CLOEXEC) < 0) {
        perror("fanin: pipe");
        return 2;
    }
    char ms[24];
    snprintf(ms, sizeof ms, "%lld", millis);
    for (int i = 0; i < n; i++) {
        char arg[16];
        snprintf(arg, sizeof arg, "%d", i);
        char *argv[] = {"load_chat", "writer", arg, ms, NULL};
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, p[1], 1);
        int rc = posix_spawn(&pids[i], self, &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (rc != 0) {
            fprintf(stderr, "fanin: spawn writer %d: %s\n", i, strerror(rc));
            return 2;
        }
    }
    close(p[1]);
    static unsigned char r[RECORD], want[RECORD];
    long long records = 0, bad = 0;
    for (;;) {
        size_t have = 0;
        while (have < RECORD) {
            ssize_t got = read(p[0], r + have, RECORD - have);
            if (got < 0 && errno == EINTR)
                continue;
            if (got <= 0)
                break;
            have += (size_t)got;
        }
        if (have == 0)
            break; /* EOF: every writer has exited */
        if (have != RECORD) {
            printf("FAIL: a torn record at the end (%zu bytes)\n", have);
            bad++;
            break;
        }
        struct record_head h;
        memcpy(&h, r, sizeof h);
        if (h.writer >= (uint32_t)n || ended[h.writer]) {
            if (bad++ < 5)
                printf("FAIL: record %lld: writer %u (ended: %d)\n", records, (unsigned)h.writer,
                       h.writer < (uint32_t)n ? ended[h.writer] : -1);
            continue;
        }
        make_record(want, h.writer, h.seq, h.count);
        if (memcmp(r, want, RECORD) != 0 || (h.seq != 0 && h.seq != last[h.writer] + 1) ||
            (h.seq == 0 && h.count != last[h.writer])) {
            if (bad++ < 5)
                printf("FAIL: record %lld: writer %u seq %u count %u after seq %u\n", records,
                       (unsigned)h.writer, (unsigned)h.seq, (unsigned)h.count,
                       (unsigned)last[h.writer]);
        }
        if (h.seq == 0)
            ended[h.writer] = 1;
        else
            last[h.writer] = h.seq;
        records++;
    }
    int failed = 0;
    for (int i = 0; i < n; i++) {
        int st = -1;
        if (!ended[i]) {
            if (bad++ < 5)
                printf("FAIL: writer %d: no end record\n", i);
        }
        if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            if (failed < 5)
                fprintf(stderr, "fanin: writer %d ended with status %#x\n", i, st);
            failed++;
        }
    }
    printf("done %d writers, %lld records, %lld bytes\n", n - failed, records,
           records * RECORD);
    free(last);
    free(ended);
    free(pids);
    return failed || bad ? 1 : 0;
}

static unsigned char pattern_at(uint32_t seed, size_t i) {
    return (unsigned char)((seed + i * 2654435761u) >> 13);
}

static uint32_t seed_of(const char *path) {
    uint32_t h = 2166136261u;
    for (; *path; path++)
        h = (h ^ (unsigned char)*path) * 16777619u;
    return h;
}

/* 0 if path holds exactly kib KiB of its pattern. */
static int check(const char *path, long kib) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        fprintf(stderr, "check %s: %s\n", path, strerror(errno));
        return 1;
    }
    uint32_t seed = seed_of(path);
    unsigned char buf[4096];
    size_t at = 0, total = (size_t)kib * 1024;
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < r; i++, at++)
            if (at >= total || buf[i] != pattern_at(seed, at)) {
                fprintf(stderr, "check %s: wrong byte at %zu\n", path, at);
                close(fd);
                return 1;
            }
    }
    close(fd);
    if (r < 0 || at != total) {
        fprintf(stderr, "check %s: %zu bytes, not %zu\n", path, at, total);
        return 1;
    }
    return 0;
}

static int fill_file(const char *path, long kib) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fprintf(stderr, "fill %s: %s\n", path, strerror(errno));
        return 2;
    }
    uint32_t seed = seed_of(path);
    unsigned char buf[4096];
    for (size_t at = 0; at < (size_t)kib * 1024; at += sizeof buf) {
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = pattern_at(seed, at + i);
        if (write_all(fd, buf, sizeof buf) < 0) {
            fprintf(stderr, "fill %s: write: %s\n", path, strerror(errno));
            return 2;
        }
    }
    if (fsync(fd) < 0 || close(fd) < 0) {
        fprintf(stderr, "fill %s: fsync: %s\n", path, strerror(errno));
        return 2;
    }
    if (check(path, kib) != 0)
        return 1;
    printf("filled %s\n", path);
    return 0;
}

static int hold(const char *path) {
    char buf[256];
    for (;;) {
        ssize_t r = read(0, buf, sizeof buf);
        if (r == 0)
            break;
        if (r < 0 && errno != EINTR) {
            perror("hold: read");
            return 2;
        }
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write_all(fd, "held\n", 5) < 0 || fsync(fd) < 0 || close(fd) < 0) {
        perror("hold: write");
        return 2;
    }
    return 0;
}

static int cat(const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    char buf[4096];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        write_all(1, buf, (size_t)r);
    close(fd);
    return r < 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "relay") == 0)
        return relay(atoi(argv[2]));
    if (argc >= 4 && strcmp(argv[1], "ring") == 0) {
        int sync = strcmp(argv[argc - 1], "--sync") == 0;
        int nargs = argc - sync;
        int tokens = nargs >= 5 ? atoi(argv[4]) : 64;
        return ring(argv[0], atoi(argv[2]), atoll(argv[3]), tokens, sync);
    }
    if (argc == 4 && strcmp(argv[1], "writer") == 0)
        return writer(atoi(argv[2]), atoll(argv[3]));
    if (argc == 4 && strcmp(argv[1], "fanin") == 0)
        return fanin(argv[0], atoi(argv[2]), atoll(argv[3]));
    if (argc == 3 && strcmp(argv[1], "hold") == 0)
        return hold(argv[2]);
    if (argc == 4 && strcmp(argv[1], "fill") == 0)
        return fill_file(argv[2], atol(argv[3]));
    if (argc == 4 && strcmp(argv[1], "check") == 0)
        return check(argv[2], atol(argv[3]));
    if (argc == 3 && strcmp(argv[1], "cat") == 0)
        return cat(argv[2]);
    fprintf(stderr, "usage: load_chat ring N MILLIS [TOKENS] [--sync] | relay I"
                    " | fanin N MILLIS | writer I MILLIS | hold PATH | cat PATH"
                    " | fill PATH KIB | check PATH KIB\n");
    return 2;
}
