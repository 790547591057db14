/*
 * What SQLite's robust_open (sqlite3.c) relies on: a file created by
 * open(path, O_CREAT | O_EXCL, mode) has, as fstat reports it, the permission
 * bits mode & ~umask. When they differ SQLite calls fchmod, which its WASI
 * build leaves as a null function pointer: CREATE INDEX on a large table
 * (whose sort creates 0600 temporary files) died of SIGSEGV inside PyOcclum.
 *
 * For each umask and mode: the bits fstat and stat report, and whether
 * robust_open would call fchmod. Then an existing file keeps its mode when
 * opened again with O_CREAT, and openat creates relative to a directory fd.
 *
 *   open_mode DIR      (DIR: a writable directory)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

static void create(const char *dir, unsigned mask, unsigned mode) {
    char path[512];
    snprintf(path, sizeof path, "%s/open-mode-%03o-%04o", dir, mask, mode);
    unlink(path);
    umask((mode_t)mask);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
    struct stat fst, st;
    if (fd < 0 || fstat(fd, &fst) != 0 || stat(path, &st) != 0) {
        printf("umask %03o mode %04o: %s\n", mask, mode, strerror(errno));
        failures++;
        return;
    }
    unsigned got = (unsigned)fst.st_mode & 07777;
    printf("umask %03o mode %04o: fstat %04o stat %04o regular %d size %lld fchmod %s\n", mask,
           mode, got, (unsigned)st.st_mode & 07777, S_ISREG(fst.st_mode),
           (long long)fst.st_size, (got & 0777) != mode ? "needed" : "not needed");
    close(fd);
    unlink(path);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: open_mode DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    static const unsigned masks[] = {022, 077, 0};
    static const unsigned modes[] = {0600, 0640, 0644, 0700, 0755};
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++)
        for (size_t j = 0; j < sizeof modes / sizeof modes[0]; j++)
            create(dir, masks[i], modes[j]);

    umask(022);
    char path[512];
    snprintf(path, sizeof path, "%s/open-mode-again", dir);
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    close(fd);
    fd = open(path, O_WRONLY | O_CREAT, 0600); /* exists: its mode stays */
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        printf("again: %s\n", strerror(errno));
        failures++;
    } else {
        printf("again: %04o\n", (unsigned)st.st_mode & 07777);
    }
    close(fd);
    unlink(path);

    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    fd = dfd < 0 ? -1 : openat(dfd, "open-mode-at", O_WRONLY | O_CREAT | O_EXCL, 0604);
    if (fd < 0 || fstat(fd, &st) != 0) {
        printf("openat: %s\n", strerror(errno));
        failures++;
    } else {
        printf("openat: %04o\n", (unsigned)st.st_mode & 07777);
    }
    close(fd);
    unlinkat(dfd, "open-mode-at", 0);
    close(dfd);
    return failures != 0;
}
