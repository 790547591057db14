/* MAP_SHARED file mappings: writes through the mapping reach the file (after
 * msync, and at munmap), and the file's bytes are what the mapping shows. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    int fd = open("shared", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(ftruncate(fd, 64) == 0);
    MUST(pwrite(fd, "0123456789", 10, 0) == 10);
    char *p = mmap(NULL, 64, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) {
        printf("mmap shared: %s\n", errname(errno));
        return 1;
    }
    printf("mapped: %.10s\n", p);
    memcpy(p, "abc", 3);
    CHECK(msync(p, 64, MS_SYNC));
    char buf[16] = {0};
    CHECK(pread(fd, buf, 10, 0));
    printf("after msync: %s\n", buf);
    memcpy(p + 5, "XY", 2);
    CHECK(munmap(p, 64));
    memset(buf, 0, sizeof buf);
    CHECK(pread(fd, buf, 10, 0));
    printf("after munmap: %s\n", buf);
    CHECK(msync(p, pg, MS_SYNC | MS_ASYNC));
    close(fd);
    return 0;
}
