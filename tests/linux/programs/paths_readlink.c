/* readlink, readlinkat and realpath: truncation without a NUL, EINVAL for a
 * non-link or a zero size, ENOENT for an empty path; realpath through
 * relative and absolute links, "." and "..", and its errors. */
#include "linuxtest.h"
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    char cwd[PATH_MAX], buf[64], abs[PATH_MAX + 16], out[PATH_MAX];
    MUST(getcwd(cwd, sizeof cwd) != NULL);
    MUST(mkdir("d", 0755) == 0);
    MUST(mkdir("d/e", 0755) == 0);
    MUST(close(open("d/e/f", O_CREAT | O_WRONLY, 0644)) == 0);
    MUST(symlink("d/e/f", "rel") == 0);
    snprintf(abs, sizeof abs, "%s/d/e", cwd);
    MUST(symlink(abs, "abs") == 0);
    MUST(symlink("../..", "d/e/up") == 0);
    memset(buf, 'X', sizeof buf);
    CHECK(readlink("rel", buf, sizeof buf));
    printf("%.5s%c\n", buf, buf[5]); /* no NUL written: the X stays */
    memset(buf, 'X', sizeof buf);
    CHECK(readlink("rel", buf, 3));
    printf("%.4s\n", buf);
    CHECK(readlink("rel", buf, 0));
    CHECK(readlink("d", buf, sizeof buf));
    CHECK(readlink("d/e/f", buf, sizeof buf));
    CHECK(readlink("nope", buf, sizeof buf));
    CHECK(readlink("", buf, sizeof buf));
    CHECK(readlink("rel/", buf, sizeof buf));
    int dfd = open("d/e", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);
    memset(buf, 0, sizeof buf);
    CHECK(readlinkat(dfd, "up", buf, sizeof buf));
    printf("%s\n", buf);
    CHECK(readlinkat(dfd, "", buf, sizeof buf));
    CHECK(readlinkat(99, "up", buf, sizeof buf));
    static const char *const paths[] = {
        "rel", "abs", "abs/f", "abs/up", "abs/up/rel", "./d/../d/e/./f", "d/e/up/abs/..",
        "/", "/..", "/../../", ".", "nope", "d/nope", "rel/", "rel/x", "",
    };
    for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char *r = realpath(paths[i], out);
        size_t n = strlen(cwd);
        if (!r)
            printf("realpath(\"%s\") = NULL %s\n", paths[i], errname(errno));
        else if (strncmp(r, cwd, n) == 0)
            printf("realpath(\"%s\") = CWD%s\n", paths[i], r + n);
        else
            printf("realpath(\"%s\") = %s\n", paths[i], r);
    }
    char *m = realpath("abs/f", NULL);
    printf("malloced: %s\n", m && strncmp(m, cwd, strlen(cwd)) == 0 ? m + strlen(cwd) : "?");
    free(m);
    CHECK(close(dfd));
    return 0;
}
