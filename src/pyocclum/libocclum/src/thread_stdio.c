/*
 * Locked stdio for threaded programs (occlum-cc -pthread).
 *
 * zig's wasi-libc is built without _REENTRANT, so musl's per-FILE locks are
 * compiled out: two threads writing to one FILE at once would corrupt its
 * buffer. In threaded builds include/stdio.h routes the common stdio calls
 * here by asm labels; each runs under one process-wide recursive lock (a
 * thread may call stdio from a function it passed to another stdio call
 * only through these wrappers, e.g. a printf inside a signal handler that
 * interrupted a printf: the lock is recursive). flockfile/funlockfile take
 * the same lock, so a program's own locking composes with it; wasi-libc
 * has none, and in single-threaded builds they do nothing.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>

#include "futex.h"
#include "internal.h"

#ifdef __wasm_atomics__

static volatile int owner; /* the owner's tid, 0: free */
static int depth;

static int self_id(void) {
    static _Thread_local int tid;
    if (tid == 0)
        tid = __occlum_gettid();
    return tid;
}

void flockfile(FILE *f) {
    (void)f;
    int me = self_id();
    if (__atomic_load_n(&owner, __ATOMIC_RELAXED) == me) {
        depth++;
        return;
    }
    for (;;) {
        int free_ = 0;
        if (__atomic_compare_exchange_n(&owner, &free_, me, 0, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED))
            break;
        __builtin_wasm_memory_atomic_wait32((int *)&owner, free_, OCCLUM_FUTEX_SLICE_NS);
        if (__atomic_load_n(&owner, __ATOMIC_RELAXED) != 0)
            (void)__occlum_sched_check(0);
    }
    depth = 1;
}

void funlockfile(FILE *f) {
    (void)f;
    if (--depth > 0)
        return;
    __atomic_store_n(&owner, 0, __ATOMIC_RELEASE);
    __builtin_wasm_memory_atomic_notify((int *)&owner, 1);
}

int ftrylockfile(FILE *f) {
    int me = self_id(), free_ = 0;
    if (__atomic_load_n(&owner, __ATOMIC_RELAXED) == me) {
        depth++;
        return 0;
    }
    if (!__atomic_compare_exchange_n(&owner, &free_, me, 0, __ATOMIC_ACQUIRE,
                                     __ATOMIC_RELAXED))
        return 1;
    (void)f;
    depth = 1;
    return 0;
}

#define LOCKED(type, call)  \
    do {                    \
        flockfile(NULL);    \
        type r_ = call;     \
        funlockfile(NULL);  \
        return r_;          \
    } while (0)

int __occlum_locked_vfprintf(FILE *restrict f, const char *restrict fmt, va_list ap) {
    LOCKED(int, vfprintf(f, fmt, ap));
}

int __occlum_locked_vprintf(const char *restrict fmt, va_list ap) {
    LOCKED(int, vprintf(fmt, ap));
}

int __occlum_locked_fprintf(FILE *restrict f, const char *restrict fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = __occlum_locked_vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}

int __occlum_locked_printf(const char *restrict fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int r = __occlum_locked_vprintf(fmt, ap);
    va_end(ap);
    return r;
}

int __occlum_locked_puts(const char *s) {
    LOCKED(int, puts(s));
}

int __occlum_locked_fputs(const char *restrict s, FILE *restrict f) {
    LOCKED(int, fputs(s, f));
}

int __occlum_locked_fputc(int c, FILE *f) {
    LOCKED(int, fputc(c, f));
}

int __occlum_locked_putchar(int c) {
    LOCKED(int, putchar(c));
}

size_t __occlum_locked_fwrite(const void *restrict p, size_t size, size_t n, FILE *restrict f) {
    LOCKED(size_t, fwrite(p, size, n, f));
}

int __occlum_locked_fflush(FILE *f) {
    LOCKED(int, fflush(f));
}

void __occlum_locked_perror(const char *s) {
    flockfile(NULL);
    perror(s);
    funlockfile(NULL);
}

char *__occlum_locked_fgets(char *restrict s, int n, FILE *restrict f) {
    LOCKED(char *, fgets(s, n, f));
}

int __occlum_locked_fgetc(FILE *f) {
    LOCKED(int, fgetc(f));
}

size_t __occlum_locked_fread(void *restrict p, size_t size, size_t n, FILE *restrict f) {
    LOCKED(size_t, fread(p, size, n, f));
}

#else /* single-threaded: nothing to lock against */

void flockfile(FILE *f) {
    (void)f;
}

void funlockfile(FILE *f) {
    (void)f;
}

int ftrylockfile(FILE *f) {
    (void)f;
    return 0;
}

#endif /* __wasm_atomics__ */
