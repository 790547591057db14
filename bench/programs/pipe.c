/*
 * Pipe throughput between two processes: the parent writes CHUNKS chunks of
 * 128 KiB into a pipe whose read end is the stdin of a child it spawned (a
 * second copy of this program), which reads until end of file.
 *
 *   pipe SELF CHUNKS      parent: SELF is the path of this program
 *   pipe --read BYTES     child: read stdin to EOF; exit 0 iff BYTES arrived
 *
 * Output of the parent (parsed by bench/pipe.py and bench/process_per_enclave.py):
 *   pipe_mib_s <MiB per second>
 *
 * The clock starts after the child was spawned and stops when wait4 has
 * reaped it, so it covers every byte written, read and counted. The child
 * mode also serves the process-per-enclave baseline, where a host process
 * feeds it through wasmtime's WASI stdin. The same source is built for
 * wasm32-wasi (occlum-cc) and natively (gcc -O2).
 */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define CHUNK (128 * 1024)

static char buf[CHUNK];

static int64_t now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(2);
    }
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long number(const char *text) {
    char *end = NULL;
    long long n = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || n <= 0) {
        fprintf(stderr, "pipe: %s is not a positive number\n", text);
        exit(1);
    }
    return n;
}

static int reader(long long expected) {
    long long total = 0;
    ssize_t got;
    while ((got = read(0, buf, CHUNK)) > 0)
        total += got;
    if (got < 0) {
        perror("pipe --read: read");
        return 2;
    }
    if (total != expected) {
        fprintf(stderr, "pipe --read: got %lld bytes, expected %lld\n", total, expected);
        return 3;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: pipe SELF CHUNKS | pipe --read BYTES\n");
        return 1;
    }
    if (strcmp(argv[1], "--read") == 0)
        return reader(number(argv[2]));

    long long chunks = number(argv[2]);
    long long bytes = chunks * CHUNK;
    char count[32];
    snprintf(count, sizeof count, "%lld", bytes);
    memset(buf, 'x', sizeof buf);

    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        return 2;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[0], 0);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    posix_spawn_file_actions_addclose(&fa, fds[1]);
    char *child_argv[] = {argv[1], "--read", count, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, argv[1], &fa, NULL, child_argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "posix_spawn %s: error %d\n", argv[1], rc);
        return 2;
    }
    close(fds[0]);

    int64_t t0 = now_ns();
    for (long long i = 0; i < chunks; i++) {
        size_t done = 0;
        while (done < CHUNK) {
            ssize_t put = write(fds[1], buf + done, CHUNK - done);
            if (put <= 0) {
                perror("pipe: write");
                return 2;
            }
            done += (size_t)put;
        }
    }
    close(fds[1]);
    int status;
    if (wait4(pid, &status, 0, NULL) != pid) {
        perror("wait4");
        return 2;
    }
    int64_t t1 = now_ns();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "pipe: reader's wait status %#x, not exit 0\n", status);
        return 2;
    }
    double seconds = (double)(t1 - t0) / 1e9;
    printf("pipe_mib_s %.3f\n", (double)bytes / (1024.0 * 1024.0) / seconds);
    return 0;
}
