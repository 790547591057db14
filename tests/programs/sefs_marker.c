/*
 * Writes a marker into many files, file names, directory names and symlink
 * targets under DIR, then reads one back:  sefs_marker DIR MARKER [COUNT]
 * Prints "wrote N" and exits 0; 1 if writing failed; reading back the first file:
 * "read failed: EIO" and 3, or "MISMATCH" and 4 if it returned other bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: sefs_marker DIR MARKER [COUNT]\n");
        return 2;
    }
    const char *dir = argv[1], *marker = argv[2];
    int count = argc > 3 ? atoi(argv[3]) : 50;
    char path[1024], target[512], buf[256];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    for (int i = 0; i < count; i++) {
        snprintf(path, sizeof path, "%s/%s-dir-%d", dir, marker, i);
        if (mkdir(path, 0755) != 0) {
            perror(path);
            return 1;
        }
        snprintf(path, sizeof path, "%s/%s-dir-%d/%s-file", dir, marker, i, marker);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            perror(path);
            return 1;
        }
        for (int r = 0; r < 100; r++) {
            int n = snprintf(buf, sizeof buf, "%s %d %d\n", marker, i, r);
            if (write(fd, buf, (size_t)n) != n) {
                perror("write");
                return 1;
            }
        }
        if (fsync(fd) != 0 || close(fd) != 0) {
            perror("fsync/close");
            return 1;
        }
        snprintf(path, sizeof path, "%s/link-%d", dir, i);
        snprintf(target, sizeof target, "%s-target-%d", marker, i);
        if (symlink(target, path) != 0) {
            perror(path);
            return 1;
        }
    }
    snprintf(path, sizeof path, "%s/%s-dir-0/%s-file", dir, marker, marker);
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        perror(path);
        return 3;
    }
    ssize_t got = read(fd, buf, strlen(marker));
    if (got < 0) {
        printf("read failed: %s\n", errno == EIO ? "EIO" : strerror(errno));
        return 3;
    }
    if ((size_t)got != strlen(marker) || memcmp(buf, marker, strlen(marker)) != 0) {
        printf("MISMATCH\n");
        return 4;
    }
    close(fd);
    printf("wrote %d\n", count);
    return 0;
}
