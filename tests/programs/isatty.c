/*
 * isatty: with stdin, stdout and stderr all redirected (files or buffers,
 * never a terminal), isatty() is 0 for each and sets ENOTTY; it is also 0
 * for a regular file and EBADF for a closed fd.
 */
#include "common.h"

int main(void) {
    for (int fd = 0; fd <= 2; fd++) {
        errno = 0;
        int t = isatty(fd);
        printf("isatty(%d): %d %s\n", fd, t, t ? "" : errname(errno));
        CHECK(t == 0);
    }
    int fd = open("/tmp/isatty-file", O_RDWR | O_CREAT, 0644);
    errno = 0;
    printf("isatty(file): %d %s\n", isatty(fd), errname(errno));
    close(fd);
    unlink("/tmp/isatty-file");
    errno = 0;
    printf("isatty(closed): %d %s\n", isatty(fd), errname(errno));
    return finish();
}
