/*
 * devices (PyOcclum only: wasmtime's WASI has no /dev): /dev/null,
 * /dev/zero, /dev/full, /dev/urandom, /dev/random, /dev/stdout and the
 * listing of /dev.
 */
#include <dirent.h>
#include <sys/stat.h>

#include "common.h"

static int all_zero(const unsigned char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

static int listed(const char *name) {
    DIR *d = opendir("/dev");
    if (d == NULL)
        return 0;
    struct dirent *de;
    int found = 0;
    while ((de = readdir(d)) != NULL)
        if (strcmp(de->d_name, name) == 0)
            found = 1;
    closedir(d);
    return found;
}

int main(void) {
    unsigned char buf[4096];
    struct stat st;
    int fd;
    ssize_t n;

    const char *devs[] = {"null", "zero", "full", "random", "urandom"};
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/dev/%s", devs[i]);
        int is_chr = stat(path, &st) == 0 && S_ISCHR(st.st_mode);
        printf("%s: char device %d, listed %d\n", path, is_chr, listed(devs[i]));
        CHECK(is_chr && listed(devs[i]));
    }

    /* /dev/null: reads EOF, swallows writes */
    fd = open("/dev/null", O_RDWR);
    EXPECT_OK(fd, "open /dev/null");
    printf("read /dev/null: %ld\n", (long)read(fd, buf, sizeof buf));
    printf("write /dev/null: %ld\n", (long)write(fd, "data", 4));
    close(fd);

    /* /dev/zero: reads zeros, accepts writes */
    fd = open("/dev/zero", O_RDWR);
    EXPECT_OK(fd, "open /dev/zero");
    memset(buf, 0xAA, sizeof buf);
    n = read(fd, buf, sizeof buf);
    printf("read /dev/zero: %ld all zero %d\n", (long)n, n == (ssize_t)sizeof buf && all_zero(buf, sizeof buf));
    CHECK(n == (ssize_t)sizeof buf && all_zero(buf, sizeof buf));
    printf("write /dev/zero: %ld\n", (long)write(fd, "data", 4));
    close(fd);

    /* /dev/full: writes fail with ENOSPC, reads zeros */
    fd = open("/dev/full", O_RDWR);
    EXPECT_OK(fd, "open /dev/full");
    EXPECT_ERR(write(fd, "data", 4), ENOSPC, "write /dev/full");
    memset(buf, 0xAA, 100);
    n = read(fd, buf, 100);
    printf("read /dev/full: %ld all zero %d\n", (long)n, n == 100 && all_zero(buf, 100));
    close(fd);

    /* /dev/urandom and /dev/random */
    const char *rnd[] = {"/dev/urandom", "/dev/random"};
    for (int i = 0; i < 2; i++) {
        unsigned char a[64], b[64];
        fd = open(rnd[i], O_RDONLY);
        EXPECT_OK(fd, rnd[i]);
        ssize_t na = read(fd, a, sizeof a), nb = read(fd, b, sizeof b);
        printf("%s: %ld+%ld bytes, non-zero %d, differ %d\n", rnd[i], (long)na, (long)nb,
               !all_zero(a, 64) && !all_zero(b, 64), memcmp(a, b, 64) != 0);
        CHECK(na == 64 && nb == 64 && !all_zero(a, 64) && memcmp(a, b, 64) != 0);
        close(fd);
    }
    fd = open("/dev/urandom", O_RDONLY);
    static unsigned char big[65536];
    size_t got = 0;
    while (got < sizeof big && (n = read(fd, big + got, sizeof big - got)) > 0)
        got += (size_t)n;
    close(fd);
    long bits = 0;
    for (size_t i = 0; i < got; i++)
        bits += __builtin_popcount(big[i]);
    printf("/dev/urandom 64 KiB: %zu bytes, bit balance %s\n", got,
           bits > 262144 - 5000 && bits < 262144 + 5000 ? "ok" : "off");

    /* /dev/stdout is this process's stdout */
    fd = open("/dev/stdout", O_WRONLY);
    EXPECT_OK(fd, "open /dev/stdout");
    fflush(stdout);
    const char *msg = "written to /dev/stdout\n";
    n = write(fd, msg, strlen(msg));
    CHECK(n == (ssize_t)strlen(msg));
    close(fd);

    EXPECT_ERR(open("/dev/nonexistent", O_RDONLY), ENOENT, "open /dev/nonexistent");
    return finish();
}
