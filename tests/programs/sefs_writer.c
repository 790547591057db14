/*
 * Crash-test writer: rewrites NFILES files in turn, each time with new
 * contents of a varying size, and fsyncs it; after each fsync it prints
 * "synced FILE GEN" (flushed), so whoever kills it knows what must survive.
 *
 *   sefs_writer DIR [COUNT]     (COUNT: stop after that many files; default forever)
 *
 * The contents of generation GEN of file K are content(K, GEN) below;
 * tests/test_sefs_crash.py computes the same bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NFILES 5
#define MAX_SIZE (3 * 4096 + 1000)

static size_t content(int file, long gen, char *buf) {
    size_t size = (size_t)((gen * 7919 + file * 104729) % MAX_SIZE) + 1;
    int n = snprintf(buf, size, "file %d gen %ld|", file, gen);
    size_t used = n < 0 ? 0 : (size_t)n;
    if (used >= size) {
        used = size - 1;
    }
    for (size_t i = used; i < size; i++) {
        buf[i] = (char)('a' + (gen + (long)i) % 26);
    }
    return size;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: sefs_writer DIR [COUNT]\n");
        return 2;
    }
    long count = argc > 2 ? atol(argv[2]) : -1;
    if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
        perror(argv[1]);
        return 1;
    }
    static char buf[MAX_SIZE + 1];
    char path[512];
    long start = 0;
    /* Continue after the generations of earlier runs, so every run writes new contents. */
    snprintf(path, sizeof path, "%s/next", argv[1]);
    FILE *f = fopen(path, "r");
    if (f != NULL) {
        if (fscanf(f, "%ld", &start) != 1) {
            start = 0;
        }
        fclose(f);
    }
    for (long gen = start; count < 0 || gen < start + count; gen++) {
        int file = (int)(gen % NFILES);
        size_t size = content(file, gen, buf);
        snprintf(path, sizeof path, "%s/f%d", argv[1], file);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, buf, size) != (ssize_t)size || fsync(fd) != 0 || close(fd) != 0) {
            perror(path);
            return 1;
        }
        printf("synced %d %ld\n", file, gen);
        fflush(stdout);
        snprintf(path, sizeof path, "%s/next", argv[1]);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int n = snprintf(buf, sizeof buf, "%ld\n", gen + 1);
        if (fd < 0 || write(fd, buf, (size_t)n) != n || fsync(fd) != 0 || close(fd) != 0) {
            perror(path);
            return 1;
        }
    }
    return 0;
}
