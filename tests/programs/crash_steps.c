/*
 * Crash-test writer for the union root and sefs mounts (issue 16, item 3).
 *
 *   crash_steps [-n COUNT] DIR...
 *   crash_steps -p DIR...       one child process per DIR, all at once
 *
 * Takes turns over the DIRs; in each it does its next *step* (generation G,
 * kept in DIR/gen: 0 if missing) and ends the step with one fsync; after the
 * fsync returns it prints "synced D G" (D: the DIR's index) and flushes.
 * A step first writes "G+1" to DIR/gen (not synced on its own: the step's
 * fsync commits the whole volume, so gen and the step's change become durable
 * together), then, by G % 5, with K = (G / 5) % 3:
 *
 *   0  rewrite:  fK = content(G) (O_TRUNC), fsync(fK)
 *   1  in place: pwrite content(G) into pK at offset (G * 131) % 9000
 *                (O_CREAT, no O_TRUNC), fsync(pK)
 *   2  replace:  tmp = content(G), rename(tmp, rK), fsync(DIR)
 *   3  toggle:   unlink uK if it exists, else uK = content(G); fsync(DIR)
 *   4  append:   append the line "rec G\n" to log (O_APPEND), fsync(log)
 *
 * tests/hardening/crash_model.py computes the same steps in Python. With
 * -n it stops after COUNT steps in all; without it runs until killed. With
 * -p it posix_spawns "crash_steps -i D DIR" for each DIR (D: its index) and
 * waits for them: the children print "synced D G" as one process would.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_SIZE 6000

static char buf[MAX_SIZE + 64];

static size_t content(long gen) {
    size_t size = (size_t)((gen * 7919) % MAX_SIZE) + 1;
    int n = snprintf(buf, size, "gen %ld|", gen);
    size_t used = n < 0 ? 0 : (size_t)n;
    if (used >= size) {
        used = size - 1;
    }
    for (size_t i = used; i < size; i++) {
        buf[i] = (char)('a' + (gen + (long)i) % 26);
    }
    return size;
}

static void fail(const char *what, const char *path) {
    fprintf(stderr, "crash_steps: %s %s: %s\n", what, path, strerror(errno));
    exit(1);
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

static void sync_close(int fd, const char *path) {
    if (fsync(fd) != 0) {
        fail("fsync", path);
    }
    if (close(fd) != 0) {
        fail("close", path);
    }
}

static long read_gen(const char *dir) {
    char path[512];
    snprintf(path, sizeof path, "%s/gen", dir);
    FILE *f = fopen(path, "r");
    long gen = 0;
    if (f != NULL) {
        if (fscanf(f, "%ld", &gen) != 1) {
            gen = 0;
        }
        fclose(f);
    }
    return gen;
}

static void step(const char *dir, long gen) {
    char path[512], tmp[512];
    int k = (int)((gen / 5) % 3);
    int fd;
    size_t size;

    snprintf(path, sizeof path, "%s/gen", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        fail("open", path);
    }
    int n = snprintf(tmp, sizeof tmp, "%ld\n", gen + 1);
    write_all(fd, tmp, (size_t)n, path);
    if (close(fd) != 0) {
        fail("close", path);
    }

    switch (gen % 5) {
    case 0:
        snprintf(path, sizeof path, "%s/f%d", dir, k);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            fail("open", path);
        }
        size = content(gen);
        write_all(fd, buf, size, path);
        sync_close(fd, path);
        break;
    case 1:
        snprintf(path, sizeof path, "%s/p%d", dir, k);
        fd = open(path, O_RDWR | O_CREAT, 0644);
        if (fd < 0) {
            fail("open", path);
        }
        size = content(gen);
        if (pwrite(fd, buf, size, (off_t)((gen * 131) % 9000)) != (ssize_t)size) {
            fail("pwrite", path);
        }
        sync_close(fd, path);
        break;
    case 2:
        snprintf(tmp, sizeof tmp, "%s/tmp", dir);
        snprintf(path, sizeof path, "%s/r%d", dir, k);
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) {
            fail("open", tmp);
        }
        size = content(gen);
        write_all(fd, buf, size, tmp);
        if (close(fd) != 0) {
            fail("close", tmp);
        }
        if (rename(tmp, path) != 0) {
            fail("rename", path);
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0) {
            fail("open", dir);
        }
        sync_close(fd, dir);
        break;
    case 3:
        snprintf(path, sizeof path, "%s/u%d", dir, k);
        if (unlink(path) != 0) {
            if (errno != ENOENT) {
                fail("unlink", path);
            }
            fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
            if (fd < 0) {
                fail("open", path);
            }
            size = content(gen);
            write_all(fd, buf, size, path);
            if (close(fd) != 0) {
                fail("close", path);
            }
        }
        fd = open(dir, O_RDONLY | O_DIRECTORY);
        if (fd < 0) {
            fail("open", dir);
        }
        sync_close(fd, dir);
        break;
    default:
        snprintf(path, sizeof path, "%s/log", dir);
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0) {
            fail("open", path);
        }
        n = snprintf(tmp, sizeof tmp, "rec %ld\n", gen);
        write_all(fd, tmp, (size_t)n, path);
        sync_close(fd, path);
        break;
    }
}

extern char **environ;

static int spawn_all(char **argv, int first, int argc) {
    pid_t pids[8];
    int n = 0;
    for (int d = first; d < argc && n < 8; d++, n++) {
        char index[16];
        snprintf(index, sizeof index, "%d", d - first);
        char *child[] = {argv[0], "-i", index, argv[d], NULL};
        if (posix_spawn(&pids[n], argv[0], NULL, NULL, child, environ) != 0) {
            fail("posix_spawn", argv[d]);
        }
    }
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int status;
        if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
            WEXITSTATUS(status) != 0) {
            bad = 1;
        }
    }
    return bad;
}

int main(int argc, char **argv) {
    long count = -1;
    int first = 1;
    int base = 0;
    if (argc > 2 && strcmp(argv[1], "-p") == 0) {
        return spawn_all(argv, 2, argc);
    }
    if (argc > 3 && strcmp(argv[1], "-i") == 0) {
        base = atoi(argv[2]);
        first = 3;
    }
    if (argc > 2 && strcmp(argv[1], "-n") == 0) {
        count = atol(argv[2]);
        first = 3;
    }
    int ndirs = argc - first;
    if (ndirs < 1 || ndirs > 8) {
        fprintf(stderr, "usage: crash_steps [-n COUNT | -p | -i INDEX] DIR...\n");
        return 2;
    }
    long gens[8];
    for (int d = 0; d < ndirs; d++) {
        if (mkdir(argv[first + d], 0755) != 0 && errno != EEXIST) {
            fail("mkdir", argv[first + d]);
        }
        gens[d] = read_gen(argv[first + d]);
    }
    for (long done = 0; count < 0 || done < count; done++) {
        int d = (int)(done % ndirs);
        step(argv[first + d], gens[d]);
        printf("synced %d %ld\n", base + d, gens[d]);
        fflush(stdout);
        gens[d]++;
    }
    return 0;
}
