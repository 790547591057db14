/* malloc and friends in one thread, over a wide range of sizes: random
 * malloc/calloc/realloc/aligned_alloc/posix_memalign/free keep every block's
 * contents and alignment, usable sizes cover the request, impossible sizes
 * fail with ENOMEM, and freed memory serves a later large request. */
#include "linuxtest.h"
#include <malloc.h>
#include <stdint.h>

#define SLOTS 256
#define ROUNDS 60000

static unsigned seed = 12345;
static unsigned next(void) { return seed = seed * 1103515245u + 12345u; }

static size_t pick_size(void) {
    unsigned r = next();
    switch ((r >> 4) % 8) {
    case 0: return 0;
    case 1: case 2: case 3: return (r >> 8) % 64 + 1;
    case 4: case 5: return (r >> 8) % 4096 + 1;
    case 6: return (r >> 8) % 65536 + 1;
    default: return (r >> 8) % (256 * 1024) + 1;
    }
}

int main(void) {
    static unsigned char *slot[SLOTS];
    static size_t size[SLOTS];
    long bad = 0, misaligned = 0, small_usable = 0;
    for (int r = 0; r < ROUNDS; r++) {
        int i = (int)((next() >> 8) % SLOTS);
        unsigned char tag = (unsigned char)(i * 7 + r);
        for (size_t k = 0; k < size[i]; k++)
            bad += slot[i][k] != (unsigned char)(slot[i][0] + k);
        size_t n = pick_size();
        size_t align = 0;
        switch ((next() >> 12) % 6) {
        case 0: case 1: free(slot[i]); slot[i] = malloc(n); break;
        case 2:
            free(slot[i]);
            slot[i] = calloc(n, 1);
            for (size_t k = 0; slot[i] && k < n; k++)
                bad += slot[i][k] != 0;
            break;
        case 3: {
            unsigned char *p = realloc(slot[i], n ? n : 1);
            if (p == NULL) {
                bad++;
                break;
            }
            size_t keep = size[i] < (n ? n : 1) ? size[i] : (n ? n : 1);
            for (size_t k = 0; k < keep; k++)
                bad += p[k] != (unsigned char)(p[0] + k);
            slot[i] = p;
            if (n == 0)
                n = 1;
            break;
        }
        case 4:
            free(slot[i]);
            align = (size_t)16 << ((next() >> 8) % 13); /* 16 .. 64 KiB */
            slot[i] = aligned_alloc(align, (n + align - 1) / align * align);
            break;
        default: {
            free(slot[i]);
            align = sizeof(void *) << ((next() >> 8) % 10);
            void *p = NULL;
            if (posix_memalign(&p, align, n) != 0)
                bad++;
            slot[i] = p;
        }
        }
        if (n > 0 && slot[i] == NULL) {
            bad++;
            size[i] = 0;
            continue;
        }
        if (align && ((uintptr_t)slot[i] % align))
            misaligned++;
        if (slot[i] && malloc_usable_size(slot[i]) < n)
            small_usable++;
        size[i] = slot[i] ? n : 0;
        for (size_t k = 0; k < size[i]; k++)
            slot[i][k] = (unsigned char)(tag + k);
    }
    printf("bad: %ld, misaligned: %ld, usable size too small: %ld\n", bad, misaligned,
           small_usable);
    for (int i = 0; i < SLOTS; i++)
        free(slot[i]);
    errno = 0;
    void *huge = malloc(SIZE_MAX - 64);
    printf("malloc(SIZE_MAX - 64): %s %s\n", huge ? "memory" : "NULL", errname(errno));
    errno = 0;
    void *over = calloc(SIZE_MAX / 8, 16);
    printf("calloc overflowing: %s %s\n", over ? "memory" : "NULL", errname(errno));
    void *p = NULL;
    printf("posix_memalign(3): %s\n", errname(posix_memalign(&p, 3, 8)));
    unsigned char *big = malloc(24 << 20);
    printf("24 MiB after freeing: %s\n", big ? "memory" : "NULL");
    if (big) {
        big[0] = big[(24 << 20) - 1] = 1;
        free(big);
    }
    return 0;
}
