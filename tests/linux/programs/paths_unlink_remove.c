/* unlink, unlinkat and remove: files, directories, symlinks (never followed),
 * trailing slashes, open files that live on after their name goes. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    MUST(fd >= 0);
    MUST(write(fd, "data", 4) == 4);
    MUST(mkdir("d", 0755) == 0);
    MUST(symlink("f", "l") == 0);
    MUST(symlink("d", "ld") == 0);
    CHECK(unlink("d"));
    CHECK(unlink("d/"));
    CHECK(unlink("f/"));
    CHECK(unlink("nope"));
    CHECK(unlink("nope/x"));
    CHECK(unlink("f/x"));
    CHECK(unlink(""));
    CHECK(unlink("ld"));
    CHECK(access("d", F_OK));
    CHECK(unlink("l"));
    CHECK(access("f", F_OK));
    CHECK(unlink("f"));
    CHECK(access("f", F_OK));
    char buf[8] = {0};
    CHECK(pread(fd, buf, 4, 0));
    printf("still readable: %s\n", buf);
    struct stat st;
    CHECK(fstat(fd, &st));
    printf("nlink %d\n", (int)st.st_nlink);
    CHECK(close(fd));
    MUST(close(open("g", O_CREAT | O_WRONLY, 0644)) == 0);
    CHECK(remove("g"));
    CHECK(remove("g"));
    CHECK(remove("d"));
    CHECK(access("d", F_OK));
    MUST(mkdir("e", 0755) == 0);
    MUST(close(open("e/x", O_CREAT | O_WRONLY, 0644)) == 0);
    CHECK(remove("e"));
    int dfd = open("e", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);
    CHECK(unlinkat(dfd, "x", 0));
    CHECK(unlinkat(dfd, "x", 0));
    CHECK(unlinkat(dfd, "x", 0x8000));
    CHECK(unlinkat(99, "x", 0));
    CHECK(close(dfd));
    CHECK(remove("e"));
    return 0;
}
