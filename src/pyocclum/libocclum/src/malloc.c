/* libocclum: link as an object
 *
 * The malloc of every program (linked as an object, so it replaces zig's,
 * whose symbols are weak): zig's wasm allocator is single-threaded, and it
 * rounds a large block up to a power of two of pages, with its header (16
 * blocks of 1 MiB took 32 MiB of memory, so a program reached its heap limit
 * at half of it), and it wrapped around for sizes near SIZE_MAX instead of
 * failing. In a threaded build (occlum-cc -pthread) it takes a lock; in the
 * others the lock is nothing.
 *
 * Boundary-tag allocator in the style of dlmalloc, behind one lock:
 *   - a chunk is [prev_foot][head][payload...]; head = size | CINUSE |
 *     PINUSE (is the previous chunk in use); prev_foot holds the previous
 *     chunk's size when that chunk is free (for coalescing);
 *   - payloads are 16-byte aligned (max_align_t), chunk sizes multiples of
 *     16, at least 32;
 *   - free chunks live in bins: exact ones for sizes up to 1 KiB, eight per
 *     power of two above (TLSF's two levels), and a bitmap says which bins
 *     hold any: a request takes the first chunk of the first non-empty bin
 *     whose chunks all fit (one count of trailing zeros, no walk), split;
 *     only when there is none are the chunks of its own bin looked at;
 *   - the "top" chunk at the end of the heap grows with memory.grow; a
 *     region that is not contiguous with the old top (someone else grew the
 *     memory) becomes the new top, and what was left of the old one is freed.
 * The lock is a futex word: atomic waits in bounded slices (futex.h), so a
 * thread waiting for it can still be stopped by the kernel.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "futex.h"
#include "internal.h"

#define ALIGN 16u
#define MIN_CHUNK 32u
#define OVERHEAD 8u /* prev_foot and head, before the payload */
#define CINUSE 1u
#define PINUSE 2u
#define FLAGS 3u
#define PAGE 65536u
#define SMALL_MAX 1024u
#define NSMALL (SMALL_MAX / ALIGN + 1)
#define SUB_BITS 3u
#define NSUB (1u << SUB_BITS)          /* bins per power of two above SMALL_MAX */
#define NLARGE ((32u - 10u) * NSUB)    /* 1 KiB (2^10) up to 4 GiB */
#define LARGE_LOOKS 8u /* chunks of a request's own bin looked at, at most */

typedef struct chunk {
    size_t prev_foot;
    size_t head;
    struct chunk *fd, *bk; /* free chunks only */
} chunk;

#define CSIZE(c) ((c)->head & ~(size_t)FLAGS)
#define AT(c, off) ((chunk *)((char *)(c) + (off)))
#define MEM(c) ((void *)((char *)(c) + OVERHEAD))
#define CHUNK(p) ((chunk *)((char *)(p) - OVERHEAD))

#define NBINS (NSMALL + NLARGE)
#define MAPWORDS ((NBINS + 63) / 64)

/* bins[0..NSMALL): one size each (index = size / ALIGN); then NSUB for each
 * power of two from 1 KiB up, each an eighth of it wide. */
static chunk bins[NBINS];
static uint64_t binmap[MAPWORDS]; /* bit i: bins[i] is not empty */
static chunk *top;        /* the wilderness (NULL before the first grow) */
static size_t top_end;    /* address just past top */
static int bins_ready;
#ifdef __wasm_atomics__
static volatile int lock_word;

static void lock(void) {
    int old = 0;
    if (__atomic_compare_exchange_n(&lock_word, &old, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
        return;
    /* Contended: 2 means "someone may be waiting". */
    while (__atomic_exchange_n(&lock_word, 2, __ATOMIC_ACQUIRE) != 0) {
        __builtin_wasm_memory_atomic_wait32((int *)&lock_word, 2, OCCLUM_FUTEX_SLICE_NS);
        if (__atomic_load_n(&lock_word, __ATOMIC_RELAXED) == 2)
            (void)__occlum_sched_check(0);
    }
}

static void unlock(void) {
    if (__atomic_exchange_n(&lock_word, 0, __ATOMIC_RELEASE) == 2)
        __builtin_wasm_memory_atomic_notify((int *)&lock_word, 1);
}
#else /* one thread: nothing to lock */
static void lock(void) {}
static void unlock(void) {}
#endif

static void init_bins(void) {
    for (unsigned i = 0; i < NBINS; i++)
        bins[i].fd = bins[i].bk = &bins[i];
    bins_ready = 1;
}

/* The bin a free chunk of `size` bytes lives in. */
static unsigned bin_index(size_t size) {
    if (size <= SMALL_MAX)
        return (unsigned)(size / ALIGN);
    unsigned top_bit = 31u - (unsigned)__builtin_clz((unsigned)size); /* 10..31 */
    unsigned sub = (unsigned)(size >> (top_bit - SUB_BITS)) & (NSUB - 1);
    return NSMALL + (top_bit - 10u) * NSUB + sub;
}

/* The first bin whose every chunk holds `size` bytes (size <= SIZE_MAX / 2). */
static unsigned fit_index(size_t size) {
    if (size <= SMALL_MAX)
        return (unsigned)(size / ALIGN);
    unsigned top_bit = 31u - (unsigned)__builtin_clz((unsigned)size);
    return bin_index(size + ((size_t)1 << (top_bit - SUB_BITS)) - 1);
}

/* The first bin at or after i that holds a chunk; NBINS if none does. */
static unsigned next_bin(unsigned i) {
    for (unsigned w = i / 64; w < MAPWORDS; w++) {
        uint64_t bits = binmap[w];
        if (w == i / 64)
            bits &= ~(uint64_t)0 << (i % 64);
        if (bits)
            return w * 64 + (unsigned)__builtin_ctzll(bits);
    }
    return NBINS;
}

static void link_free(chunk *c) {
    size_t size = CSIZE(c);
    unsigned i = bin_index(size);
    chunk *bin = &bins[i];
    c->fd = bin->fd;
    c->bk = bin;
    bin->fd->bk = c;
    bin->fd = c;
    binmap[i / 64] |= (uint64_t)1 << (i % 64);
    AT(c, size)->prev_foot = size;
    AT(c, size)->head &= ~(size_t)PINUSE;
}

/* Take c (its size still in its head) out of its bin. */
static void unlink_free(chunk *c) {
    if (c->fd == c->bk) { /* its bin's only chunk: the bin is empty now */
        unsigned i = bin_index(CSIZE(c));
        binmap[i / 64] &= ~((uint64_t)1 << (i % 64));
    }
    c->fd->bk = c->bk;
    c->bk->fd = c->fd;
}

/* Mark [c, c+size) in use, splitting off and freeing a tail worth keeping. */
static void use_chunk(chunk *c, size_t have, size_t size) {
    if (have - size >= MIN_CHUNK) {
        c->head = size | CINUSE | (c->head & PINUSE);
        chunk *rest = AT(c, size);
        rest->head = (have - size) | PINUSE;
        link_free(rest);
    } else {
        c->head = have | CINUSE | (c->head & PINUSE);
        AT(c, have)->head |= PINUSE;
    }
}

static int grow_top(size_t need) {
    size_t bytes = need + MIN_CHUNK + ALIGN;
    size_t pages = (bytes + PAGE - 1) / PAGE;
    size_t old = __builtin_wasm_memory_grow(0, pages);
    if (old == (size_t)-1)
        return 0;
    size_t start = old * PAGE, end = start + pages * PAGE;
    if (top != NULL && start == top_end) {
        top->head = (CSIZE(top) + pages * PAGE) | (top->head & PINUSE);
        top_end = end;
        return 1;
    }
    /* A new region: the remains of the old top become a free chunk, ended
     * by a fencepost; the region starts so that payloads are aligned. */
    if (top != NULL) {
        size_t left = top_end - (size_t)top;
        if (left >= MIN_CHUNK + ALIGN) {
            size_t keep = (left - ALIGN) & ~(size_t)(ALIGN - 1);
            top->head = keep | (top->head & PINUSE);
            AT(top, keep)->head = ALIGN | CINUSE;
            link_free(top); /* the fencepost's PINUSE is now clear, as it should */
        } else {
            top->head |= CINUSE; /* too small to keep: never coalesced with */
        }
    }
    size_t first = ((start + OVERHEAD + ALIGN - 1) & ~(size_t)(ALIGN - 1)) - OVERHEAD;
    top = (chunk *)first;
    top_end = end;
    top->head = ((end - first) & ~(size_t)(ALIGN - 1)) | PINUSE;
    return 1;
}

static size_t request_size(size_t n) {
    if (n > SIZE_MAX / 2)
        return 0;
    size_t size = (n + OVERHEAD + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    return size < MIN_CHUNK ? MIN_CHUNK : size;
}

/* Under the lock. */
static void *alloc_locked(size_t size) {
    if (!bins_ready)
        init_bins();
    chunk *found = NULL;
    unsigned j = next_bin(fit_index(size));
    if (j < NBINS) {
        found = bins[j].fd;
    } else if (size > SMALL_MAX) {
        /* Only the request's own bin may still hold a chunk that fits. */
        unsigned i = bin_index(size), looked = 0;
        for (chunk *c = bins[i].fd; c != &bins[i] && looked < LARGE_LOOKS; c = c->fd, looked++) {
            if (CSIZE(c) >= size) {
                found = c;
                break;
            }
        }
    }
    if (found != NULL) {
        unlink_free(found);
        use_chunk(found, CSIZE(found), size);
        return MEM(found);
    }
    if (top == NULL || CSIZE(top) < size + MIN_CHUNK) {
        if (!grow_top(size))
            return NULL;
        if (CSIZE(top) < size + MIN_CHUNK)
            return NULL;
    }
    chunk *c = top;
    size_t have = CSIZE(top);
    top = AT(c, size);
    top->head = (have - size) | PINUSE;
    c->head = size | CINUSE | (c->head & PINUSE);
    return MEM(c);
}

static void free_locked(chunk *c) {
    size_t size = CSIZE(c);
    chunk *next = AT(c, size);
    if (!(c->head & PINUSE)) {
        chunk *prev = (chunk *)((char *)c - c->prev_foot);
        unlink_free(prev);
        size += c->prev_foot;
        c = prev;
    }
    if (next == top) {
        top = c;
        c->head = (size + CSIZE(next)) | (c->head & PINUSE);
        return;
    }
    if (!(next->head & CINUSE)) {
        unlink_free(next);
        size += CSIZE(next);
    }
    c->head = size | (c->head & PINUSE);
    link_free(c);
}

void *malloc(size_t n) {
    size_t size = request_size(n);
    if (size == 0) {
        errno = ENOMEM;
        return NULL;
    }
    lock();
    void *p = alloc_locked(size);
    unlock();
    if (p == NULL)
        errno = ENOMEM;
    return p;
}

void free(void *p) {
    if (p == NULL)
        return;
    lock();
    free_locked(CHUNK(p));
    unlock();
}

void *calloc(size_t count, size_t n) {
    if (n != 0 && count > SIZE_MAX / n) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(count * n);
    if (p != NULL)
        memset(p, 0, count * n);
    return p;
}

size_t malloc_usable_size(void *p) {
    return p == NULL ? 0 : CSIZE(CHUNK(p)) - OVERHEAD;
}

void *realloc(void *p, size_t n) {
    if (p == NULL)
        return malloc(n);
    if (n == 0) {
        free(p);
        return NULL;
    }
    size_t size = request_size(n);
    if (size == 0) {
        errno = ENOMEM;
        return NULL;
    }
    chunk *c = CHUNK(p);
    lock();
    size_t have = CSIZE(c);
    if (have >= size) {
        if (have - size >= MIN_CHUNK) {
            c->head = size | CINUSE | (c->head & PINUSE);
            chunk *rest = AT(c, size);
            rest->head = (have - size) | PINUSE | CINUSE;
            free_locked(rest);
        }
        unlock();
        return p;
    }
    chunk *next = AT(c, have);
    if (next == top && have + CSIZE(top) >= size + MIN_CHUNK) {
        size_t total = have + CSIZE(top);
        top = AT(c, size);
        top->head = (total - size) | PINUSE;
        c->head = size | CINUSE | (c->head & PINUSE);
        unlock();
        return p;
    }
    if (next != top && !(next->head & CINUSE) && have + CSIZE(next) >= size) {
        unlink_free(next);
        use_chunk(c, have + CSIZE(next), size);
        unlock();
        return p;
    }
    unlock();
    void *q = malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, have - OVERHEAD);
    free(p);
    return q;
}

void *reallocarray(void *p, size_t count, size_t n) {
    if (n != 0 && count > SIZE_MAX / n) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(p, count * n);
}

static void *aligned(size_t align, size_t n) {
    if (align <= ALIGN)
        return malloc(n);
    size_t size = request_size(n);
    if (size == 0 || size > SIZE_MAX - align - MIN_CHUNK)
        return NULL;
    char *p = malloc(size + align + MIN_CHUNK);
    if (p == NULL)
        return NULL;
    uintptr_t at = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
    if (at == (uintptr_t)p)
        return p;
    if (at - (uintptr_t)p < MIN_CHUNK)
        at += align;
    lock();
    chunk *c = CHUNK(p);
    size_t lead = at - (uintptr_t)p;
    chunk *d = CHUNK((void *)at);
    d->head = (CSIZE(c) - lead) | CINUSE | PINUSE;
    c->head = lead | CINUSE | (c->head & PINUSE);
    free_locked(c);
    unlock();
    return (void *)at;
}

void *aligned_alloc(size_t align, size_t n) {
    if (align == 0 || (align & (align - 1))) {
        errno = EINVAL;
        return NULL;
    }
    void *p = aligned(align, n);
    if (p == NULL)
        errno = ENOMEM;
    return p;
}

void *memalign(size_t align, size_t n) {
    return aligned_alloc(align, n);
}

int posix_memalign(void **res, size_t align, size_t n) {
    if (align < sizeof(void *) || (align & (align - 1)))
        return EINVAL;
    void *p = aligned(align, n);
    if (p == NULL)
        return ENOMEM;
    *res = p;
    return 0;
}

void *valloc(size_t n) {
    return aligned_alloc(PAGE, n);
}
