/* access and faccessat as root: read and write always pass, execute needs
 * an x bit on anything but a directory; F_OK; symlinks; bad arguments. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    MUST(close(open("f", O_CREAT | O_WRONLY, 0644)) == 0);
    static const mode_t modes[] = {0, 0400, 0644, 0100, 0010, 0001, 0755};
    for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        MUST(chmod("f", modes[i]) == 0);
        printf("mode %04o:\n", (unsigned)modes[i]);
        CHECK(access("f", F_OK));
        CHECK(access("f", R_OK));
        CHECK(access("f", W_OK));
        CHECK(access("f", X_OK));
        CHECK(access("f", R_OK | W_OK | X_OK));
        CHECK(faccessat(AT_FDCWD, "f", X_OK, AT_EACCESS));
        CHECK(eaccess("f", X_OK));
    }
    MUST(mkdir("d", 0) == 0);
    CHECK(access("d", R_OK | W_OK | X_OK));
    CHECK(access("d/", X_OK));
    MUST(chmod("f", 0644) == 0);
    MUST(symlink("f", "l") == 0);
    MUST(symlink("nope", "dangling") == 0);
    CHECK(access("l", X_OK));
    CHECK(faccessat(AT_FDCWD, "l", X_OK, AT_SYMLINK_NOFOLLOW));
    CHECK(access("dangling", F_OK));
    CHECK(faccessat(AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);
    MUST(chmod("d", 0755) == 0);
    MUST(close(open("d/x", O_CREAT | O_WRONLY, 0700)) == 0);
    CHECK(faccessat(dfd, "x", X_OK, 0));
    CHECK(faccessat(dfd, "../f", X_OK, 0));
    CHECK(access("nope", F_OK));
    CHECK(access("f/", F_OK));
    CHECK(access("f/x", F_OK));
    CHECK(access("", F_OK));
    CHECK(access("f", 8));
    CHECK(faccessat(AT_FDCWD, "f", F_OK, 0x4000));
    CHECK(faccessat(99, "f", F_OK, 0));
    CHECK(faccessat(99, "/", X_OK, 0)); /* an absolute path ignores the fd */
    return 0;
}
