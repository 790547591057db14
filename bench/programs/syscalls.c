/*
 * Syscall round trip: time N calls of two cheap system calls and print the
 * mean cost of one call in nanoseconds.
 *
 *   syscalls [N]        (default N = 200000)
 *   syscalls N pipe     only the pipe case (WASI alone has no pipe)
 *
 * Output, one line per case (parsed by bench/syscalls.py):
 *   write_devnull_ns <ns per call>   write(fd, buf, 1) to /dev/null
 *   clock_gettime_ns <ns per call>   clock_gettime(CLOCK_MONOTONIC)
 *   write_pipe_ns <ns per call>      write(fd, buf, 1) to a pipe, whose other
 *                                    end is read 4096 bytes at a time every
 *                                    4096 writes (the reads are in the time)
 *
 * Timing uses CLOCK_MONOTONIC read by the program itself, so whatever runs
 * it (PyOcclum, wasmtime's built-in WASI, the host kernel) only sees the
 * calls being measured plus one clock read at each end of a loop. The same
 * source is built for wasm32-wasi (occlum-cc) and natively (gcc -O2).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ITERATIONS 200000L
/* Untimed calls before each timed loop (caches, lazy set-up in the runtime). */
#define WARMUP_ITERATIONS 1000L

static int64_t now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(2);
    }
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void write_loop(int fd, long n) {
    static const char byte = 'x';
    for (long i = 0; i < n; i++) {
        if (write(fd, &byte, 1) != 1) {
            perror("write /dev/null");
            exit(2);
        }
    }
}

static int64_t clock_loop(long n) {
    int64_t sum = 0;
    for (long i = 0; i < n; i++) {
        struct timespec ts;
        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
            perror("clock_gettime");
            exit(2);
        }
        sum += ts.tv_nsec; /* use the result so the call is not dropped */
    }
    return sum;
}

#define PIPE_BATCH 4096

static void pipe_loop(int w, int r, long n) {
    static const char byte = 'x';
    static char sink[PIPE_BATCH];
    long pending = 0;
    for (long i = 0; i < n; i++) {
        if (write(w, &byte, 1) != 1) {
            perror("write pipe");
            exit(2);
        }
        if (++pending == PIPE_BATCH || i == n - 1) {
            while (pending > 0) {
                ssize_t got = read(r, sink, (size_t)pending);
                if (got <= 0) {
                    perror("read pipe");
                    exit(2);
                }
                pending -= got;
            }
        }
    }
}

static int pipe_case(long n) {
    int p[2];
    if (pipe(p) != 0) {
        perror("pipe");
        return 1;
    }
    pipe_loop(p[1], p[0], WARMUP_ITERATIONS);
    int64_t t0 = now_ns();
    pipe_loop(p[1], p[0], n);
    int64_t t1 = now_ns();
    printf("write_pipe_ns %.3f\n", (double)(t1 - t0) / (double)n);
    return 0;
}

int main(int argc, char **argv) {
    long n = DEFAULT_ITERATIONS;
    if (argc > 1) {
        char *end = NULL;
        n = strtol(argv[1], &end, 10);
        if (end == argv[1] || *end != '\0' || n <= 0) {
            fprintf(stderr, "usage: %s [ITERATIONS > 0 [pipe]]\n", argv[0]);
            return 1;
        }
    }
    if (argc > 2 && strcmp(argv[2], "pipe") == 0)
        return pipe_case(n);
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0) {
        perror("open /dev/null");
        return 1;
    }

    write_loop(fd, WARMUP_ITERATIONS);
    int64_t t0 = now_ns();
    write_loop(fd, n);
    int64_t t1 = now_ns();

    volatile int64_t sink = clock_loop(WARMUP_ITERATIONS);
    int64_t t2 = now_ns();
    sink += clock_loop(n);
    int64_t t3 = now_ns();
    (void)sink;

    close(fd);
    printf("write_devnull_ns %.3f\n", (double)(t1 - t0) / (double)n);
    printf("clock_gettime_ns %.3f\n", (double)(t3 - t2) / (double)n);
    return 0;
}
