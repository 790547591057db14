/* The *at calls relative to a directory fd, AT_FDCWD and the cwd, after
 * chdir and fchdir; an absolute path ignores the fd; a file fd is ENOTDIR,
 * a closed one EBADF; ".." from a directory fd and from "/". */
#include "linuxtest.h"
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    char cwd[PATH_MAX];
    MUST(getcwd(cwd, sizeof cwd) != NULL);
    MUST(mkdir("top", 0755) == 0);
    int top = open("top", O_RDONLY | O_DIRECTORY);
    MUST(top >= 0);
    int file = open("plain", O_CREAT | O_RDWR, 0644);
    MUST(file >= 0);
    CHECK(mkdirat(top, "sub", 0700));
    CHECK(symlinkat("sub", top, "link"));
    CHECK(linkat(AT_FDCWD, "plain", top, "sub/hard", 0));
    CHECK(faccessat(top, "link/hard", R_OK, 0));
    CHECK(fchownat(top, "sub/hard", 3, 4, 0));
    struct stat st;
    CHECK(fstatat(top, "sub/hard", &st, 0));
    printf("owner %u:%u nlink %d\n", (unsigned)st.st_uid, (unsigned)st.st_gid, (int)st.st_nlink);
    CHECK(renameat(top, "sub/hard", top, "../moved"));
    CHECK(access("moved", F_OK));
    CHECK(unlinkat(top, "../moved", 0));
    char buf[32] = {0};
    CHECK(readlinkat(top, "link", buf, sizeof buf - 1));
    printf("link -> %s\n", buf);
    CHECK(mkdirat(file, "x", 0755));
    CHECK(unlinkat(file, "x", 0));
    CHECK(symlinkat("t", file, "x"));
    CHECK(readlinkat(file, "x", buf, sizeof buf));
    CHECK(fchownat(file, "x", 0, 0, 0));
    CHECK(fchownat(file, "", 5, 6, AT_EMPTY_PATH));
    CHECK(fstat(file, &st));
    printf("owner %u:%u\n", (unsigned)st.st_uid, (unsigned)st.st_gid);
    CHECK(mkdirat(file, "/", 0755)); /* absolute: the fd is not looked at */
    int closed = dup(top);
    MUST(closed >= 0 && close(closed) == 0);
    CHECK(mkdirat(closed, "x", 0755));
    CHECK(chdir("top"));
    CHECK(mkdirat(AT_FDCWD, "here", 0755));
    CHECK(access("../top/here", F_OK));
    CHECK(fchdir(top));
    CHECK(unlinkat(AT_FDCWD, "here", AT_REMOVEDIR));
    CHECK(chdir("/"));
    CHECK(access("..", F_OK));
    CHECK(access("../../..", X_OK));
    int root = open("/", O_RDONLY | O_DIRECTORY);
    MUST(root >= 0);
    CHECK(faccessat(root, "..", F_OK, 0));
    CHECK(faccessat(root, "../../../..", X_OK, 0));
    CHECK(chdir(cwd));
    CHECK(unlinkat(top, "link", 0));
    CHECK(unlinkat(top, "sub", AT_REMOVEDIR));
    CHECK(unlinkat(AT_FDCWD, "top", AT_REMOVEDIR));
    CHECK(close(root));
    CHECK(close(top));
    CHECK(close(file));
    return 0;
}
