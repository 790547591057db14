/*
 * Keeps a line of data in a file of the writable root, for the bad-input tests
 * (tests/hardening/test_bad_input.py):
 *   bad_input_keeper put PATH TEXT   writes TEXT to PATH, fsyncs it, exits 0
 *   bad_input_keeper get PATH        prints PATH's contents, exits 0
 * On any failure: one line "bad_input_keeper: PATH: <strerror>" on stderr, exit 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int fail(const char *path) {
    fprintf(stderr, "bad_input_keeper: %s: %s\n", path, strerror(errno));
    return 1;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "put") == 0) {
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) return fail(argv[2]);
        size_t n = strlen(argv[3]);
        if (write(fd, argv[3], n) != (ssize_t)n || fsync(fd) != 0 || close(fd) != 0)
            return fail(argv[2]);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "get") == 0) {
        char buf[4096];
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) return fail(argv[2]);
        for (;;) {
            ssize_t got = read(fd, buf, sizeof buf);
            if (got < 0) return fail(argv[2]);
            if (got == 0) break;
            if (write(1, buf, (size_t)got) != got) return fail("stdout");
        }
        return close(fd) == 0 ? 0 : fail(argv[2]);
    }
    fprintf(stderr, "usage: bad_input_keeper put PATH TEXT | get PATH\n");
    return 2;
}
