/* mmap family: anonymous private mappings (zeroed, writable), private file
 * mappings (the file's bytes; writes stay private), MAP_SHARED file mappings,
 * mprotect, msync, madvise, mremap, munmap, and the errors for bad arguments. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAPFAIL(p) ((p) == MAP_FAILED ? -1 : 0)

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    char *a = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MUST(a != MAP_FAILED);
    int zero = 1;
    for (long i = 0; i < 3 * pg; i++)
        if (a[i]) zero = 0;
    printf("anonymous zeroed %d aligned %d\n", zero, ((unsigned long)a % pg) == 0);
    memset(a, 'x', 3 * pg);
    printf("written %c%c\n", a[0], a[3 * pg - 1]);
    char *b = mremap(a, 3 * pg, 5 * pg, MREMAP_MAYMOVE);
    printf("mremap %s\n", b == MAP_FAILED ? errname(errno) : "ok");
    if (b != MAP_FAILED) {
        printf("kept %c%c\n", b[0], b[3 * pg - 1]);
        a = b;
    }
    size_t len = b != MAP_FAILED ? 5 * pg : 3 * pg;


    CHECK(mprotect(a, pg, PROT_READ));
    CHECK(mprotect(a, pg, PROT_READ | PROT_WRITE));
    CHECK(msync(a, pg, MS_SYNC));
    CHECK(madvise(a, pg, MADV_NORMAL));
    CHECK(posix_madvise(a, pg, POSIX_MADV_SEQUENTIAL));
    CHECK(munmap(a, len));
    CHECK(mremap(a, pg, 2 * pg, 0) == MAP_FAILED ? -1 : 0);

    /* Bad arguments. */
    CHECK(MAPFAIL(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)));
    CHECK(MAPFAIL(mmap(NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0)));
    CHECK(MAPFAIL(mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0)));
    CHECK(MAPFAIL(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, -1, 0)));
    CHECK(MAPFAIL(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, 12345, 0)));
    CHECK(munmap((void *)1, pg));
    CHECK(munmap(NULL, 0));

    /* A private file mapping: the file's bytes, zeros after its end; writes stay. */
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(write(fd, "hello, mapping", 14) == 14);
    char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    MUST(p != MAP_FAILED);
    printf("private: %.14s tail zero %d\n", p, p[14] == 0 && p[pg - 1] == 0);
    memcpy(p, "HELLO", 5);
    CHECK(msync(p, pg, MS_SYNC));
    CHECK(munmap(p, pg));
    char buf[32] = {0};
    CHECK(pread(fd, buf, sizeof buf - 1, 0));
    printf("file after private write: %s\n", buf);
    CHECK(MAPFAIL(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 1)));

    /* A read-only fd cannot be mapped shared-writable; a directory not at all. */
    int ro = open("f", O_RDONLY);
    MUST(ro >= 0);
    CHECK(MAPFAIL(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0)));
    p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, ro, 0);
    printf("private read-only fd: %s\n", p == MAP_FAILED ? errname(errno) : p);
    if (p != MAP_FAILED) munmap(p, pg);
    int wo = open("f", O_WRONLY);
    MUST(wo >= 0);
    CHECK(MAPFAIL(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, wo, 0)));
    int dir = open(".", O_RDONLY);
    MUST(dir >= 0);
    CHECK(MAPFAIL(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, dir, 0)));
    close(ro);
    close(wo);
    close(dir);
    close(fd);
    return 0;
}
