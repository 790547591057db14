/* mkdir, mkdirat, rmdir and unlinkat(AT_REMOVEDIR): trailing slashes, ".",
 * "..", existing names, missing parents, non-directories, long names. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    char longname[300];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    MUST(close(open("file", O_CREAT | O_WRONLY, 0644)) == 0);
    CHECK(mkdir("a", 0755));
    CHECK(mkdir("a", 0755));
    CHECK(mkdir("a/b/", 0755));
    CHECK(mkdir("a/b/c/d", 0755));
    CHECK(mkdir("file", 0755));
    CHECK(mkdir("file/x", 0755));
    CHECK(mkdir(".", 0755));
    CHECK(mkdir("..", 0755));
    CHECK(mkdir("/", 0755));
    CHECK(mkdir("", 0755));
    CHECK(mkdir(longname, 0755));
    int dfd = open("a", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);
    int ffd = open("file", O_RDONLY);
    MUST(ffd >= 0);
    CHECK(mkdirat(dfd, "c", 0755));
    CHECK(access("a/c", F_OK));
    CHECK(mkdirat(ffd, "c", 0755));
    CHECK(mkdirat(99, "c", 0755));
    CHECK(mkdirat(AT_FDCWD, "a/c/../e", 0755));
    CHECK(access("a/e", F_OK));
    CHECK(rmdir("a"));
    CHECK(rmdir("file"));
    CHECK(rmdir("nope"));
    CHECK(rmdir("a/b/."));
    CHECK(rmdir("a/b/.."));
    CHECK(rmdir("/"));
    CHECK(rmdir(""));
    CHECK(rmdir(longname));
    CHECK(symlink("a/b", "lb"));
    CHECK(rmdir("lb"));
    CHECK(rmdir("lb/"));
    CHECK(rmdir("a/b/"));
    CHECK(unlinkat(dfd, "c", AT_REMOVEDIR));
    CHECK(unlinkat(dfd, "c", AT_REMOVEDIR));
    CHECK(unlinkat(dfd, "e", 0));
    CHECK(unlinkat(AT_FDCWD, "a/e", AT_REMOVEDIR));
    CHECK(unlinkat(AT_FDCWD, "file", AT_REMOVEDIR));
    CHECK(unlinkat(AT_FDCWD, "a", 0x8000));
    CHECK(rmdir("a"));
    CHECK(access("a", F_OK));
    CHECK(close(dfd));
    CHECK(close(ffd));
    return 0;
}
