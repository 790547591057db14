/*
 * Spawn latency: start PROGRAM with posix_spawn and reap it with wait4, N
 * times in a row, and print the mean wall time of one spawn + wait.
 *
 *   spawn PROGRAM N     (PROGRAM is a path; it must exit with status 0)
 *
 * Output (parsed by bench/spawn.py, bench/spawn_size.py and others):
 *   spawn_us <microseconds per spawn + wait: the mean>
 *   spawn_median_us <the median of the N spawns' times>
 *
 * The median of single spawns is the figure that does not depend on luck:
 * on a shared machine a few spawns wait for a CPU (another process's time
 * slice, a burst of page-cache work) and drag the mean up by whatever the
 * neighbours happened to do during this run.
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

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

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
    int64_t *each = malloc(sizeof(int64_t) * (size_t)n);
    if (each == NULL) {
        perror("malloc");
        return 2;
    }
    int64_t t0 = now_ns(), prev = t0;
    for (long i = 0; i < n; i++) {
        spawn_and_wait(argv[1]);
        int64_t t = now_ns();
        each[i] = t - prev;
        prev = t;
    }
    printf("spawn_us %.3f\n", (double)(prev - t0) / 1e3 / (double)n);
    qsort(each, (size_t)n, sizeof(int64_t), cmp_i64);
    double median = n % 2 ? (double)each[n / 2] : ((double)each[n / 2 - 1] + (double)each[n / 2]) / 2;
    printf("spawn_median_us %.3f\n", median / 1e3);
    free(each);
    return 0;
}
