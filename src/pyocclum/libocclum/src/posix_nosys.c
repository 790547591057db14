/*
 * POSIX sweep: interfaces PyOcclum does not have, failing with ENOSYS as
 * Linux does when they are configured out (CONFIG_SYSVIPC,
 * CONFIG_POSIX_MQUEUE, CONFIG_INOTIFY_USER, CONFIG_SIGNALFD), so that
 * programs which can live without them build and take their fallback:
 *
 * - System V shared memory, message queues and semaphores (shmget, shmat,
 *   shmdt, shmctl, msgget, msgsnd, msgrcv, msgctl, semget, semop,
 *   semtimedop, semctl): each process is a separate wasm memory, so shared
 *   memory between processes cannot be had; the queues and semaphores
 *   could be kernel objects but are not yet;
 * - POSIX message queues (mq_*);
 * - inotify (inotify_init, inotify_init1, inotify_add_watch,
 *   inotify_rm_watch) and signalfd.
 *
 * docs/abi.md lists them under the POSIX sweep.
 */
#include <errno.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>

static int nosys(void) {
    errno = ENOSYS;
    return -1;
}

int shmget(key_t key, size_t size, int flags) { (void)key; (void)size; (void)flags; return nosys(); }

void *shmat(int id, const void *addr, int flags) {
    (void)id; (void)addr; (void)flags;
    errno = ENOSYS;
    return (void *)-1;
}

int shmdt(const void *addr) { (void)addr; return nosys(); }
int shmctl(int id, int cmd, struct shmid_ds *buf) { (void)id; (void)cmd; (void)buf; return nosys(); }

int msgget(key_t key, int flags) { (void)key; (void)flags; return nosys(); }
int msgsnd(int id, const void *msg, size_t size, int flags) {
    (void)id; (void)msg; (void)size; (void)flags;
    return nosys();
}
ssize_t msgrcv(int id, void *msg, size_t size, long type, int flags) {
    (void)id; (void)msg; (void)size; (void)type; (void)flags;
    return nosys();
}
int msgctl(int id, int cmd, struct msqid_ds *buf) { (void)id; (void)cmd; (void)buf; return nosys(); }

int semget(key_t key, int n, int flags) { (void)key; (void)n; (void)flags; return nosys(); }
int semop(int id, struct sembuf *ops, size_t n) { (void)id; (void)ops; (void)n; return nosys(); }
int semtimedop(int id, struct sembuf *ops, size_t n, const struct timespec *ts) {
    (void)id; (void)ops; (void)n; (void)ts;
    return nosys();
}
int semctl(int id, int num, int cmd, ...) { (void)id; (void)num; (void)cmd; return nosys(); }

mqd_t mq_open(const char *name, int flags, ...) { (void)name; (void)flags; return nosys(); }
int mq_close(mqd_t q) { (void)q; return nosys(); }
int mq_unlink(const char *name) { (void)name; return nosys(); }
int mq_getattr(mqd_t q, struct mq_attr *a) { (void)q; (void)a; return nosys(); }
int mq_setattr(mqd_t q, const struct mq_attr *restrict a, struct mq_attr *restrict old) {
    (void)q; (void)a; (void)old;
    return nosys();
}
int mq_notify(mqd_t q, const struct sigevent *ev) { (void)q; (void)ev; return nosys(); }
int mq_send(mqd_t q, const char *m, size_t n, unsigned prio) {
    (void)q; (void)m; (void)n; (void)prio;
    return nosys();
}
ssize_t mq_receive(mqd_t q, char *m, size_t n, unsigned *prio) {
    (void)q; (void)m; (void)n; (void)prio;
    return nosys();
}
int mq_timedsend(mqd_t q, const char *m, size_t n, unsigned prio, const struct timespec *ts) {
    (void)q; (void)m; (void)n; (void)prio; (void)ts;
    return nosys();
}
ssize_t mq_timedreceive(mqd_t q, char *restrict m, size_t n, unsigned *restrict prio,
                        const struct timespec *restrict ts) {
    (void)q; (void)m; (void)n; (void)prio; (void)ts;
    return nosys();
}

int inotify_init(void) { return nosys(); }
int inotify_init1(int flags) { (void)flags; return nosys(); }
int inotify_add_watch(int fd, const char *path, uint32_t mask) {
    (void)fd; (void)path; (void)mask;
    return nosys();
}
int inotify_rm_watch(int fd, int wd) { (void)fd; (void)wd; return nosys(); }

int signalfd(int fd, const sigset_t *mask, int flags) {
    (void)fd; (void)mask; (void)flags;
    return nosys();
}
