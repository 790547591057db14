/*
 * File I/O throughput, the same source inside PyOcclum and natively on the host.
 *
 *   fileio write PATH MIB        write MIB MiB in 1 MiB write() calls, fsync, close
 *   fileio read PATH             read the whole file in 1 MiB read() calls
 *   fileio randread PATH COUNT   COUNT pread()s of 4 KiB at random aligned offsets
 *
 * Output (parsed by bench/sefs_io.py), one of:
 *   write_bytes <n> / write_mibs <MiB/s>     timed from open() to after close()
 *   read_bytes <n> / read_mibs <MiB/s>       timed from open() to after close()
 *   reads <n> / reads_per_s <reads/s>        timed from the first pread to the last
 *
 * Every 1 MiB chunk written holds a pattern derived from its index, and
 * reads check nothing: the benchmark compares sizes, the tests check content.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1024 * 1024)
#define PAGE 4096

static int64_t now_ns(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(2);
    }
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double mibs(long long bytes, int64_t ns) {
    if (ns <= 0) {
        ns = 1;
    }
    return ((double)bytes / (1024.0 * 1024.0)) / ((double)ns / 1e9);
}

static int do_write(const char *path, long mib, char *buf) {
    int64_t start = now_ns();
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    long long total = 0;
    for (long i = 0; i < mib; i++) {
        memset(buf, (int)('a' + i % 26), CHUNK);
        ssize_t n = write(fd, buf, CHUNK);
        if (n != CHUNK) {
            perror("write");
            return 1;
        }
        total += n;
    }
    if (fsync(fd) != 0) {
        perror("fsync");
        return 1;
    }
    if (close(fd) != 0) {
        perror("close");
        return 1;
    }
    int64_t elapsed = now_ns() - start;
    printf("write_bytes %lld\nwrite_mibs %.3f\n", total, mibs(total, elapsed));
    return 0;
}

static int do_read(const char *path, char *buf) {
    int64_t start = now_ns();
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
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
    printf("read_bytes %lld\nread_mibs %.3f\n", total, mibs(total, elapsed));
    return 0;
}

static int do_randread(const char *path, long count, char *buf) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return 1;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size < PAGE) {
        fprintf(stderr, "%s: smaller than one page\n", path);
        return 1;
    }
    long pages = (long)(size / PAGE);
    uint64_t state = 0x9E3779B97F4A7C15ULL;
    int64_t start = now_ns();
    for (long i = 0; i < count; i++) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        off_t offset = (off_t)(state % (uint64_t)pages) * PAGE;
        if (pread(fd, buf, PAGE, offset) != PAGE) {
            perror("pread");
            return 1;
        }
    }
    int64_t elapsed = now_ns() - start;
    close(fd);
    if (elapsed <= 0) {
        elapsed = 1;
    }
    printf("reads %ld\nreads_per_s %.1f\n", count, (double)count / ((double)elapsed / 1e9));
    return 0;
}

int main(int argc, char **argv) {
    char *buf = malloc(CHUNK);
    if (buf == NULL) {
        perror("malloc");
        return 2;
    }
    if (argc == 4 && strcmp(argv[1], "write") == 0) {
        return do_write(argv[2], atol(argv[3]), buf);
    }
    if (argc == 3 && strcmp(argv[1], "read") == 0) {
        return do_read(argv[2], buf);
    }
    if (argc == 4 && strcmp(argv[1], "randread") == 0) {
        return do_randread(argv[2], atol(argv[3]), buf);
    }
    fprintf(stderr, "usage: fileio write PATH MIB | read PATH | randread PATH COUNT\n");
    return 2;
}
