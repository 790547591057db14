/* chmod, fchmod, fchmodat and what stat shows: permission, setuid/setgid/sticky
 * bits, type bits ignored, symlinks followed or refused (AT_SYMLINK_NOFOLLOW). */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        printf("%s: lstat %s\n", path, errname(errno));
        return;
    }
    printf("%s: %06o\n", path, (unsigned)st.st_mode);
}

int main(void) {
    umask(022);
    int fd = open("f", O_CREAT | O_WRONLY, 0666);
    MUST(fd >= 0);
    show("f");
    static const mode_t modes[] = {0, 0600, 0755, 04711, 02755, 01777, 07777};
    for (unsigned i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        CHECK(chmod("f", modes[i]));
        show("f");
    }
    CHECK(chmod("f", S_IFDIR | 0640)); /* type bits are not permission bits */
    show("f");
    CHECK(fchmod(fd, 0604));
    show("f");
    CHECK(mkdir("d", 0755));
    CHECK(chmod("d", 01700));
    show("d");
    CHECK(symlink("f", "l"));
    show("l");
    CHECK(chmod("l", 0611)); /* follows the link */
    show("f");
    show("l");
    CHECK(fchmodat(AT_FDCWD, "l", 0600, AT_SYMLINK_NOFOLLOW));
    CHECK(fchmodat(AT_FDCWD, "f", 0640, 0));
    show("f");
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);
    CHECK(close(open("d/g", O_CREAT | O_WRONLY, 0600)));
    CHECK(fchmodat(dfd, "g", 0444, 0));
    show("d/g");
    CHECK(fchmodat(fd, "g", 0444, 0));
    CHECK(fchmodat(AT_FDCWD, "f", 0644, 0x4000));
    CHECK(chmod("nope", 0644));
    CHECK(chmod("f/x", 0644));
    CHECK(chmod("", 0644));
    CHECK(fchmod(-1, 0644));
    CHECK(fchmod(99, 0644));
    CHECK(close(fd));
    return 0;
}
