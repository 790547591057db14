/* rename, renameat and renameat2(RENAME_NOREPLACE): replacing files and empty
 * directories, type mismatches, a directory into itself, "." and "..",
 * trailing slashes, hard links to the same file. */
#include "linuxtest.h"
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void mkfile(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
}

static void show(const char *path) {
    char buf[32] = {0};
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("%s: open %s\n", path, errname(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("%s: %zd \"%s\"\n", path, n, n > 0 ? buf : "");
    close(fd);
}

int main(void) {
    mkfile("a", "A");
    mkfile("b", "B");
    MUST(mkdir("d", 0755) == 0);
    MUST(mkdir("e", 0755) == 0);
    MUST(mkdir("full", 0755) == 0);
    mkfile("full/x", "X");
    CHECK(rename("a", "b"));
    show("a");
    show("b");
    CHECK(rename("b", "b"));
    show("b");
    CHECK(rename("b", "d"));
    CHECK(rename("d", "b"));
    CHECK(rename("d", "full"));
    CHECK(rename("d", "e"));
    CHECK(access("d", F_OK));
    CHECK(access("e", F_OK));
    CHECK(rename("e", "e/sub"));
    CHECK(rename("full", "full/x/y"));
    CHECK(rename("b/", "c"));
    CHECK(rename("b", "c/"));
    CHECK(rename("e/", "d/"));
    CHECK(rename(".", "x"));
    CHECK(rename("x", "."));
    CHECK(rename("..", "x"));
    CHECK(rename("nope", "x"));
    CHECK(rename("b", "nope/x"));
    CHECK(rename("", "x"));
    CHECK(rename("b", ""));
    CHECK(link("d/../b", "hard"));
    CHECK(rename("b", "hard")); /* the same file: nothing happens */
    CHECK(access("b", F_OK));
    int dfd = open("full", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);
    CHECK(renameat(dfd, "x", AT_FDCWD, "moved"));
    show("moved");
    CHECK(renameat(AT_FDCWD, "moved", dfd, "back"));
    show("full/back");
    mkfile("c", "C");
    CHECK(renameat2(AT_FDCWD, "c", AT_FDCWD, "b", RENAME_NOREPLACE));
    show("b");
    CHECK(renameat2(AT_FDCWD, "c", AT_FDCWD, "new", RENAME_NOREPLACE));
    show("new");
    CHECK(renameat2(AT_FDCWD, "new", AT_FDCWD, "b", RENAME_NOREPLACE | RENAME_EXCHANGE));
    CHECK(renameat2(AT_FDCWD, "new", AT_FDCWD, "b", 0x80));
    CHECK(symlink("b", "lb"));
    CHECK(rename("lb", "lb2"));
    char buf[8] = {0};
    CHECK(readlink("lb2", buf, sizeof buf - 1));
    show("lb2");
    CHECK(close(dfd));
    return 0;
}
