/*
 * Read throughput: read a whole file in 1 MiB read() calls and print MiB/s.
 *
 *   readfile PATH
 *
 * Output (parsed by bench/image_read.py):
 *   read_bytes <bytes read>
 *   read_mibs <MiB/s>
 *
 * Timed with CLOCK_MONOTONIC from just before open() to just after close(),
 * so start-up costs are not counted. The same program reads the file from
 * the integrity image (/data/big.bin) and from hostfs (/host/big.bin).
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)

static int64_t now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(2);
    }
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: readfile PATH\n");
        return 2;
    }
    char *buf = malloc(CHUNK);
    if (buf == NULL) {
        perror("malloc");
        return 2;
    }
    int64_t start = now_ns();
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    long long total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, CHUNK);
        if (n < 0) {
            perror("read");
            return 1;
        }
        if (n == 0) {
            break;
        }
        total += n;
    }
    if (close(fd) != 0) {
        perror("close");
        return 1;
    }
    int64_t elapsed = now_ns() - start;
    if (elapsed <= 0) {
        elapsed = 1;
    }
    double mib = (double)total / (1024.0 * 1024.0);
    printf("read_bytes %lld\n", total);
    printf("read_mibs %.3f\n", mib / ((double)elapsed / 1e9));
    free(buf);
    return 0;
}
