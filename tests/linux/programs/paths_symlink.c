/* symlink, symlinkat and following links: relative and absolute targets,
 * dangling links, loops (ELOOP), ".." at "/" staying at "/", targets and
 * names that are too long, trailing slashes. */
#include "linuxtest.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("%s: stat %s\n", path, errname(errno));
        return;
    }
    if (S_ISDIR(st.st_mode))
        printf("%s: dir\n", path);
    else
        printf("%s: file size %lld\n", path, (long long)st.st_size);
}

int main(void) {
    char cwd[PATH_MAX];
    MUST(getcwd(cwd, sizeof cwd) != NULL);
    MUST(mkdir("d", 0755) == 0);
    int fd = open("d/f", O_CREAT | O_WRONLY, 0644);
    MUST(fd >= 0 && write(fd, "12345", 5) == 5 && close(fd) == 0);
    CHECK(symlink("d/f", "rel"));
    show("rel");
    char abs[PATH_MAX + 8];
    snprintf(abs, sizeof abs, "%s/d", cwd);
    CHECK(symlink(abs, "absdir"));
    show("absdir/f");
    show("absdir/../d/f");
    /* ".." above "/" stays at "/": as many as there are components, and more. */
    char up[PATH_MAX + 64] = "";
    for (int i = 0; i < 40; i++)
        strcat(up, "../");
    strcat(up, cwd + 1);
    strcat(up, "/d/f");
    CHECK(symlink(up, "up"));
    show("up");
    CHECK(symlink("/", "root"));
    show("root/..");
    CHECK(symlink("nope", "dangling"));
    show("dangling");
    CHECK(symlink("x", "dangling"));
    CHECK(symlink("loop2", "loop1"));
    CHECK(symlink("loop1", "loop2"));
    show("loop1");
    show("loop1/x");
    CHECK(open("loop1", O_RDONLY));
    CHECK(symlink("self", "self"));
    show("self");
    CHECK(symlinkat("f", AT_FDCWD, "d/l"));
    show("d/l");
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);
    CHECK(symlinkat("f", dfd, "l2"));
    show("d/l2");
    CHECK(symlinkat("f", 99, "l3"));
    CHECK(symlink("t", "d/f/x"));
    CHECK(symlink("t", "nope/x"));
    CHECK(symlink("t", "new/"));
    CHECK(symlink("t", "d/"));
    CHECK(symlink("t", "."));
    static char target[5000];
    memset(target, 'a', 4095);
    CHECK(symlink(target, "long4095"));
    memset(target, 'a', 4096);
    CHECK(symlink(target, "long4096"));
    char name[300];
    memset(name, 'n', 299);
    name[299] = '\0';
    CHECK(symlink("t", name));
    CHECK(close(dfd));
    return 0;
}
