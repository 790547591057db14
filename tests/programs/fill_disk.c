/*
 * Disk full inside (issue 16, item 3).
 *
 *   fill_disk keep DIR N      write DIR/keepK (K < N, content(K)), fsync each,
 *                             print "kept K"
 *   fill_disk fill DIR N [stream|small|stay]
 *                             write DIR/fill in 64 KiB chunks, fsync every 4
 *                             chunks (small, stay: 4 KiB chunks, fsync every
 *                             16), until a call fails; print
 *                             "full CALL ERRNO-NAME BYTES" (BYTES: the bytes
 *                             of DIR/fill whose fsync returned), then check
 *                             every DIR/keepK (K < N) still reads back as
 *                             written ("intact N"); then (but for stay)
 *                             remove DIR/fill, fsync DIR, write and fsync
 *                             DIR/after ("recovered")
 *   fill_disk check DIR N     check DIR/keepK for K < N and DIR/after:
 *                             "intact N", "after ok"
 *
 * Exit status 0 when everything went as described, 1 otherwise (the reason on
 * stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK (64 * 1024)
#define KEEP_SIZE 20000

static char buf[CHUNK];

static void content(int k, char *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        out[i] = (char)('a' + (i * 13 + (size_t)k * 7) % 26);
    }
}

static int write_file(const char *path, const char *data, size_t n) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        return -1;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, data + done, n - done);
        if (w <= 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return close(fd);
}

static int check_keep(const char *dir, int n) {
    static char want[KEEP_SIZE], got[KEEP_SIZE + 1];
    char path[512];
    for (int k = 0; k < n; k++) {
        snprintf(path, sizeof path, "%s/keep%d", dir, k);
        content(k, want, KEEP_SIZE);
        int fd = open(path, O_RDONLY);
        if (fd < 0) {
            fprintf(stderr, "fill_disk: %s: %s\n", path, strerror(errno));
            return 1;
        }
        ssize_t r = read(fd, got, sizeof got);
        close(fd);
        if (r != KEEP_SIZE || memcmp(got, want, KEEP_SIZE) != 0) {
            fprintf(stderr, "fill_disk: %s differs (read %zd bytes)\n", path, r);
            return 1;
        }
    }
    printf("intact %d\n", n);
    return 0;
}

static const char *errno_name(int e) {
    switch (e) {
    case ENOSPC: return "ENOSPC";
    case EDQUOT: return "EDQUOT";
    case EIO: return "EIO";
    case EFBIG: return "EFBIG";
    default: return strerror(e);
    }
}

static int fill(const char *dir, int n, size_t chunk, int every, int stay) {
    char path[512];
    snprintf(path, sizeof path, "%s/fill", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fprintf(stderr, "fill_disk: %s: %s\n", path, strerror(errno));
        return 1;
    }
    memset(buf, 'F', sizeof buf);
    long long synced = 0, written = 0;
    const char *call = NULL;
    for (int i = 0; i < 1000000; i++) {
        ssize_t w = write(fd, buf, chunk);
        if (w != (ssize_t)chunk) {
            call = "write";
            break;
        }
        written += w;
        if (i % every == every - 1) {
            if (fsync(fd) != 0) {
                call = "fsync";
                break;
            }
            synced = written;
        }
    }
    if (call == NULL) {
        fprintf(stderr, "fill_disk: the disk never filled\n");
        return 1;
    }
    printf("full %s %s %lld\n", call, errno_name(errno), synced);
    fflush(stdout);
    close(fd); /* may fail too (sefs commits at close): nothing to check */
    if (check_keep(dir, n) != 0) {
        return 1;
    }
    if (stay) {
        return 0;
    }
    if (unlink(path) != 0) {
        fprintf(stderr, "fill_disk: unlink %s: %s\n", path, strerror(errno));
        return 1;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0 || fsync(dfd) != 0) {
        fprintf(stderr, "fill_disk: fsync %s after the unlink: %s\n", dir, strerror(errno));
        return 1;
    }
    close(dfd);
    snprintf(path, sizeof path, "%s/after", dir);
    if (write_file(path, "after the disk was full\n", 24) != 0) {
        fprintf(stderr, "fill_disk: %s: %s\n", path, strerror(errno));
        return 1;
    }
    printf("recovered\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: fill_disk keep|fill|check DIR [N]\n");
        return 2;
    }
    const char *dir = argv[2];
    int n = argc > 3 ? atoi(argv[3]) : 4;
    if (strcmp(argv[1], "keep") == 0) {
        static char data[KEEP_SIZE];
        char path[512];
        if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
            fprintf(stderr, "fill_disk: mkdir %s: %s\n", dir, strerror(errno));
            return 1;
        }
        for (int k = 0; k < n; k++) {
            snprintf(path, sizeof path, "%s/keep%d", dir, k);
            content(k, data, KEEP_SIZE);
            if (write_file(path, data, KEEP_SIZE) != 0) {
                fprintf(stderr, "fill_disk: %s: %s\n", path, strerror(errno));
                return 1;
            }
            printf("kept %d\n", k);
        }
        return 0;
    }
    if (strcmp(argv[1], "fill") == 0) {
        const char *mode = argc > 4 ? argv[4] : "stream";
        if (strcmp(mode, "stream") == 0) {
            return fill(dir, n, CHUNK, 4, 0); /* streamed past the cache: ENOSPC at write */
        }
        /* Through the node cache: ENOSPC at fsync. */
        return fill(dir, n, 4096, 16, strcmp(mode, "stay") == 0);
    }
    if (strcmp(argv[1], "check") == 0) {
        if (check_keep(dir, n) != 0) {
            return 1;
        }
        char path[512], got[64];
        snprintf(path, sizeof path, "%s/after", dir);
        int fd = open(path, O_RDONLY);
        ssize_t r = fd < 0 ? -1 : read(fd, got, sizeof got);
        if (r != 24 || memcmp(got, "after the disk was full\n", 24) != 0) {
            fprintf(stderr, "fill_disk: %s is wrong or missing\n", path);
            return 1;
        }
        printf("after ok\n");
        return 0;
    }
    fprintf(stderr, "usage: fill_disk keep|fill|check DIR [N]\n");
    return 2;
}
