/*
 * Spawn latency: start PROGRAM with posix_spawn and reap it with wait4, N
 * times in a row, and print the mean wall time of one spawn + wait.
 *
 *   spawn PROGRAM N     (PROGRAM is a path; it must exit with status 0)
 *
 * Output (parsed by bench/spawn.py and bench/spawn_size.py):
 *   spawn_us <microseconds per spawn + wait>
 *
 * A few untimed spawns come first (loading the program, warming caches).
 * The same source is built for wasm32-wasi (occlum-cc, run inside PyOcclum)
 * and natively (gcc -O2, run on Linux).
 */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

#define WARMUP_SPAWNS 3

static int64_t now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(2);
    }
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void spawn_and_wait(char *program) {
    char *argv[] = {program, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, program, NULL, NULL, argv, environ);
    if (rc != 0) {
        fprintf(stderr, "posix_spawn %s: error %d\n", program, rc);
        exit(2);
    }
    int status;
    if (wait4(pid, &status, 0, NULL) != pid) {
        perror("wait4");
        exit(2);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: wait status %#x, not exit 0\n", program, status);
        exit(2);
    }
}

int main(int argc, char **argv) {
    char *end = NULL;
    long n = argc == 3 ? strtol(argv[2], &end, 10) : 0;
    if (argc != 3 || end == argv[2] || *end != '\0' || n <= 0) {
        fprintf(stderr, "usage: %s PROGRAM N>0\n", argc > 0 ? argv[0] : "spawn");
        return 1;
    }
    for (int i = 0; i < WARMUP_SPAWNS; i++)
        spawn_and_wait(argv[1]);
    int64_t t0 = now_ns();
    for (long i = 0; i < n; i++)
        spawn_and_wait(argv[1]);
    int64_t t1 = now_ns();
    printf("spawn_us %.3f\n", (double)(t1 - t0) / 1e3 / (double)n);
    return 0;
}
