/* The device files and terminals: /dev/null (reads EOF, swallows writes),
 * /dev/zero (zeros), /dev/full (ENOSPC), /dev/urandom (random bytes), lseek on
 * them; isatty/ttyname on files, pipes and devices (ENOTTY), bad fds (EBADF). */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    char buf[256];
    int null = open("/dev/null", O_RDWR);
    MUST(null >= 0);
    CHECK(read(null, buf, sizeof buf));
    CHECK(write(null, "discard", 7));
    CHECK(lseek(null, 100, SEEK_SET));
    struct stat st;
    MUST(fstat(null, &st) == 0);
    printf("/dev/null chr %d mode %o\n", S_ISCHR(st.st_mode), st.st_mode & 0777);

    int zero = open("/dev/zero", O_RDWR);
    MUST(zero >= 0);
    memset(buf, 'x', sizeof buf);
    CHECK(read(zero, buf, sizeof buf));
    int allzero = 1;
    for (size_t i = 0; i < sizeof buf; i++)
        if (buf[i]) allzero = 0;
    printf("/dev/zero zeros %d\n", allzero);
    CHECK(write(zero, "x", 1));

    int full = open("/dev/full", O_RDWR);
    MUST(full >= 0);
    CHECK(write(full, "x", 1));
    CHECK(read(full, buf, 16));
    printf("/dev/full reads zeros %d\n", buf[0] == 0 && buf[15] == 0);
    FILE *ff = fopen("/dev/full", "w");
    MUST(ff != NULL);
    fputs("buffered", ff);
    errno = 0;
    int r = fflush(ff);
    printf("fflush /dev/full %d %s\n", r, errname(errno));
    fclose(ff);

    int ur = open("/dev/urandom", O_RDONLY);
    MUST(ur >= 0);
    unsigned char a[32], b[32];
    CHECK(read(ur, a, sizeof a));
    CHECK(read(ur, b, sizeof b));
    printf("/dev/urandom differs %d\n", memcmp(a, b, sizeof a) != 0);
    int rnd = open("/dev/random", O_RDONLY);
    CHECK(read(rnd, a, 16));

    printf("isatty file:\n");
    int f = open("file", O_CREAT | O_RDWR, 0644);
    MUST(f >= 0);
    CHECK(isatty(f));
    CHECK(isatty(null));
    CHECK(isatty(zero));
    int p[2];
    MUST(pipe(p) == 0);
    CHECK(isatty(p[0]));
    CHECK(isatty(-1));
    CHECK(isatty(999));
    errno = 0;
    printf("ttyname file %s\n", ttyname(f) ? "name" : errname(errno));
    errno = 0;
    printf("ttyname null %s\n", ttyname(null) ? "name" : errname(errno));
    errno = 0;
    printf("ttyname bad %s\n", ttyname(999) ? "name" : errname(errno));
    char name[64];
    CHECK_ERRNO(ttyname_r(f, name, sizeof name));
    CHECK_ERRNO(ttyname_r(999, name, sizeof name));

    char *rp = realpath("/dev/null", NULL);
    printf("realpath /dev/null %s\n", rp ? rp : errname(errno));
    free(rp);
    CHECK(access("/dev/null", R_OK | W_OK));
    CHECK(access("/dev/nonexistent", F_OK));
    return 0;
}
