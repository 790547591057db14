/* sendfile and copy_file_range: copying with and without an offset pointer, what
 * happens to the file offsets, end of file, and the error paths. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *path) {
    char buf[64] = {0};
    int fd = open(path, O_RDONLY);
    MUST(fd >= 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("%s: %zd [%s]\n", path, n, buf);
    close(fd);
}

int main(void) {
    int in = open("in", O_CREAT | O_RDWR, 0644);
    MUST(in >= 0 && write(in, "0123456789abcdefghij", 20) == 20);
    int out = open("out", O_CREAT | O_RDWR | O_TRUNC, 0644);
    MUST(out >= 0);

    printf("-- sendfile\n");
    MUST(lseek(in, 5, SEEK_SET) == 5);
    CHECK(sendfile(out, in, NULL, 4));
    CHECK(lseek(in, 0, SEEK_CUR));
    off_t off = 10;
    CHECK(sendfile(out, in, &off, 100));
    printf("off %ld\n", (long)off);
    CHECK(lseek(in, 0, SEEK_CUR));
    CHECK(sendfile(out, in, &off, 10));
    show("out");
    int p[2];
    MUST(pipe(p) == 0);
    off = 0;
    CHECK(sendfile(p[1], in, &off, 3));
    char buf[8] = {0};
    CHECK(read(p[0], buf, sizeof buf));
    printf("pipe got %s\n", buf);
    CHECK(sendfile(out, p[0], NULL, 3));
    CHECK(sendfile(-1, in, NULL, 3));
    CHECK(sendfile(out, -1, NULL, 3));
    off = -1;
    CHECK(sendfile(out, in, &off, 3));
    int wo = open("in", O_WRONLY);
    CHECK(sendfile(out, wo, NULL, 3));
    int ro = open("out", O_RDONLY);
    CHECK(sendfile(ro, in, NULL, 3));
    int ap = open("out", O_WRONLY | O_APPEND);
    CHECK(sendfile(ap, in, NULL, 3));
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    CHECK(sendfile(out, dir, NULL, 3));
    CHECK(sendfile(out, in, NULL, 0));

    printf("-- copy_file_range\n");
    int dst = open("dst", O_CREAT | O_RDWR | O_TRUNC, 0644);
    MUST(dst >= 0);
    MUST(lseek(in, 0, SEEK_SET) == 0);
    CHECK(copy_file_range(in, NULL, dst, NULL, 6, 0));
    printf("offsets %ld %ld\n", (long)lseek(in, 0, SEEK_CUR), (long)lseek(dst, 0, SEEK_CUR));
    off_t oi = 15, oo = 2;
    CHECK(copy_file_range(in, &oi, dst, &oo, 100, 0));
    printf("offs %ld %ld offsets %ld %ld\n", (long)oi, (long)oo, (long)lseek(in, 0, SEEK_CUR),
           (long)lseek(dst, 0, SEEK_CUR));
    CHECK(copy_file_range(in, &oi, dst, &oo, 100, 0));
    show("dst");
    oi = 0;
    CHECK(copy_file_range(in, &oi, dst, NULL, 4, 1));
    CHECK(copy_file_range(in, NULL, ro, NULL, 4, 0));
    CHECK(copy_file_range(wo, NULL, dst, NULL, 4, 0));
    CHECK(copy_file_range(in, NULL, ap, NULL, 4, 0));
    CHECK(copy_file_range(dir, NULL, dst, NULL, 4, 0));
    CHECK(copy_file_range(in, NULL, dir, NULL, 4, 0));
    CHECK(copy_file_range(p[0], NULL, dst, NULL, 4, 0));
    CHECK(copy_file_range(in, NULL, p[1], NULL, 4, 0));
    CHECK(copy_file_range(-1, NULL, dst, NULL, 4, 0));
    oi = -1;
    CHECK(copy_file_range(in, &oi, dst, NULL, 4, 0));
    oi = 0, oo = 2;
    CHECK(copy_file_range(in, &oi, in, &oo, 4, 0));
    oi = 0, oo = 10;
    CHECK(copy_file_range(in, &oi, in, &oo, 4, 0));
    show("in");
    return 0;
}
