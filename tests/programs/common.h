/*
 * Helpers shared by the test programs in tests/programs/.
 *
 * Every program prints deterministic lines only (no inode numbers, times or
 * addresses), so that its stdout under PyOcclum can be compared byte for byte
 * with its stdout under wasmtime's own WASI (the oracle). Errors are printed
 * by NAME, never by number: wasi-libc's errno values are WASI's, not Linux's.
 *
 * A failed self-check prints a line starting with "FAIL" and counts in
 * `failures`; programs exit with finish(), i.e. status 1 if anything failed.
 *
 * Checks that only hold on a Linux-like kernel (PyOcclum), not under
 * wasmtime's sandboxed WASI, run only when the program was given --linux
 * (see linux_mode()); their lines start with "linux: ".
 */
#ifndef TEST_PROGRAMS_COMMON_H
#define TEST_PROGRAMS_COMMON_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcntl.h>
#include <unistd.h>

/* Helpers a program may not use: no -Wunused-function warnings. */
#define HELPER static __attribute__((unused))

static int failures;
static int linux_checks;

HELPER const char *errname(int e) {
    switch (e) {
#define E(x) case x: return #x;
        E(EPERM) E(ENOENT) E(EINTR) E(EIO) E(EBADF) E(EAGAIN) E(ENOMEM) E(EACCES)
        E(EFAULT) E(EBUSY) E(EEXIST) E(EXDEV) E(ENOTDIR) E(EISDIR) E(EINVAL) E(EMFILE)
        E(ENOSPC) E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(ERANGE) E(ENAMETOOLONG)
        E(ENOSYS) E(ENOTEMPTY) E(ELOOP) E(ENOTSUP) E(ENOTCAPABLE) E(EOVERFLOW)
        E(ENXIO) E(ETXTBSY) E(EFBIG) E(ENOTTY)
#undef E
    case 0:
        return "OK";
    default:
        return "E?";
    }
}

/* Writes the whole of s to path (created/truncated); 0 or -1. */
HELPER int put_file(const char *path, const char *s) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    size_t n = strlen(s);
    int ok = write(fd, s, n) == (ssize_t)n;
    close(fd);
    return ok ? 0 : -1;
}

/* The contents of path (at most size-1 bytes) as a string, or "<ENAME>". */
HELPER const char *get_file(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(buf, size, "<%s>", errname(errno));
        return buf;
    }
    size_t len = 0;
    ssize_t n;
    while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
    return buf;
}

/* base + "/" + name, in one of 8 rotating static buffers. */
static const char *base_dir = "/tmp";
HELPER const char *at(const char *name) {
    static char bufs[8][512];
    static int next;
    char *b = bufs[next++ & 7];
    snprintf(b, sizeof bufs[0], "%s/%s", base_dir, name);
    return b;
}

/* Names given with --skip=NAME: Linux-only cases not to run (known bugs). */
static const char *skipped_cases[8];

/* Parses the flags every program takes:
 *   --linux       also run the checks that only hold on a Linux-like kernel
 *                 (PyOcclum), not under wasmtime's sandboxed WASI;
 *   --skip=NAME   but not the Linux case NAME (see linux_case()).
 * Returns 1 if --linux was given. */
HELPER int linux_mode(int argc, char **argv) {
    int nskipped = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--linux") == 0)
            linux_checks = 1;
        else if (strncmp(argv[i], "--skip=", 7) == 0 && nskipped < 8)
            skipped_cases[nskipped++] = argv[i] + 7;
    }
    return linux_checks;
}

/* True if the Linux-only case `name` should run. */
HELPER int linux_case(const char *name) {
    if (!linux_checks)
        return 0;
    for (int i = 0; i < 8 && skipped_cases[i] != NULL; i++)
        if (strcmp(skipped_cases[i], name) == 0) {
            printf("linux: skipped %s\n", name);
            return 0;
        }
    return 1;
}

#define FAILF(...)                                                             \
    do {                                                                       \
        failures++;                                                            \
        printf("FAIL line %d: ", __LINE__);                                    \
        printf(__VA_ARGS__);                                                   \
        printf("\n");                                                          \
    } while (0)

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond))                                                           \
            FAILF("%s", #cond);                                                \
    } while (0)

/* `call` must fail with errno `want`; prints "label: ENAME". */
#define EXPECT_ERR(call, want, label)                                          \
    do {                                                                       \
        errno = 0;                                                             \
        long rc_ = (long)(call);                                               \
        int e_ = errno;                                                        \
        if (rc_ != -1) {                                                       \
            printf("%s: succeeded\n", (label));                                \
            FAILF("%s: expected %s", (label), errname(want));                  \
        } else {                                                               \
            printf("%s: %s\n", (label), errname(e_));                          \
            if (e_ != (want))                                                  \
                FAILF("%s: expected %s", (label), errname(want));              \
        }                                                                      \
    } while (0)

/* `call` must not return -1; prints "label: ok" (or the error). */
#define EXPECT_OK(call, label)                                                 \
    do {                                                                       \
        long rc_ = (long)(call);                                               \
        int e_ = errno;                                                        \
        if (rc_ == -1) {                                                       \
            printf("%s: %s\n", (label), errname(e_));                          \
            FAILF("%s failed", (label));                                       \
        } else {                                                               \
            printf("%s: ok\n", (label));                                       \
        }                                                                      \
    } while (0)

HELPER int finish(void) {
    printf("done: %d failure%s\n", failures, failures == 1 ? "" : "s");
    fflush(stdout);
    return failures ? 1 : 0;
}

/* The multitasking tests (mt_*.c) are tables of named cases. */
struct mt_case {
    const char *name;
    void (*run)(void);
};

/* Runs every case not skipped with --skip=NAME (all are Linux cases), each under
 * a "== NAME" header, with stdout unbuffered (children share it). Returns finish(). */
HELPER int run_cases(int argc, char **argv, const struct mt_case *cases, size_t n) {
    linux_mode(argc, argv);
    linux_checks = 1;
    setvbuf(stdout, NULL, _IONBF, 0);
    for (size_t i = 0; i < n; i++) {
        if (!linux_case(cases[i].name))
            continue;
        printf("== %s\n", cases[i].name);
        cases[i].run();
    }
    return finish();
}

#endif
