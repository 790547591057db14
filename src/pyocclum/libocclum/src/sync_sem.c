/*
 * sync_sem.c: POSIX semaphores (wasi-libc has none; the declarations are
 * musl's <semaphore.h>, which zig puts on the include path).
 *
 * musl's algorithm: sem_t's first int is the value, with bit 31 set while
 * threads may sleep on it; the second counts the sleepers. Errors as glibc:
 * sem_init over SEM_VALUE_MAX EINVAL, sem_post at SEM_VALUE_MAX EOVERFLOW,
 * sem_trywait EAGAIN, sem_timedwait a bad timespec EINVAL (checked first)
 * and ETIMEDOUT, sem_wait and sem_timedwait EINTR when a signal handler ran
 * (whatever SA_RESTART says, as Linux).
 *
 * Named semaphores (sem_open, sem_close, sem_unlink) live in the process:
 * a table of names, each with a semaphore and the number of sem_open calls
 * not yet closed. Opening a name twice gives the same sem_t *; O_CREAT,
 * O_EXCL (EEXIST), ENOENT, ENAMETOOLONG and EINVAL (an empty name, or a
 * slash after the leading ones) follow glibc. Another process
 * cannot see them (processes share no memory): there sem_open creates its
 * own semaphore of the same name.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync.h"

#define SEM_VAL(s) ((s)->__val[0])
#define SEM_WAITERS(s) ((s)->__val[1])

int sem_init(sem_t *sem, int pshared, unsigned value)
{
    (void)pshared;
    if (value > SEM_VALUE_MAX) {
        errno = EINVAL;
        return -1;
    }
    SEM_VAL(sem) = (int)value;
    SEM_WAITERS(sem) = 0;
    return 0;
}

int sem_destroy(sem_t *sem)
{
    (void)sem;
    return 0;
}

int sem_getvalue(sem_t *restrict sem, int *restrict valp)
{
    *valp = LOAD(&SEM_VAL(sem)) & SEM_VALUE_MAX;
    return 0;
}

int sem_post(sem_t *sem)
{
    int val, new, waiters;
    do {
        val = LOAD(&SEM_VAL(sem));
        waiters = LOAD(&SEM_WAITERS(sem));
        if ((val & SEM_VALUE_MAX) == SEM_VALUE_MAX) {
            errno = EOVERFLOW;
            return -1;
        }
        new = val + 1;
        if (waiters <= 1)
            new &= ~(int)0x80000000;
    } while (cas(&SEM_VAL(sem), val, new) != val);
    if (val < 0)
        __occlum_futex_wake(&SEM_VAL(sem), waiters > 1 ? 1 : INT_MAX);
    return 0;
}

/* 0 if a unit was taken, else EAGAIN (errno untouched). */
static int take(sem_t *sem)
{
    int val;
    while ((val = LOAD(&SEM_VAL(sem))) & SEM_VALUE_MAX) {
        if (cas(&SEM_VAL(sem), val, val - 1) == val)
            return 0;
    }
    return EAGAIN;
}

int sem_trywait(sem_t *sem)
{
    if (take(sem)) {
        errno = EAGAIN;
        return -1;
    }
    return 0;
}

static int sem_wait_until(sem_t *restrict sem, int clock, const struct timespec *restrict at)
{
    if (at && __occlum_bad_timespec(at)) {
        errno = EINVAL;
        return -1;
    }
    while (take(sem)) {
        ADD(&SEM_WAITERS(sem), 1);
        cas(&SEM_VAL(sem), 0, (int)0x80000000);
        int r = __occlum_futex_timedwait(&SEM_VAL(sem), (int)0x80000000, clock, at);
        SUB(&SEM_WAITERS(sem), 1);
        if (r == ETIMEDOUT || r == EINTR) {
            errno = r;
            return -1;
        }
    }
    return 0;
}

int sem_wait(sem_t *sem)
{
    return sem_wait_until(sem, OCCLUM_SYNC_REALTIME, NULL);
}

int sem_timedwait(sem_t *restrict sem, const struct timespec *restrict at)
{
    return sem_wait_until(sem, OCCLUM_SYNC_REALTIME, at);
}

/* glibc 2.30's sem_clockwait. */
int sem_clockwait(sem_t *restrict sem, clockid_t clock, const struct timespec *restrict at)
{
    if (clock != CLOCK_MONOTONIC && clock != CLOCK_REALTIME) {
        errno = EINVAL;
        return -1;
    }
    return sem_wait_until(
        sem, clock == CLOCK_MONOTONIC ? OCCLUM_SYNC_MONOTONIC : OCCLUM_SYNC_REALTIME, at);
}

/* --- named semaphores --- */

struct named {
    struct named *next;
    sem_t sem;
    int opens;    /* sem_open calls not yet closed */
    int unlinked; /* the name is gone; freed at the last sem_close */
    char name[];
};

static struct named *names;
static volatile int names_lock;

static void lock(void)
{
    while (cas(&names_lock, 0, 1) != 0)
        __occlum_futex_wait(&names_lock, 1, -1);
}

static void unlock(void)
{
    STORE(&names_lock, 0);
    __occlum_futex_wake(&names_lock, 1);
}

/* glibc's rules (__shm_get_name, then the file /dev/shm/sem.NAME): leading
 * slashes are dropped; the rest must be non-empty and without a slash
 * (EINVAL), and fit NAME_MAX with the "sem." prefix (ENAMETOOLONG). */
static const char *check_name(const char *name)
{
    while (*name == '/')
        name++;
    size_t len = strlen(name);
    if (len == 0 || strchr(name, '/')) {
        errno = EINVAL;
        return NULL;
    }
    if (len > NAME_MAX - 4) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return name;
}

static struct named *find(const char *name)
{
    for (struct named *n = names; n; n = n->next)
        if (!n->unlinked && strcmp(n->name, name) == 0)
            return n;
    return NULL;
}

sem_t *sem_open(const char *name, int flags, ...)
{
    unsigned value = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        (void)va_arg(ap, unsigned); /* mode */
        value = va_arg(ap, unsigned);
        va_end(ap);
    }
    if (!(name = check_name(name)))
        return SEM_FAILED;
    lock();
    struct named *n = find(name);
    if (n && (flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) {
        unlock();
        errno = EEXIST;
        return SEM_FAILED;
    }
    if (!n) {
        if (!(flags & O_CREAT)) {
            unlock();
            errno = ENOENT;
            return SEM_FAILED;
        }
        if (value > SEM_VALUE_MAX) {
            unlock();
            errno = EINVAL;
            return SEM_FAILED;
        }
        n = calloc(1, sizeof *n + strlen(name) + 1);
        if (!n) {
            unlock();
            errno = ENOMEM;
            return SEM_FAILED;
        }
        strcpy(n->name, name);
        sem_init(&n->sem, 1, value);
        n->next = names;
        names = n;
    }
    n->opens++;
    unlock();
    return &n->sem;
}

static void drop(struct named *n)
{
    for (struct named **p = &names; *p; p = &(*p)->next) {
        if (*p == n) {
            *p = n->next;
            free(n);
            return;
        }
    }
}

int sem_close(sem_t *sem)
{
    lock();
    for (struct named *n = names; n; n = n->next) {
        if (&n->sem == sem) {
            if (--n->opens == 0 && n->unlinked)
                drop(n);
            unlock();
            return 0;
        }
    }
    unlock();
    errno = EINVAL;
    return -1;
}

int sem_unlink(const char *name)
{
    if (!(name = check_name(name))) {
        /* Linux's sem_unlink reports an empty or bad name as ENOENT. */
        if (errno == EINVAL)
            errno = ENOENT;
        return -1;
    }
    lock();
    struct named *n = find(name);
    if (!n) {
        unlock();
        errno = ENOENT;
        return -1;
    }
    n->unlinked = 1;
    if (n->opens == 0)
        drop(n);
    unlock();
    return 0;
}
