/*
 * /dev/attestation from a program (tests/attestation/test_dev_attestation.py).
 *
 *   attest quote HEX      occlum_get_quote(HEX bytes): the quote, hex
 *   attest report HEX     occlum_get_report(HEX bytes): the report, hex
 *   attest type           occlum_attestation_type
 *   attest sizes          write 10, 65 and 64 bytes to user_report_data: errno names
 *   attest files HEX1 HEX2  raw file semantics: the quote is a snapshot taken at open
 *                         (HEX1 in it although HEX2 is written before the read), seeks,
 *                         refused writes; prints "snapshot HEX" lines and errno names
 *   attest family HEX1 HEX2  this process writes HEX1, a posix_spawned child prints
 *                         its report data (zeros), writes HEX2, prints its quote;
 *                         then this process prints its own report data again (HEX1)
 *   attest exec HEX       write HEX, then execv this program with "show": an exec keeps
 *                         the process, so its report data ("child" line: HEX)
 *   attest show           print this process's report data, hex ("child" line)
 */
#include <errno.h>
#include <fcntl.h>
#include <occlum/attestation.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Where a quote holds its report data (docs/attestation.md). */
#define RD_OFFSET 84

static const char *errname(int e) {
    switch (e) {
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case ERANGE: return "ERANGE";
    case 0: return "ok";
    default: return "other";
    }
}

static void hex(const char *label, const unsigned char *p, size_t n) {
    printf("%s ", label);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static size_t unhex(const char *s, unsigned char *out, size_t max) {
    size_t n = strlen(s) / 2;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
    return n;
}

static int write_data(const void *data, size_t len) {
    int fd = open("/dev/attestation/user_report_data", O_WRONLY);
    if (fd < 0)
        return errno;
    int r = write(fd, data, len) == (ssize_t)len ? 0 : errno;
    close(fd);
    return r;
}

static void show(const char *label) {
    unsigned char data[OCCLUM_REPORT_DATA_SIZE];
    int fd = open("/dev/attestation/user_report_data", O_RDONLY);
    if (fd < 0 || read(fd, data, sizeof data) != (ssize_t)sizeof data) {
        printf("%s read failed: %s\n", label, strerror(errno));
        exit(1);
    }
    close(fd);
    hex(label, data, sizeof data);
}

static int quote_cmd(const char *arg, int report) {
    unsigned char data[OCCLUM_REPORT_DATA_SIZE], out[OCCLUM_QUOTE_SIZE];
    size_t n = unhex(arg, data, sizeof data);
    int len = report ? occlum_get_report(data, n, out, sizeof out)
                     : occlum_get_quote(data, n, out, sizeof out);
    if (len < 0) {
        printf("failed: %s\n", strerror(errno));
        return 1;
    }
    hex(report ? "report" : "quote", out, (size_t)len);
    /* A buffer too small is ERANGE, report data too long EINVAL. */
    unsigned char small[16], long_data[OCCLUM_REPORT_DATA_SIZE + 1] = {0};
    errno = 0;
    printf("small %d %s\n", occlum_get_quote(data, n, small, sizeof small), errname(errno));
    errno = 0;
    printf("long %d %s\n", occlum_get_quote(long_data, sizeof long_data, out, sizeof out),
           errname(errno));
    return 0;
}

static int sizes_cmd(void) {
    unsigned char data[OCCLUM_REPORT_DATA_SIZE + 1];
    memset(data, 0xab, sizeof data);
    printf("10 %s\n", errname(write_data(data, 10)));
    printf("65 %s\n", errname(write_data(data, 65)));
    show("after");
    printf("64 %s\n", errname(write_data(data, 64)));
    show("after");
    return 0;
}

static int files_cmd(const char *a, const char *b) {
    unsigned char d1[OCCLUM_REPORT_DATA_SIZE] = {0}, d2[OCCLUM_REPORT_DATA_SIZE] = {0};
    unhex(a, d1, sizeof d1);
    unhex(b, d2, sizeof d2);
    write_data(d1, sizeof d1);
    int fd = open("/dev/attestation/quote", O_RDONLY);
    write_data(d2, sizeof d2); /* after the open: not in this quote */
    unsigned char q[OCCLUM_QUOTE_SIZE + 8];
    ssize_t got = 0, n;
    while ((n = read(fd, q + got, 100)) > 0) /* in pieces */
        got += n;
    printf("size %zd\n", got);
    hex("snapshot", q + RD_OFFSET, OCCLUM_REPORT_DATA_SIZE);
    unsigned char again[OCCLUM_REPORT_DATA_SIZE];
    printf("seek %ld\n", (long)lseek(fd, RD_OFFSET, SEEK_SET));
    printf("reread %s\n", read(fd, again, sizeof again) == (ssize_t)sizeof again &&
                                  memcmp(again, q + RD_OFFSET, sizeof again) == 0
                                  ? "same" : "differs");
    errno = 0;
    printf("write-rdonly %zd %s\n", write(fd, "x", 1), errname(errno));
    close(fd);
    fd = open("/dev/attestation/quote", O_RDWR);
    errno = 0;
    printf("write-rdwr %zd %s\n", fd < 0 ? -2 : write(fd, "x", 1), errname(errno));
    close(fd);
    errno = 0;
    printf("trunc %d %s\n", open("/dev/attestation/quote", O_WRONLY | O_TRUNC), errname(errno));
    fd = open("/dev/attestation/quote", O_RDONLY);
    got = read(fd, q, sizeof q);
    hex("fresh", q + RD_OFFSET, OCCLUM_REPORT_DATA_SIZE); /* a new open: the new data */
    close(fd);
    return 0;
}

static int family_cmd(const char *self, const char *a, const char *b) {
    unsigned char d1[OCCLUM_REPORT_DATA_SIZE] = {0};
    unhex(a, d1, sizeof d1);
    if (write_data(d1, sizeof d1) != 0)
        return 1;
    show("parent");
    char *argv[] = {(char *)self, "quote", (char *)b, NULL};
    char *show_argv[] = {(char *)self, "show", NULL};
    pid_t pid;
    int status;
    fflush(stdout);
    if (posix_spawn(&pid, self, NULL, NULL, show_argv, environ) != 0 ||
        waitpid(pid, &status, 0) != pid)
        return 1;
    if (posix_spawn(&pid, self, NULL, NULL, argv, environ) != 0 ||
        waitpid(pid, &status, 0) != pid)
        return 1;
    show("parent");
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "quote") == 0)
        return quote_cmd(argv[2], 0);
    if (argc >= 3 && strcmp(argv[1], "report") == 0)
        return quote_cmd(argv[2], 1);
    if (argc >= 2 && strcmp(argv[1], "type") == 0) {
        char buf[16];
        int n = occlum_attestation_type(buf, sizeof buf);
        char tiny[2];
        errno = 0;
        int m = occlum_attestation_type(tiny, sizeof tiny);
        printf("type %d %s %d %s\n", n, buf, m, errname(errno));
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "sizes") == 0)
        return sizes_cmd();
    if (argc >= 4 && strcmp(argv[1], "files") == 0)
        return files_cmd(argv[2], argv[3]);
    if (argc >= 4 && strcmp(argv[1], "family") == 0)
        return family_cmd(argv[0], argv[2], argv[3]);
    if (argc >= 3 && strcmp(argv[1], "exec") == 0) {
        unsigned char d[OCCLUM_REPORT_DATA_SIZE] = {0};
        unhex(argv[2], d, sizeof d);
        if (write_data(d, sizeof d) != 0)
            return 1;
        char *show_argv[] = {argv[0], "show", NULL};
        execv(argv[0], show_argv);
        perror("execv");
        return 1;
    }
    if (argc >= 2 && strcmp(argv[1], "show") == 0) {
        show("child");
        return 0;
    }
    fprintf(stderr, "usage: attest quote|report|type|sizes|files|family|exec|show ...\n");
    return 2;
}
