/* chdir and getcwd through symlinks: an absolute symlink's target starts at
 * "/", ".." after a symlink is the parent of its target (the physical walk),
 * "/.." is "/"; errors for files, missing names and "". */
#include "linuxtest.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[PATH_MAX];

static void where(void) {
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf)) {
        printf("getcwd: %s\n", errname(errno));
        return;
    }
    size_t n = strlen(base);
    if (strncmp(buf, base, n) == 0)
        printf("cwd: BASE%s\n", buf + n);
    else
        printf("cwd: %s\n", buf);
}

int main(void) {
    MUST(getcwd(base, sizeof base) != NULL);
    MUST(mkdir("a", 0755) == 0 && mkdir("a/b", 0755) == 0 && mkdir("c", 0755) == 0);
    MUST(close(open("c/file", O_CREAT | O_WRONLY, 0644)) == 0);
    char abs[PATH_MAX + 8];
    snprintf(abs, sizeof abs, "%s/a/b", base);
    MUST(symlink(abs, "c/absb") == 0);
    MUST(symlink("../a", "c/rela") == 0);
    CHECK(chdir("c/absb"));
    where();
    CHECK(chdir(".."));
    where(); /* the parent of a/b, not c */
    CHECK(chdir(base));
    CHECK(chdir("c/rela/b/../.."));
    where();
    CHECK(chdir("c/absb/../../c/file"));
    CHECK(chdir("c/nope"));
    CHECK(chdir(""));
    CHECK(chdir("c/file/"));
    where();
    CHECK(chdir("/.."));
    where();
    CHECK(chdir("../../.."));
    where();
    CHECK(chdir(base));
    int fd = open("c/absb", O_RDONLY | O_DIRECTORY);
    MUST(fd >= 0);
    CHECK(fchdir(fd));
    where();
    CHECK(access("../b", F_OK));
    CHECK(close(fd));
    return 0;
}
