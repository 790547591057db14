/* More of mmap: reserving with PROT_NONE and mapping over part of it with
 * MAP_FIXED, MAP_FIXED_NOREPLACE over a mapping (EEXIST), unmapping the
 * middle of a mapping (the rest stays usable), madvise(MADV_DONTNEED)
 * zeroing private anonymous pages, mincore, mlock, shrinking with mremap,
 * and the errors of madvise/msync/mprotect for unaligned addresses and bad
 * arguments. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MAPFAIL(p) ((p) == MAP_FAILED ? -1 : 0)

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    char *r = mmap(NULL, 4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MUST(r != MAP_FAILED);
    char *f = mmap(r + pg, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                   -1, 0);
    printf("MAP_FIXED inside the reservation: at %d\n", f == r + pg);
    memset(f, 'f', 2 * pg);
    CHECK(MAPFAIL(mmap(r, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)));
    CHECK(MAPFAIL(mmap(r + 1, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)));
    CHECK(munmap(r, 4 * pg));

    char *a = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MUST(a != MAP_FAILED);
    memset(a, 'a', 3 * pg);
    CHECK(munmap(a + pg, pg));
    printf("outer pages kept: %c %c\n", a[0], a[2 * pg]);
    a[0] = 'b';
    a[2 * pg] = 'c';
    printf("still writable: %c %c\n", a[0], a[2 * pg]);
    CHECK(madvise(a, pg, MADV_DONTNEED));
    printf("after MADV_DONTNEED: %d\n", a[0]);
    CHECK(madvise(a, pg, 12345));
    CHECK(madvise(a + 1, pg, MADV_NORMAL));
    CHECK(msync(a + 1, pg, MS_SYNC));
    CHECK(msync(a, pg, 0x100));
    CHECK(mprotect(a + 1, pg, PROT_READ));
    CHECK(mlock(a, pg));
    CHECK(munlock(a, pg));
    unsigned char vec[1];
    CHECK(mincore(a, pg, vec));
    printf("resident %d\n", vec[0] & 1);
    CHECK(mincore(a + 1, pg, vec));
    CHECK(munmap(a, pg));
    CHECK(munmap(a + 2 * pg, pg));

    char *g = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    MUST(g != MAP_FAILED);
    g[0] = 'g';
    char *s = mremap(g, 4 * pg, pg, 0);
    printf("mremap shrink in place %d kept %c\n", s == g, s == MAP_FAILED ? '?' : s[0]);
    CHECK(MAPFAIL(mremap(g, pg, 0, MREMAP_MAYMOVE)));
    CHECK(MAPFAIL(mremap(g + 1, pg, pg, 0)));
    CHECK(MAPFAIL(mremap(g, pg, pg, MREMAP_FIXED)));
    CHECK(munmap(g, pg));

    /* /dev/zero maps as anonymous memory. */
    int z = open("/dev/zero", O_RDWR);
    MUST(z >= 0);
    char *zp = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
    printf("/dev/zero mapping %s\n", zp == MAP_FAILED ? errname(errno) : zp[0] == 0 ? "zeros" : "?");
    int n = open("/dev/null", O_RDWR);
    CHECK(MAPFAIL(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, n, 0)));
    int p[2];
    MUST(pipe(p) == 0);
    CHECK(MAPFAIL(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, p[0], 0)));
    return 0;
}
