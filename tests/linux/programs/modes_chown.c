/* The chown family: root records any owner and group; -1 leaves one alone;
 * lchown changes a symlink itself; chown of a non-directory clears its
 * set-user-ID bit, and its set-group-ID bit if it is group-executable. */
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
    printf("%s: uid %u gid %u mode %04o\n", path, (unsigned)st.st_uid, (unsigned)st.st_gid,
           (unsigned)(st.st_mode & 07777));
}

int main(void) {
    int fd = open("f", O_CREAT | O_WRONLY, 0644);
    MUST(fd >= 0);
    show("f");
    CHECK(chown("f", 1000, 100));
    show("f");
    CHECK(chown("f", -1, 200));
    show("f");
    CHECK(chown("f", 300, -1));
    show("f");
    CHECK(fchown(fd, 0, 0));
    show("f");
    CHECK(symlink("f", "l"));
    CHECK(lchown("l", 7, 8));
    show("l");
    show("f");
    CHECK(chown("l", 9, 10)); /* follows */
    show("f");
    CHECK(fchownat(AT_FDCWD, "l", 11, 12, AT_SYMLINK_NOFOLLOW));
    show("l");
    CHECK(mkdir("d", 0755));
    CHECK(chown("d", 5, 6));
    show("d");
    static const mode_t special[] = {06755, 06745, 02710, 04700, 01755};
    for (unsigned i = 0; i < sizeof special / sizeof special[0]; i++) {
        CHECK(chmod("f", special[i]));
        CHECK(chown("f", -1, -1));
        show("f");
    }
    CHECK(chmod("d", 06755));
    CHECK(chown("d", 1, 1));
    show("d");
    CHECK(chown("nope", 0, 0));
    CHECK(lchown("", 0, 0));
    CHECK(fchown(-1, 0, 0));
    CHECK(fchownat(AT_FDCWD, "f", 0, 0, 0x4000));
    CHECK(close(fd));
    return 0;
}
