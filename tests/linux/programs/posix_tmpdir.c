/* The directories programs assume: / and /tmp are directories, /tmp is
 * world-writable with the sticky bit (01777), a file made there with
 * mkstemp is 0600 and can be renamed and removed, /etc/passwd and
 * /etc/group are readable files, /dev is a directory, and realpath
 * resolves "..", "." and repeated slashes under them. */
#include "linuxtest.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("%s: %s\n", path, errname(errno));
        return;
    }
    printf("%s: %s mode %o\n", path, S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file"
           : S_ISCHR(st.st_mode) ? "chr" : "other", st.st_mode & 07777);
}

int main(void) {
    show("/");
    show("/tmp");
    show("/dev");
    show("/dev/null");
    struct stat st;
    printf("/etc/passwd file %d, /etc/group file %d\n",
           stat("/etc/passwd", &st) == 0 && S_ISREG(st.st_mode),
           stat("/etc/group", &st) == 0 && S_ISREG(st.st_mode));
    CHECK(access("/tmp", R_OK | W_OK | X_OK));
    CHECK(access("/etc/passwd", R_OK));

    umask(022);
    char name[] = "/tmp/posix-tmpdir-XXXXXX";
    int fd = mkstemp(name);
    MUST(fd >= 0);
    MUST(fstat(fd, &st) == 0);
    printf("mkstemp in /tmp: mode %o\n", st.st_mode & 0777);
    char other[PATH_MAX];
    snprintf(other, sizeof other, "%s.renamed", name);
    CHECK(rename(name, other));
    CHECK(unlink(other));
    CHECK(close(fd));

    char buf[PATH_MAX];
    const char *paths[] = {"/tmp/../etc/./passwd", "//tmp///", "/dev/../dev/null", "/tmp/nonexistent"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char *r = realpath(paths[i], buf);
        printf("realpath %s = %s\n", paths[i], r ? r : errname(errno));
    }
    return 0;
}
