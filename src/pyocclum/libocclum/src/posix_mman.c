/*
 * libocclum: link as an object (zig's wasi-libc libc.a holds the emulated
 * mmap, munmap and mprotect; an object defining all three keeps that member
 * out, whoever calls them).
 *
 * POSIX sweep: the mmap family over the process's linear memory, replacing
 * wasi-libc's emulation (not page-aligned, no MAP_SHARED write-back, no
 * partial munmap, and no msync, madvise, mremap, mlock, mincore at all).
 *
 * A mapping is page-aligned memory from malloc (aligned_alloc; the page is
 * WebAssembly's, 64 KiB, what sysconf(_SC_PAGESIZE) says), zeroed or filled
 * from the file with pread. Linux's argument checks, in Linux's order.
 *
 * - MAP_PRIVATE file mappings: a copy of the file at mmap time; writes stay
 *   in memory (as Linux's copy-on-write); later changes to the file are not
 *   seen (Linux shows them until the page is written).
 * - MAP_SHARED file mappings: emulated by write-back. Writes reach the file
 *   at msync, at munmap (the unmapped part) and at exit (exit, _exit and
 *   _Exit; not when a signal kills the process); only bytes inside
 *   the file's current size are written (as Linux, which never grows a file
 *   through a mapping). Other processes, and this one through read(), see
 *   the writes only after that; changes to the file by others are not seen
 *   in the mapping.
 * - Protections are recorded, not enforced (wasm memory has no page
 *   protection): a write to a PROT_READ mapping succeeds instead of SIGSEGV.
 * - MAP_FIXED only inside an existing mapping (the reserve-then-map
 *   pattern); elsewhere ENOMEM: the address is malloc's to give.
 * - munmap, mprotect, msync, madvise and mlock accept any page-aligned range
 *   of linear memory, as Linux does for mapped memory; beyond the memory's
 *   end they fail with ENOMEM.
 * - madvise(MADV_DONTNEED) zeroes a private anonymous mapping's pages, as
 *   Linux; a private file mapping keeps its bytes (Linux reloads them from
 *   the file).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "internal.h"

struct mapping {
    char *base;           /* the allocation (shared by the pieces of a split) */
    char *start;          /* page-aligned */
    size_t len;           /* whole pages */
    int prot, flags;
    int fd;               /* MAP_SHARED file mappings: a dup of the caller's fd */
    off_t off;            /* file offset of start */
    struct mapping *next;
};

static struct mapping *maps;
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static int atexit_done;

static size_t page_size(void) { return (size_t)sysconf(_SC_PAGESIZE); }

static int aligned(const void *p) { return ((uintptr_t)p & (page_size() - 1)) == 0; }

/* Round up to whole pages; 0 on overflow. */
static size_t page_round(size_t len) {
    size_t pg = page_size();
    if (len > SIZE_MAX - (pg - 1))
        return 0;
    return (len + pg - 1) & ~(pg - 1);
}

/* [addr, addr+len) inside linear memory? */
static int in_memory(const void *addr, size_t len) {
    size_t end;
    if (__builtin_add_overflow((uintptr_t)addr, len, &end))
        return 0;
    return end <= __builtin_wasm_memory_size(0) * 65536;
}

static int is_shared_file(const struct mapping *m) { return m->fd >= 0; }

/* Write a shared file mapping's bytes [from, from+n) back, within the file's
 * current size. Returns 0 or an errno. */
static int write_back(const struct mapping *m, char *from, size_t n) {
    if (!is_shared_file(m) || n == 0)
        return 0;
    struct stat st;
    if (fstat(m->fd, &st) != 0)
        return errno;
    off_t pos = m->off + (from - m->start);
    if (pos >= st.st_size)
        return 0;
    if ((off_t)n > st.st_size - pos)
        n = (size_t)(st.st_size - pos);
    while (n > 0) {
        ssize_t w = pwrite(m->fd, from, n, pos);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        from += w;
        pos += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Fill [dst, dst+n) from the file at pos, zeros after its end. */
static int fill_from(int fd, char *dst, size_t n, off_t pos) {
    while (n > 0) {
        ssize_t r = pread(fd, dst, n, pos);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (r == 0)
            break;
        dst += r;
        pos += r;
        n -= (size_t)r;
    }
    memset(dst, 0, n);
    return 0;
}

/* Every shared file mapping written back: at exit (atexit) and at _exit
 * (src/posix_exit.c). */
void __occlum_mman_flush(void) {
    pthread_mutex_lock(&maps_lock);
    for (struct mapping *m = maps; m; m = m->next)
        if (is_shared_file(m) && (m->prot & PROT_WRITE))
            write_back(m, m->start, m->len);
    pthread_mutex_unlock(&maps_lock);
}

static int base_in_use(const char *base) {
    for (struct mapping *m = maps; m; m = m->next)
        if (m->base == base)
            return 1;
    return 0;
}

/* Remove [lo, hi) from every mapping (writing shared ones back first if
 * `flush`); frees allocations no piece uses any more. Lock held. Returns 0
 * or ENOMEM (no memory to split a mapping). */
static int cut(char *lo, char *hi, int flush, const char *keep) {
    struct mapping **pp = &maps;
    while (*pp) {
        struct mapping *m = *pp;
        char *ms = m->start, *me = m->start + m->len;
        if (me <= lo || ms >= hi) {
            pp = &m->next;
            continue;
        }
        char *a = ms > lo ? ms : lo, *b = me < hi ? me : hi;
        if (flush && (m->prot & PROT_WRITE))
            write_back(m, a, (size_t)(b - a));
        if (a > ms && b < me) { /* a hole in the middle: split */
            struct mapping *tail = malloc(sizeof *tail);
            if (!tail)
                return ENOMEM;
            *tail = *m;
            tail->start = b;
            tail->len = (size_t)(me - b);
            tail->off = m->off + (b - ms);
            if (is_shared_file(m) && (tail->fd = dup(m->fd)) < 0) {
                free(tail);
                return ENOMEM;
            }
            m->len = (size_t)(a - ms);
            tail->next = m->next;
            m->next = tail;
            pp = &tail->next;
            continue;
        }
        if (a > ms) { /* the tail goes */
            m->len = (size_t)(a - ms);
            pp = &m->next;
            continue;
        }
        if (b < me) { /* the head goes */
            m->off += b - ms;
            m->start = b;
            m->len = (size_t)(me - b);
            pp = &m->next;
            continue;
        }
        *pp = m->next; /* all of it */
        if (is_shared_file(m))
            close(m->fd);
        char *base = m->base;
        free(m);
        if (base != keep && !base_in_use(base))
            free(base);
    }
    return 0;
}

static struct mapping *find(const char *addr) {
    for (struct mapping *m = maps; m; m = m->next)
        if (addr >= m->start && addr < m->start + m->len)
            return m;
    return NULL;
}

static void *fail(int e) {
    errno = e;
    return MAP_FAILED;
}

/* What a file descriptor can be mapped as: 1 a file, 0 anonymous memory
 * (/dev/zero), or -1 with errno. */
static int file_kind(int fd, int flags, int prot) {
    struct stat st;
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || __occlum_wrap_fstat(fd, &st) != 0) /* the kernel's: with st_rdev */
        return -1;
    int acc = fl & O_ACCMODE;
    int readable = acc == O_RDONLY || acc == O_RDWR;
    int writable = acc == O_WRONLY || acc == O_RDWR;
    int type = flags & MAP_TYPE;
    if ((type == MAP_SHARED || type == MAP_SHARED_VALIDATE) && (prot & PROT_WRITE) && !writable) {
        errno = EACCES;
        return -1;
    }
    if (type != MAP_SHARED && type != MAP_SHARED_VALIDATE && type != MAP_PRIVATE) {
        errno = EINVAL;
        return -1;
    }
    if (!readable) {
        errno = EACCES;
        return -1;
    }
    if (S_ISREG(st.st_mode))
        return 1;
    /* /dev/zero (1:5, as Linux numbers it) maps as anonymous memory. */
    if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 5)
        return 0;
    errno = ENODEV;
    return -1;
}

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset) {
    size_t pg = page_size();
    if (offset & (off_t)(pg - 1))
        return fail(EINVAL);
    int anon = (flags & MAP_ANONYMOUS) != 0;
    if (!anon && fcntl(fd, F_GETFD) < 0)
        return fail(EBADF);
    if (length == 0)
        return fail(EINVAL);
    size_t len = page_round(length);
    if (len == 0)
        return fail(ENOMEM);
    if (!anon && (offset < 0 || (uint64_t)offset + len < (uint64_t)offset))
        return fail(EOVERFLOW);
    int kind = 0;
    if (anon) {
        int type = flags & MAP_TYPE;
        if (type != MAP_SHARED && type != MAP_PRIVATE)
            return fail(EINVAL);
    } else if ((kind = file_kind(fd, flags, prot)) < 0) {
        return MAP_FAILED;
    }
    int shared_file = kind == 1 && (flags & MAP_TYPE) != MAP_PRIVATE;

    struct mapping *m = calloc(1, sizeof *m);
    if (!m)
        return fail(ENOMEM);
    m->prot = prot;
    m->flags = flags;
    m->off = kind == 1 ? offset : 0;
    m->len = len;
    m->fd = -1;
    if (shared_file && (m->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        free(m);
        return fail(ENOMEM);
    }

    pthread_mutex_lock(&maps_lock);
    char *at = NULL;
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        struct mapping *host = find(addr);
        if (!aligned(addr)) {
            at = NULL;
            errno = EINVAL;
        } else if ((flags & MAP_FIXED_NOREPLACE) && host) {
            errno = EEXIST;
        } else if (host && (char *)addr + len <= host->start + host->len) {
            /* Inside one mapping: take its pages over. */
            char *base = host->base;
            if (cut(addr, (char *)addr + len, 1, base) == 0) {
                at = addr;
                m->base = base;
            } else {
                errno = ENOMEM;
            }
        } else {
            errno = ENOMEM;
        }
    } else {
        m->base = at = aligned_alloc(pg, len);
        if (!at)
            errno = ENOMEM;
    }
    if (!at) {
        int e = errno;
        pthread_mutex_unlock(&maps_lock);
        if (m->fd >= 0)
            close(m->fd);
        free(m);
        return fail(e);
    }
    m->start = at;
    if (kind == 1) {
        if (fill_from(fd, at, len, offset) != 0) {
            int e = errno;
            if (m->base == at && !base_in_use(at))
                free(at);
            pthread_mutex_unlock(&maps_lock);
            if (m->fd >= 0)
                close(m->fd);
            free(m);
            return fail(e);
        }
    } else {
        memset(at, 0, len);
    }
    m->next = maps;
    maps = m;
    if (shared_file && !atexit_done) {
        atexit_done = 1;
        atexit(__occlum_mman_flush);
    }
    pthread_mutex_unlock(&maps_lock);
    return at;
}

int munmap(void *addr, size_t length) {
    if (!aligned(addr) || length == 0) {
        errno = EINVAL;
        return -1;
    }
    size_t len = page_round(length);
    if (len == 0 || !in_memory(addr, 0)) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&maps_lock);
    int e = cut(addr, (char *)addr + len, 1, NULL);
    pthread_mutex_unlock(&maps_lock);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

/* Common checks of the calls that take a range of mapped memory. */
static int check_range(void *addr, size_t len, size_t *rounded) {
    if (!aligned(addr)) {
        errno = EINVAL;
        return -1;
    }
    *rounded = page_round(len);
    if ((len && !*rounded) || !in_memory(addr, *rounded)) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

int mprotect(void *addr, size_t length, int prot) {
    size_t len;
    if (!aligned(addr) ||
        (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP))) {
        errno = EINVAL;
        return -1;
    }
    if (check_range(addr, length, &len) != 0)
        return -1;
    pthread_mutex_lock(&maps_lock);
    for (struct mapping *m = maps; m; m = m->next)
        if (m->start < (char *)addr + len && m->start + m->len > (char *)addr)
            m->prot |= prot & PROT_WRITE; /* recorded: write-back once writable */
    pthread_mutex_unlock(&maps_lock);
    return 0;
}

int msync(void *addr, size_t length, int flags) {
    size_t len;
    if ((flags & ~(MS_ASYNC | MS_SYNC | MS_INVALIDATE)) ||
        ((flags & MS_ASYNC) && (flags & MS_SYNC)) || !aligned(addr)) {
        errno = EINVAL;
        return -1;
    }
    if (check_range(addr, length, &len) != 0)
        return -1;
    int e = 0;
    pthread_mutex_lock(&maps_lock);
    for (struct mapping *m = maps; m; m = m->next) {
        char *a = m->start > (char *)addr ? m->start : (char *)addr;
        char *b = m->start + m->len < (char *)addr + len ? m->start + m->len : (char *)addr + len;
        if (a < b && (m->prot & PROT_WRITE) && !e)
            e = write_back(m, a, (size_t)(b - a));
    }
    pthread_mutex_unlock(&maps_lock);
    if (e) {
        errno = e;
        return -1;
    }
    return 0;
}

static int known_advice(int advice) {
    switch (advice) {
    case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
    case MADV_DONTNEED: case MADV_FREE: case MADV_REMOVE: case MADV_DONTFORK:
    case MADV_DOFORK: case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP: case MADV_WIPEONFORK:
    case MADV_KEEPONFORK: case MADV_COLD: case MADV_PAGEOUT:
        return 1;
    default:
        return 0;
    }
}

int madvise(void *addr, size_t length, int advice) {
    size_t len;
    if (!aligned(addr) || !known_advice(advice)) {
        errno = EINVAL;
        return -1;
    }
    if (check_range(addr, length, &len) != 0)
        return -1;
    if (advice != MADV_DONTNEED)
        return 0;
    pthread_mutex_lock(&maps_lock);
    for (struct mapping *m = maps; m; m = m->next) {
        char *a = m->start > (char *)addr ? m->start : (char *)addr;
        char *b = m->start + m->len < (char *)addr + len ? m->start + m->len : (char *)addr + len;
        if (a >= b || (m->flags & MAP_TYPE) != MAP_PRIVATE)
            continue;
        if (m->fd < 0 && !(m->flags & MAP_ANONYMOUS))
            continue; /* a private file mapping whose fd we did not keep */
        memset(a, 0, (size_t)(b - a));
    }
    pthread_mutex_unlock(&maps_lock);
    return 0;
}

int posix_madvise(void *addr, size_t length, int advice) {
    if (advice < POSIX_MADV_NORMAL || advice > POSIX_MADV_DONTNEED)
        return EINVAL;
    if (advice == POSIX_MADV_DONTNEED)
        return 0; /* glibc: never discards (POSIX says keep the data) */
    return madvise(addr, length, advice) == 0 ? 0 : errno;
}

void *mremap(void *old, size_t old_size, size_t new_size, int flags, ...) {
    if (!aligned(old) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP)) ||
        ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) || new_size == 0)
        return fail(EINVAL);
    if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))
        return fail(EINVAL); /* no chosen addresses here */
    size_t olen = page_round(old_size), nlen = page_round(new_size);
    if (!nlen || (old_size && !olen))
        return fail(ENOMEM);
    pthread_mutex_lock(&maps_lock);
    struct mapping *m = find(old);
    if (!m || olen == 0 || (char *)old + olen > m->start + m->len) {
        pthread_mutex_unlock(&maps_lock);
        return fail(EFAULT);
    }
    if (nlen <= olen) {
        int e = cut((char *)old + nlen, (char *)old + olen, 1, NULL);
        pthread_mutex_unlock(&maps_lock);
        return e ? fail(e) : old;
    }
    if (!(flags & MREMAP_MAYMOVE)) {
        pthread_mutex_unlock(&maps_lock);
        return fail(ENOMEM);
    }
    struct mapping *n = malloc(sizeof *n);
    char *mem = aligned_alloc(page_size(), nlen);
    if (!n || !mem) {
        pthread_mutex_unlock(&maps_lock);
        free(n);
        free(mem);
        return fail(ENOMEM);
    }
    *n = *m;
    n->base = n->start = mem;
    n->len = nlen;
    n->off = m->off + ((char *)old - m->start);
    n->fd = -1;
    if (is_shared_file(m) && (n->fd = dup(m->fd)) < 0) {
        pthread_mutex_unlock(&maps_lock);
        free(n);
        free(mem);
        return fail(ENOMEM);
    }
    memcpy(mem, old, olen);
    memset(mem + olen, 0, nlen - olen);
    if (is_shared_file(n))
        fill_from(n->fd, mem + olen, nlen - olen, n->off + (off_t)olen);
    n->next = maps;
    maps = n;
    cut(old, (char *)old + olen, 0, NULL); /* moved, not written: the new one has it */
    pthread_mutex_unlock(&maps_lock);
    return mem;
}

/* Memory is never paged out: locking always succeeds for mapped memory. */
int mlock(const void *addr, size_t len) {
    return in_memory(addr, len) ? 0 : (errno = ENOMEM, -1);
}

int mlock2(const void *addr, size_t len, unsigned flags) {
    if (flags & ~MLOCK_ONFAULT) {
        errno = EINVAL;
        return -1;
    }
    return mlock(addr, len);
}

int munlock(const void *addr, size_t len) { return mlock(addr, len); }

int mlockall(int flags) {
    if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

int munlockall(void) { return 0; }

/* Every page of linear memory is resident. */
int mincore(void *addr, size_t length, unsigned char *vec) {
    size_t len;
    if (check_range(addr, length, &len) != 0)
        return -1;
    memset(vec, 1, len / page_size());
    return 0;
}
