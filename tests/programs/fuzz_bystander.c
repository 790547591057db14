/* The innocent bystander of the syscall fuzzer (issue 16): runs next to the
 * fuzzers and must see a LibOS that works.
 *
 * usage: fuzz_bystander ROUNDS
 *
 * Each round writes a pattern (a different one per round) to a file on the
 * encrypted root and one in /tmp, fsyncs, reads both back and compares; sends
 * it through a pipe and reads it back; checks getpid and getcwd. Prints
 * "FAIL <what>" and exits 1 at the first difference, else exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define SIZE 4096

static int fail(const char *what, int round) {
    printf("FAIL %s (round %d, errno %d)\n", what, round, errno);
    return 1;
}

static int file_round(const char *path, const unsigned char *data, int round) {
    unsigned char back[SIZE];
    int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
    if (fd < 0)
        return fail(path, round);
    if (write(fd, data, SIZE) != SIZE || fsync(fd) != 0)
        return fail("write", round);
    if (lseek(fd, 0, SEEK_SET) != 0 || read(fd, back, SIZE) != SIZE)
        return fail("read back", round);
    if (memcmp(back, data, SIZE) != 0)
        return fail("data differs", round);
    return close(fd) != 0 ? fail("close", round) : 0;
}

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    int rounds = atoi(argv[1]);
    pid_t me = getpid();
    mkdir("/innocent", 0700);
    mkdir("/tmp/innocent", 0700);
    static unsigned char data[SIZE], back[SIZE];
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < SIZE; i++)
            data[i] = (unsigned char)(i * 31 + r * 7);
        if (file_round("/innocent/f", data, r) || file_round("/tmp/innocent/f", data, r))
            return 1;
        int p[2];
        if (pipe(p) != 0)
            return fail("pipe", r);
        if (write(p[1], data, SIZE) != SIZE || read(p[0], back, SIZE) != SIZE)
            return fail("pipe io", r);
        if (memcmp(back, data, SIZE) != 0)
            return fail("pipe data differs", r);
        close(p[0]);
        close(p[1]);
        char cwd[64];
        if (getpid() != me || getcwd(cwd, sizeof cwd) == NULL || strcmp(cwd, "/") != 0)
            return fail("identity", r);
    }
    printf("ok %d rounds\n", rounds);
    return 0;
}
