/*
 * Does guest fsync reach the host's disk? (issue 16, item 3)
 *
 *   fsync_probe DIR...
 *
 * In each DIR, four steps; step N (N = 4 * dir index + j) writes
 * "before N\n" to fd 1, changes files in DIR and syncs them, then writes
 * "after N\n" to fd 1, both with write(2) straight to the host's stdout, so
 * that a trace of the host (strace) shows where each step starts and ends:
 *
 *   j = 0  pwrite 100 KiB into DIR/p0 at offset 300 (O_CREAT, no O_TRUNC),
 *          fsync(p0) and fsync(DIR)
 *   j = 1  rewrite DIR/p0 with 5000 bytes (O_TRUNC), fdatasync(p0)
 *   j = 2  write DIR/tmp, fsync(tmp), rename it to DIR/b, fsync(DIR)
 *   j = 3  append 10 bytes to DIR/p0 (O_APPEND), fsync(p0)
 *
 * tests/hardening/test_crash_safety.py checks in the trace that every host
 * file written between "before N" and "after N" is fsync'ed or fdatasync'ed
 * after its last write and before "after N", and every host directory in
 * which something was renamed or created is fsync'ed too.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char buf[100 * 1024];

static void fail(const char *what, const char *path) {
    fprintf(stderr, "fsync_probe: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
}

static void mark(const char *what, int n) {
    char line[64];
    int len = snprintf(line, sizeof line, "%s %d\n", what, n);
    if (write(1, line, (size_t)len) != len) {
        exit(3);
    }
}

static void write_all(int fd, const char *data, size_t n, const char *path) {
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w <= 0) {
            fail("write", path);
        }
        data += w;
        n -= (size_t)w;
    }
}

static void sync_dir(const char *dir) {
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0 || fsync(fd) != 0 || close(fd) != 0) {
        fail("fsync", dir);
    }
}

static void step(const char *dir, int j) {
    char path[512], tmp[512];
    int fd;
    snprintf(path, sizeof path, "%s/p0", dir);
    switch (j) {
    case 0:
        fd = open(path, O_RDWR | O_CREAT, 0644);
        if (fd < 0 || pwrite(fd, buf, sizeof buf, 300) != (ssize_t)sizeof buf || fsync(fd) != 0) {
            fail("pwrite+fsync", path);
        }
        close(fd);
        sync_dir(dir);
        break;
    case 1:
        fd = open(path, O_WRONLY | O_TRUNC);
        if (fd < 0) {
            fail("open", path);
        }
        write_all(fd, buf + 7, 5000, path);
        if (fdatasync(fd) != 0) {
            fail("fdatasync", path);
        }
        close(fd);
        break;
    case 2:
        snprintf(tmp, sizeof tmp, "%s/tmp", dir);
        snprintf(path, sizeof path, "%s/b", dir);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            fail("open", tmp);
        }
        write_all(fd, buf + 11, 3000, tmp);
        if (fsync(fd) != 0) {
            fail("fsync", tmp);
        }
        close(fd);
        if (rename(tmp, path) != 0) {
            fail("rename", path);
        }
        sync_dir(dir);
        break;
    default:
        fd = open(path, O_WRONLY | O_APPEND);
        if (fd < 0) {
            fail("open", path);
        }
        write_all(fd, "0123456789", 10, path);
        if (fsync(fd) != 0) {
            fail("fsync", path);
        }
        close(fd);
        break;
    }
}

int main(int argc, char **argv) {
    for (size_t i = 0; i < sizeof buf; i++) {
        buf[i] = (char)('a' + (i * 7) % 26);
    }
    for (int d = 1; d < argc; d++) {
        if (mkdir(argv[d], 0755) != 0 && errno != EEXIST) {
            fail("mkdir", argv[d]);
        }
        sync_dir(argv[d]);
        for (int j = 0; j < 4; j++) {
            int n = 4 * (d - 1) + j;
            mark("before", n);
            step(argv[d], j);
            mark("after", n);
        }
    }
    return 0;
}
