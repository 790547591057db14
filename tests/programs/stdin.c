/*
 * stdin: reads all of stdin with read(2) in odd-sized chunks and prints its
 * length, line count, an FNV-1a checksum and its first line; then checks
 * that reading at EOF keeps returning 0.
 *
 * usage: stdin          print the digest
 *        stdin echo     copy stdin to stdout (write(2) in 1000-byte pieces,
 *                       retrying short writes), then "echoed N bytes" on stderr
 */
#include "common.h"

static int echo(void) {
    char buf[1000];
    long total = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(1, buf + done, (size_t)(n - done));
            if (w <= 0) {
                fprintf(stderr, "write: %s\n", errname(errno));
                return 1;
            }
            done += w;
        }
        total += n;
    }
    fprintf(stderr, "echoed %ld bytes\n", total);
    return n == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "echo") == 0)
        return echo();
    static char buf[1 << 20];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof buf && (n = read(0, buf + len, 777)) > 0) {
        len += (size_t)n;
    }
    if (n < 0)
        FAILF("read: %s", errname(errno));
    unsigned long lines = 0;
    unsigned hash = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n')
            lines++;
        hash = (hash ^ (unsigned char)buf[i]) * 16777619u;
    }
    printf("bytes: %zu\n", len);
    printf("lines: %lu\n", lines);
    printf("fnv1a: %08x\n", hash);
    size_t first = 0;
    while (first < len && first < 60 && buf[first] != '\n')
        first++;
    printf("first line: \"%.*s\"\n", (int)first, buf);
    printf("read again at EOF: %ld\n", (long)read(0, buf, 10));
    printf("and again: %ld\n", (long)read(0, buf, 10));
    return finish();
}
