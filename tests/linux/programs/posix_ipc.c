/* System V IPC inside one process (a private message queue, a semaphore
 * set, a shared memory segment attached twice), a POSIX message queue,
 * inotify on a directory and signalfd: what programs use them for, each
 * cleaned up afterwards. */
// linux-test: xfail=SysV IPC, POSIX message queues, inotify and signalfd fail with ENOSYS inside (src/posix_nosys.c): separate wasm memories cannot share pages, and the rest are not kernel objects yet
#include "linuxtest.h"
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/signalfd.h>
#include <unistd.h>

struct msg {
    long type;
    char text[16];
};

int main(void) {
    int q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    printf("msgget %s\n", q >= 0 ? "ok" : errname(errno));
    if (q >= 0) {
        struct msg m = {2, "hello"}, r;
        CHECK(msgsnd(q, &m, sizeof m.text, 0));
        CHECK(msgrcv(q, &r, sizeof r.text, 0, 0));
        printf("received type %ld %s\n", r.type, r.text);
        CHECK(msgctl(q, IPC_RMID, NULL));
    }
    int s = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    printf("semget %s\n", s >= 0 ? "ok" : errname(errno));
    if (s >= 0) {
        struct sembuf up = {0, 1, 0}, down = {0, -1, IPC_NOWAIT};
        CHECK(semop(s, &up, 1));
        CHECK(semop(s, &down, 1));
        CHECK(semop(s, &down, 1));
        CHECK(semctl(s, 0, IPC_RMID));
    }
    int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    printf("shmget %s\n", shm >= 0 ? "ok" : errname(errno));
    if (shm >= 0) {
        char *a = shmat(shm, NULL, 0), *b = shmat(shm, NULL, 0);
        MUST(a != (void *)-1 && b != (void *)-1);
        strcpy(a, "shared");
        printf("second attach sees: %s\n", b);
        CHECK(shmdt(a));
        CHECK(shmdt(b));
        CHECK(shmctl(shm, IPC_RMID, NULL));
    }
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 32};
    mqd_t mq = mq_open("/posix-ipc-test", O_CREAT | O_RDWR, 0600, &attr);
    printf("mq_open %s\n", mq != (mqd_t)-1 ? "ok" : errname(errno));
    if (mq != (mqd_t)-1) {
        char buf[32];
        unsigned prio;
        CHECK(mq_send(mq, "hi", 3, 5));
        CHECK(mq_receive(mq, buf, sizeof buf, &prio));
        printf("mq got %s prio %u\n", buf, prio);
        CHECK(mq_close(mq));
        CHECK(mq_unlink("/posix-ipc-test"));
    }
    int in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    printf("inotify_init1 %s\n", in >= 0 ? "ok" : errname(errno));
    if (in >= 0) {
        CHECK_OK(inotify_add_watch(in, ".", IN_CREATE));
        int fd = open("created", O_CREAT | O_WRONLY, 0644);
        close(fd);
        char ev[256];
        ssize_t n = read(in, ev, sizeof ev);
        struct inotify_event *e = (struct inotify_event *)ev;
        printf("event %s mask create %d\n", n > 0 ? e->name : errname(errno),
               n > 0 && (e->mask & IN_CREATE) != 0);
        close(in);
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    printf("signalfd %s\n", sfd >= 0 ? "ok" : errname(errno));
    if (sfd >= 0) {
        raise(SIGUSR1);
        struct signalfd_siginfo si;
        CHECK(read(sfd, &si, sizeof si) == (ssize_t)sizeof si);
        printf("signalfd got %u\n", si.ssi_signo == SIGUSR1);
        close(sfd);
    }
    return 0;
}
