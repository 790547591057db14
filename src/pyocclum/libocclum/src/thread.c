/* libocclum: link as an object
 *
 * POSIX threads over shared linear memory (threaded builds: occlum-cc
 * -pthread; docs/threads.md). Linked as an object, so these definitions win
 * over wasi-libc's single-thread stubs (libc.a comes first on zig's link
 * line; an archive member could never replace them).
 *
 * A thread is a new instance of the program importing the process's
 * shared memory, started by the kernel (occlum.thread_spawn) at
 * __occlum_thread_start (thread_start.s), which switches to the thread's
 * stack and TLS, then calls __occlum_thread_main below.
 *
 * Memory of a thread: one malloc'd block holding its stack, its TLS block
 * and its descriptor (struct __pthread). The block is freed by pthread_join,
 * or for a detached thread by a later pthread_create/join/detach (the
 * "zombie" list), but only once the thread is "done": the kernel calls
 * __occlum_thread_done (thread_start.s) after the thread's instance has
 * stopped running, so nothing touches the block afterwards.
 *
 * The main thread's descriptor is static and never freed.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "futex.h"
#include "internal.h"

/* The threads themselves are in the threaded variant of libocclum only
 * (-matomics); the single-threaded one has a pthread_create that marks the
 * program (at the end of this file). */
#ifdef __wasm_atomics__

/* Stack of a thread created without an attribute (musl: 128 KiB; glibc
 * reserves 8 MiB of address space; here the stack is real memory). */
#define DEFAULT_THREAD_STACK (1024 * 1024)
#define MIN_THREAD_STACK 16384

enum { JOINABLE = 0, DETACHED = 1, EXITING = 2 };

/* The first three fields are read by thread_start.s: keep their offsets. */
struct __pthread {
    uint32_t stack_top;      /* 0 */
    uint32_t tls_base;       /* 4 */
    volatile int done;       /* 8: 1 once the thread no longer uses its block */
    volatile int tid;
    volatile int detach;     /* JOINABLE, DETACHED, or EXITING once it ended */
    void *(*start)(void *);
    void *arg;
    void *result;
    void *block;             /* what to free (NULL: the main thread's static one) */
    struct __pthread *next_zombie;
};

_Static_assert(offsetof(struct __pthread, done) == 8, "thread_start.s reads done at 8");

static struct __pthread main_thread;
static _Thread_local struct __pthread *self;
/* Threads that have not ended yet, the main one included. */
static volatile int live_threads = 1;
/* Detached threads that have ended (or are ending), to free once done. */
static struct __pthread *volatile zombies;

/* Set by pthread_create (futex.h); weak in case the sync sources define it. */
__attribute__((weak)) volatile int __occlum_multithreaded;
/* Run the thread's key destructors (sync_key.c), when linked. */
__attribute__((weak)) void __occlum_run_key_destructors(void);

pthread_t pthread_self(void) {
    struct __pthread *t = self;
    if (t != NULL)
        return t;
    if (main_thread.tid == 0)
        main_thread.tid = __occlum_getpid();
    return &main_thread;
}

#undef pthread_equal
int pthread_equal(pthread_t a, pthread_t b) {
    return a == b;
}

/* Wait until *addr != val, in the bounded slices of futex.h, so that the
 * kernel can stop this thread (a kill, exit_group) and run its handlers. */
static void wait_while(volatile int *addr, int val) {
    while (__atomic_load_n(addr, __ATOMIC_SEQ_CST) == val) {
        __builtin_wasm_memory_atomic_wait32((int *)addr, val, OCCLUM_FUTEX_SLICE_NS);
        if (__atomic_load_n(addr, __ATOMIC_SEQ_CST) == val)
            (void)__occlum_sched_check(0);
    }
}

static void push_zombie(struct __pthread *t) {
    struct __pthread *head = zombies;
    do {
        t->next_zombie = head;
    } while (!__atomic_compare_exchange_n(&zombies, &head, t, 1, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
}

/* Free the blocks of detached threads that are done; keep the others. */
static void reap_zombies(void) {
    struct __pthread *list = __atomic_exchange_n(&zombies, NULL, __ATOMIC_SEQ_CST);
    while (list != NULL) {
        struct __pthread *t = list;
        list = t->next_zombie;
        if (__atomic_load_n(&t->done, __ATOMIC_SEQ_CST))
            free(t->block);
        else
            push_zombie(t);
    }
}

int pthread_create(pthread_t *restrict res, const pthread_attr_t *restrict attr,
                   void *(*start)(void *), void *restrict arg) {
    size_t stack = DEFAULT_THREAD_STACK;
    uintptr_t user_stack_top = 0;
    int detached = 0;
    if (attr != NULL) {
        /* musl's layout (wasi-libc's pthread_attr_* functions fill it). */
        if (attr->__u.__s[0] != 0)
            stack = attr->__u.__s[0];
        user_stack_top = attr->__u.__s[2];
        detached = attr->__u.__i[3] != 0;
    }
    if (stack < MIN_THREAD_STACK)
        stack = MIN_THREAD_STACK;
    reap_zombies();

    size_t tls_size = __builtin_wasm_tls_size();
    size_t tls_align = __builtin_wasm_tls_align();
    if (tls_align < 16)
        tls_align = 16;
    size_t own_stack = user_stack_top ? 0 : (stack + 15) & ~(size_t)15;
    size_t size = own_stack + tls_size + tls_align + sizeof(struct __pthread) + 16;
    if (size < own_stack)
        return EAGAIN;
    char *block = malloc(size);
    if (block == NULL)
        return EAGAIN;
    uintptr_t base = (uintptr_t)block;
    uintptr_t stack_top = user_stack_top ? user_stack_top & ~(uintptr_t)15 : base + own_stack;
    uintptr_t tls = (base + own_stack + tls_align - 1) & ~(uintptr_t)(tls_align - 1);
    struct __pthread *t = (struct __pthread *)((tls + tls_size + 15) & ~(uintptr_t)15);
    memset(t, 0, sizeof *t);
    t->stack_top = (uint32_t)stack_top;
    t->tls_base = (uint32_t)tls;
    t->detach = detached ? DETACHED : JOINABLE;
    t->start = start;
    t->arg = arg;
    t->block = block;

    __occlum_multithreaded = 1;
    (void)pthread_self(); /* the main thread's tid is known before others run */
    __atomic_fetch_add(&live_threads, 1, __ATOMIC_SEQ_CST);
    int32_t tid = 0;
    int32_t rc = __occlum_thread_spawn((uint32_t)(uintptr_t)t, &tid);
    if (rc != 0) {
        __atomic_fetch_sub(&live_threads, 1, __ATOMIC_SEQ_CST);
        free(block);
        return rc == ENOMEM ? EAGAIN : rc;
    }
    __atomic_store_n(&t->tid, tid, __ATOMIC_SEQ_CST);
    *res = t;
    return 0;
}

/* Everything a thread does when it ends, before its final "done" store:
 * key destructors, the exit of the whole process if it is the last thread
 * (as exit(0): atexit handlers run and stdio is flushed), and handing a
 * detached thread's block over to the zombie list. */
static void thread_finish(struct __pthread *t, void *result) {
    t->result = result;
    if (__occlum_run_key_destructors)
        __occlum_run_key_destructors();
    if (__atomic_sub_fetch(&live_threads, 1, __ATOMIC_SEQ_CST) == 0)
        exit(0);
    int old = __atomic_exchange_n(&t->detach, EXITING, __ATOMIC_SEQ_CST);
    if (old == DETACHED && t->block != NULL)
        push_zombie(t);
}

/* Defined by occlum-c++ programs (cli/cxxrt.py): start(arg) under a
 * catch-all that calls std::terminate, which is what a C++ exception leaving
 * a thread does on Linux (otherwise it would end the thread as a wasm trap). */
extern void *__occlum_cxx_thread_run(void *(*start)(void *), void *arg) __attribute__((weak));

void __occlum_thread_main(int tid, struct __pthread *t) {
    self = t;
    __atomic_store_n(&t->tid, tid, __ATOMIC_SEQ_CST);
    thread_finish(t, __occlum_cxx_thread_run ? __occlum_cxx_thread_run(t->start, t->arg)
                                             : t->start(t->arg));
    /* Back in the kernel, which then calls __occlum_thread_done(t). */
}

void __occlum_thread_done(struct __pthread *t); /* thread_start.s */

_Noreturn void pthread_exit(void *result) {
    struct __pthread *t = pthread_self();
    thread_finish(t, result);
    /* The kernel marks another thread done once it has unwound; the main
     * thread's descriptor and stack are never freed, so it says so itself. */
    if (t == &main_thread)
        __occlum_thread_done(t);
    __occlum_thread_exit();
    __builtin_unreachable();
}

int pthread_join(pthread_t t, void **res) {
    if (t == pthread_self())
        return EDEADLK;
    if (__atomic_load_n(&t->detach, __ATOMIC_SEQ_CST) == DETACHED)
        return EINVAL;
    wait_while(&t->done, 0);
    if (res != NULL)
        *res = t->result;
    if (t->block != NULL)
        free(t->block);
    reap_zombies();
    return 0;
}

int pthread_detach(pthread_t t) {
    int old = JOINABLE;
    if (__atomic_compare_exchange_n(&t->detach, &old, DETACHED, 0, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST))
        return 0;
    if (old == DETACHED)
        return EINVAL;
    /* It has already ended: free it once done. */
    if (t->block != NULL)
        push_zombie(t);
    reap_zombies();
    return 0;
}

int pthread_tryjoin_np(pthread_t t, void **res) {
    if (!__atomic_load_n(&t->done, __ATOMIC_SEQ_CST))
        return EBUSY;
    return pthread_join(t, res);
}

int pthread_kill(pthread_t t, int sig) {
    int tid = __atomic_load_n(&t->tid, __ATOMIC_SEQ_CST);
    if (__atomic_load_n(&t->done, __ATOMIC_SEQ_CST) || tid == 0)
        return ESRCH;
    return __occlum_tkill(tid, sig);
}

#else /* the single-threaded build */

/* A program that calls pthread_create but was linked without -pthread: this
 * import of occlum.thread_spawn tells occlum-cc to link it again as a
 * threaded program (docs/threads.md). If that could not be done, the kernel
 * answers EAGAIN: the process has no shared memory for a thread. */
int pthread_create(pthread_t *restrict res, const pthread_attr_t *restrict attr,
                   void *(*start)(void *), void *restrict arg) {
    (void)res;
    (void)attr;
    (void)start;
    (void)arg;
    int32_t tid;
    int32_t rc = __occlum_thread_spawn(0, &tid);
    return rc != 0 ? rc : EAGAIN;
}

#endif /* __wasm_atomics__ */
