/* ioctl(FIONREAD) on a pipe's read end: the bytes buffered now, as Linux
 * counts them (0 when empty, and after the writer closed). */
#include <sys/ioctl.h>
#include <unistd.h>

#include "linuxtest.h"

int main(void) {
    int fds[2];
    int n = -1;
    char buf[8];
    MUST(pipe(fds) == 0);
    CHECK(ioctl(fds[0], FIONREAD, &n));
    printf("empty: %d\n", n);
    CHECK(write(fds[1], "abc", 3));
    CHECK(write(fds[1], "defg", 4));
    CHECK(ioctl(fds[0], FIONREAD, &n));
    printf("after 7 bytes: %d\n", n);
    CHECK(read(fds[0], buf, 2));
    CHECK(ioctl(fds[0], FIONREAD, &n));
    printf("after reading 2: %d\n", n);
    CHECK(close(fds[1]));
    CHECK(ioctl(fds[0], FIONREAD, &n));
    printf("writer closed: %d\n", n);
    CHECK(read(fds[0], buf, sizeof buf));
    CHECK(ioctl(fds[0], FIONREAD, &n));
    printf("drained: %d\n", n);
    return 0;
}
