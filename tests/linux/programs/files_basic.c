/* open/read/write/lseek/unlink on the current folder, and the errnos of common mistakes. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
    char buf[16] = {0};
    int fd = open("f", O_CREAT | O_RDWR | O_EXCL, 0644);
    MUST(fd >= 0);
    CHECK(write(fd, "hello", 5));
    CHECK(lseek(fd, 0, SEEK_SET));
    CHECK(read(fd, buf, sizeof buf));
    printf("read: %s\n", buf);
    CHECK(lseek(fd, -1, SEEK_SET));
    CHECK(open("f", O_CREAT | O_EXCL | O_WRONLY, 0644));
    CHECK(open("missing", O_RDONLY));
    CHECK(open("f/x", O_RDONLY));
    CHECK(read(-1, buf, 1));
    CHECK(close(fd));
    CHECK(close(fd));
    CHECK(mkdir("d", 0755));
    CHECK(mkdir("d", 0755));
    CHECK(rmdir("f"));
    CHECK(unlink("d"));
    CHECK(rmdir("d"));
    CHECK(unlink("f"));
    CHECK(unlink("f"));
    return 0;
}
