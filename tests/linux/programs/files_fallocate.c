/* fallocate's modes (plain, KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE, COLLAPSE_RANGE,
 * INSERT_RANGE) on a file in the current folder, what they do to the size and the
 * bytes, posix_fallocate, and the error paths in Linux's order. */
#include "linuxtest.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static long size_of(int fd) {
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    return (long)st.st_size;
}

/* The bytes at 0..n as a string: '.' for a zero byte. */
static void show(int fd, const char *what) {
    char buf[64];
    long n = size_of(fd);
    long k = n < (long)sizeof buf ? n : (long)sizeof buf;
    MUST(pread(fd, buf, k, 0) == k);
    printf("%s: size %ld [", what, n);
    for (long i = 0; i < k; i++)
        putchar(buf[i] ? buf[i] : '.');
    printf("]\n");
}

int main(void) {
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    MUST(fd >= 0);
    MUST(write(fd, "abcdefghijklmnopqrst", 20) == 20);
    CHECK(fallocate(fd, 0, 0, 10));
    show(fd, "within");
    CHECK(fallocate(fd, 0, 16, 8));
    show(fd, "extend to 24");
    CHECK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 100));
    show(fd, "keep size");
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2, 3));
    show(fd, "punch 2+3");
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 22, 100));
    show(fd, "punch past the end");
    MUST(pwrite(fd, "ABCDEFGHIJ", 10, 0) == 10);
    CHECK(fallocate(fd, FALLOC_FL_ZERO_RANGE, 8, 4));
    show(fd, "zero 8+4");
    CHECK(fallocate(fd, FALLOC_FL_ZERO_RANGE, 20, 10));
    show(fd, "zero 20+10 grows");
    CHECK(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 28, 10));
    show(fd, "zero keep size");

    /* Block-aligned range moves (ext4 and PyOcclum's sefs: 4096-byte blocks). */
    int g = open("g", O_CREAT | O_RDWR | O_TRUNC, 0644);
    MUST(g >= 0);
    static char block[4096];
    for (int i = 0; i < 3; i++) {
        memset(block, 'A' + i, sizeof block);
        MUST(write(g, block, sizeof block) == (ssize_t)sizeof block);
    }
    CHECK(fallocate(g, FALLOC_FL_COLLAPSE_RANGE, 4096, 4096));
    char c[2];
    MUST(pread(g, &c[0], 1, 0) == 1 && pread(g, &c[1], 1, 4096) == 1);
    printf("collapsed: size %ld first %c second %c\n", size_of(g), c[0], c[1]);
    CHECK(fallocate(g, FALLOC_FL_INSERT_RANGE, 4096, 4096));
    MUST(pread(g, &c[0], 1, 4096) == 1 && pread(g, &c[1], 1, 8192) == 1);
    printf("inserted: size %ld middle %d last %c\n", size_of(g), c[0], c[1]);
    CHECK(fallocate(g, FALLOC_FL_COLLAPSE_RANGE, 100, 4096));
    CHECK(fallocate(g, FALLOC_FL_COLLAPSE_RANGE, 4096, 100));
    CHECK(fallocate(g, FALLOC_FL_COLLAPSE_RANGE, 8192, 4096));
    CHECK(fallocate(g, FALLOC_FL_INSERT_RANGE, 12288, 4096));
    CHECK(fallocate(g, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096));
    close(g);

    /* Errors, in the order Linux checks them. */
    CHECK(fallocate(fd, 0, -1, 10));
    CHECK(fallocate(fd, 0, 0, 0));
    CHECK(fallocate(fd, 0, 0, -5));
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10));
    CHECK(fallocate(fd, 0x100, 0, 10));
    CHECK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE, 0, 10));
    CHECK(fallocate(-1, 0, 0, 10));
    CHECK(fallocate(99, 0, -1, 10));
    CHECK(fallocate(fd, 0, LLONG_MAX - 10, 100));
    int ro = open("f", O_RDONLY);
    MUST(ro >= 0);
    CHECK(fallocate(ro, 0, 0, 10));
    int p[2];
    MUST(pipe(p) == 0);
    CHECK(fallocate(p[1], 0, 0, 10));
    CHECK(fallocate(p[0], 0, 0, 10));
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    CHECK(fallocate(dir, 0, 0, 10));
    int null = open("/dev/null", O_WRONLY);
    CHECK(fallocate(null, 0, 0, 10));

    /* posix_fallocate returns the error. */
    CHECK_ERRNO(posix_fallocate(fd, 0, 64));
    printf("size after posix_fallocate %ld\n", size_of(fd));
    CHECK_ERRNO(posix_fallocate(fd, 0, 0));
    CHECK_ERRNO(posix_fallocate(fd, -1, 1));
    CHECK_ERRNO(posix_fallocate(fd, 0, -1));
    CHECK_ERRNO(posix_fallocate(ro, 0, 1));
    CHECK_ERRNO(posix_fallocate(-1, 0, 1));
    CHECK_ERRNO(posix_fallocate(p[1], 0, 1));
    return 0;
}
