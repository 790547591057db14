/*
 * sync_key.c: thread-specific data (libocclum: link as an object). Replaces
 * wasi-libc's pthread_key_create.o (every name it defines, so it is never
 * linked), pthread_getspecific and pthread_setspecific.
 *
 * As glibc: each key has a sequence number, odd while the key exists; a
 * value remembers the sequence of the key it was set for, so a deleted and
 * re-created key reads NULL in every thread. Values live in a thread-local
 * table (TLS, set up by the thread start-up). A thread's exit path calls
 * __occlum_run_key_destructors() (contract in futex.h): up to
 * PTHREAD_DESTRUCTOR_ITERATIONS rounds over the keys with destructors and
 * non-NULL values, each value set to NULL before its destructor runs.
 * pthread_setspecific and pthread_key_delete on a key that does not exist
 * give EINVAL; pthread_getspecific gives NULL.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>

#include "sync.h"

struct key {
    volatile unsigned seq;
    void (*dtor)(void *);
};

struct value {
    unsigned seq;
    void *data;
};

static struct key keys[PTHREAD_KEYS_MAX];
static volatile int keys_lock;
static _Thread_local struct value values[PTHREAD_KEYS_MAX];

/* wasi-libc's member also defines these; defining them here keeps it out. */
volatile size_t __pthread_tsd_size = sizeof(void *) * PTHREAD_KEYS_MAX;
void *__pthread_tsd_main[PTHREAD_KEYS_MAX];

static void lock(void)
{
    while (cas(&keys_lock, 0, 1) != 0)
        __occlum_futex_wait(&keys_lock, 1, -1);
}

static void unlock(void)
{
    STORE(&keys_lock, 0);
    __occlum_futex_wake(&keys_lock, 1);
}

int pthread_key_create(pthread_key_t *k, void (*dtor)(void *))
{
    lock();
    for (unsigned i = 0; i < PTHREAD_KEYS_MAX; i++) {
        unsigned seq = keys[i].seq;
        /* An even sequence is free; skip one about to wrap round to reused values. */
        if (seq % 2 == 0 && seq + 2 > seq) {
            keys[i].dtor = dtor;
            keys[i].seq = seq + 1;
            unlock();
            *k = i;
            return 0;
        }
    }
    unlock();
    return EAGAIN;
}

int pthread_key_delete(pthread_key_t k)
{
    int r = EINVAL;
    lock();
    if (k < PTHREAD_KEYS_MAX && keys[k].seq % 2 == 1) {
        keys[k].seq++;
        keys[k].dtor = NULL;
        r = 0;
    }
    unlock();
    return r;
}

void *pthread_getspecific(pthread_key_t k)
{
    if (k >= PTHREAD_KEYS_MAX || values[k].seq != keys[k].seq)
        return NULL;
    return values[k].data;
}

int pthread_setspecific(pthread_key_t k, const void *data)
{
    if (k >= PTHREAD_KEYS_MAX)
        return EINVAL;
    unsigned seq = keys[k].seq;
    if (seq % 2 == 0)
        return EINVAL;
    values[k].seq = seq;
    values[k].data = (void *)data;
    return 0;
}

void __occlum_run_key_destructors(void)
{
    for (int round = 0; round < PTHREAD_DESTRUCTOR_ITERATIONS; round++) {
        int ran = 0;
        for (unsigned i = 0; i < PTHREAD_KEYS_MAX; i++) {
            void *data = values[i].data;
            unsigned seq = values[i].seq;
            values[i].data = NULL;
            if (!data)
                continue;
            lock();
            void (*dtor)(void *) = keys[i].seq == seq ? keys[i].dtor : NULL;
            unlock();
            if (dtor) {
                dtor(data);
                ran = 1;
            }
        }
        if (!ran)
            return;
    }
}

/* The rest of wasi-libc's pthread_key_create.o. */
int __pthread_key_create(pthread_key_t *k, void (*dtor)(void *))
{
    return pthread_key_create(k, dtor);
}

int __pthread_key_delete(pthread_key_t k)
{
    return pthread_key_delete(k);
}

void __pthread_tsd_run_dtors(void)
{
    __occlum_run_key_destructors();
}
