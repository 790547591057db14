/* malloc, calloc, realloc, free, aligned_alloc and posix_memalign from many
 * threads at once: every block keeps its contents (a pattern per thread). */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <pthread.h>
#include <stdint.h>

#define THREADS 4
#define SLOTS 64
#define ROUNDS 20000

static void *churn(void *arg) {
    unsigned id = (unsigned)(long)arg, seed = id * 7919 + 1;
    unsigned char *slot[SLOTS] = {0};
    size_t size[SLOTS] = {0};
    long bad = 0;
    for (int r = 0; r < ROUNDS; r++) {
        seed = seed * 1103515245 + 12345;
        int i = (seed >> 8) % SLOTS;
        if (slot[i]) {
            for (size_t k = 0; k < size[i]; k++)
                bad += slot[i][k] != (unsigned char)(id + i + k);
        }
        size_t n = (seed >> 16) % ((seed & 1) ? 64 : 4096) + 1;
        switch ((seed >> 4) % 4) {
        case 0: free(slot[i]); slot[i] = malloc(n); break;
        case 1: free(slot[i]); slot[i] = calloc(n, 1);
            for (size_t k = 0; k < n; k++) bad += slot[i][k] != 0;
            break;
        case 2: {
            unsigned char *p = realloc(slot[i], n);
            if (p != NULL)
                for (size_t k = 0; k < (n < size[i] ? n : size[i]); k++)
                    bad += p[k] != (unsigned char)(id + i + k);
            slot[i] = p;
            break;
        }
        default: free(slot[i]); slot[i] = aligned_alloc(64, (n + 63) & ~(size_t)63);
            bad += ((uintptr_t)slot[i] & 63) != 0;
        }
        if (slot[i] == NULL)
            return (void *)-1L;
        size[i] = n;
        for (size_t k = 0; k < n; k++)
            slot[i][k] = (unsigned char)(id + i + k);
    }
    for (int i = 0; i < SLOTS; i++)
        free(slot[i]);
    return (void *)bad;
}

int main(void) {
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        MUST(pthread_create(&t[i], NULL, churn, (void *)i) == 0);
    for (int i = 0; i < THREADS; i++) {
        void *r;
        MUST(pthread_join(t[i], &r) == 0);
        printf("thread %d: %ld bad bytes\n", i, (long)r);
    }
    void *p = NULL;
    CHECK_ERRNO(posix_memalign(&p, 256, 1000));
    printf("aligned to 256: %d\n", ((uintptr_t)p & 255) == 0);
    free(p);
    CHECK_ERRNO(posix_memalign(&p, 3, 16));
    errno = 0;
    p = malloc(SIZE_MAX / 2);
    printf("huge malloc: %s %s\n", p == NULL ? "NULL" : "ptr", errname(errno));
    return 0;
}
