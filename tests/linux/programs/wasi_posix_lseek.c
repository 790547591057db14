/* lseek through libocclum is Linux's, while WASI's raw fd_seek answers as
 * wasmtime's (EBADF for a directory): directory fds rewind, SEEK_CUR with 0
 * (wasi-libc's macro turns it into its tell), pipes, /dev/null, a bad
 * whence and negative offsets. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linuxtest.h"

static int count_entries(DIR *d) {
    int n = 0;
    while (readdir(d) != NULL)
        n++;
    return n;
}

int main(void) {
    MUST(mkdir("d", 0755) == 0);
    MUST(close(open("d/a", O_CREAT | O_WRONLY, 0644)) == 0);
    MUST(close(open("d/b", O_CREAT | O_WRONLY, 0644)) == 0);

    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    MUST(dfd >= 0);
    CHECK(lseek(dfd, 0, SEEK_SET));
    CHECK(lseek(dfd, 0, SEEK_CUR));
    CHECK(lseek(dfd, -1, SEEK_SET));
    /* A directory read to its end, rewound with lseek, lists the same names. */
    DIR *d = fdopendir(dfd);
    MUST(d != NULL);
    int first = count_entries(d);
    rewinddir(d);
    printf("entries %d, again %d\n", first, count_entries(d));
    closedir(d);

    int fd = open("f", O_CREAT | O_RDWR | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(write(fd, "0123456789", 10) == 10);
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(lseek(fd, 3, SEEK_SET));
    CHECK(lseek(fd, 0, SEEK_CUR));
    CHECK(lseek(fd, 2, SEEK_CUR));
    CHECK(lseek(fd, -4, SEEK_END));
    CHECK(lseek(fd, 100, SEEK_SET));
    CHECK(lseek(fd, -200, SEEK_CUR));
    CHECK(lseek(fd, 0, 7));
    char c;
    MUST(lseek(fd, 5, SEEK_SET) == 5);
    MUST(read(fd, &c, 1) == 1);
    printf("read at 5: %c, now at %ld\n", c, (long)lseek(fd, 0, SEEK_CUR));
    close(fd);

    int p[2];
    MUST(pipe(p) == 0);
    CHECK(lseek(p[0], 0, SEEK_SET));
    CHECK(lseek(p[1], 0, SEEK_CUR));
    close(p[0]);
    close(p[1]);

    int null = open("/dev/null", O_RDWR);
    MUST(null >= 0);
    CHECK(lseek(null, 100, SEEK_SET));
    close(null);
    CHECK(lseek(99, 0, SEEK_SET));
    return 0;
}
