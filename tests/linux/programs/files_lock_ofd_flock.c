/* Open file description locks (F_OFD_*) and BSD flock: held by the description, so
 * two opens in one process conflict, dup'ed and inherited fds share the lock, and it
 * goes with the description's last close; OFD and POSIX locks conflict, flock and
 * fcntl locks do not; the error paths. */
#include "linuxtest.h"
#include <fcntl.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int lk(int fd, int cmd, short type, long start, long len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static void getlk(int fd, int cmd, short type, long start, long len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fd, cmd, &fl) < 0) {
        printf("getlk: %s\n", errname(errno));
        return;
    }
    if (fl.l_type == F_UNLCK)
        printf("getlk %ld+%ld: free\n", start, len);
    else
        printf("getlk %ld+%ld: %s at %ld len %ld pid %s\n", start, len,
               fl.l_type == F_WRLCK ? "w" : "r", (long)fl.l_start, (long)fl.l_len,
               fl.l_pid == -1 ? "-1" : fl.l_pid == getpid() ? "self" : "other");
}

static int run(const char *argv0, const char *role, int fd) {
    fflush(stdout);
    char num[16];
    snprintf(num, sizeof num, "%d", fd);
    pid_t pid;
    char *args[] = {(char *)argv0, (char *)role, num, NULL};
    MUST(posix_spawn(&pid, argv0, NULL, NULL, args, environ) == 0);
    int st;
    MUST(waitpid(pid, &st, 0) == pid);
    return WEXITSTATUS(st);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2) {
        int inherited = atoi(argv[2]);
        int fd = open("data", O_RDWR);
        MUST(fd >= 0);
        if (strcmp(argv[1], "flock") == 0) {
            CHECK(flock(fd, LOCK_EX | LOCK_NB));
            CHECK(flock(fd, LOCK_SH | LOCK_NB));
            CHECK(flock(inherited, LOCK_EX | LOCK_NB)); /* shares the parent's */
        } else if (strcmp(argv[1], "unlock") == 0) {
            CHECK(flock(inherited, LOCK_UN)); /* drops the parent's lock */
        } else if (strcmp(argv[1], "ofd") == 0) {
            getlk(fd, F_OFD_GETLK, F_WRLCK, 0, 1);
            CHECK(lk(fd, F_OFD_SETLK, F_RDLCK, 0, 1));
            CHECK(lk(inherited, F_OFD_SETLK, F_WRLCK, 0, 1));
        }
        return 0;
    }
    int a = open("data", O_RDWR | O_CREAT, 0644);
    MUST(a >= 0 && write(a, "0123456789", 10) == 10);
    int b = open("data", O_RDWR);
    MUST(b >= 0);

    printf("-- flock\n");
    CHECK(flock(a, LOCK_SH));
    CHECK(flock(b, LOCK_SH | LOCK_NB));
    CHECK(flock(b, LOCK_EX | LOCK_NB));
    CHECK(flock(a, LOCK_EX | LOCK_NB)); /* b's shared lock is gone (failed conversion) */
    CHECK(flock(b, LOCK_SH | LOCK_NB));
    int d = dup(a);
    CHECK(flock(d, LOCK_EX | LOCK_NB)); /* same description: already held */
    CHECK(lk(b, F_SETLK, F_WRLCK, 0, 0)); /* fcntl locks are another namespace */
    CHECK(lk(b, F_SETLK, F_UNLCK, 0, 0));
    printf("child exit %d\n", run(argv[0], "flock", a));
    CHECK(close(d));
    CHECK(flock(b, LOCK_SH | LOCK_NB)); /* a still holds it */
    printf("child exit %d\n", run(argv[0], "unlock", a));
    CHECK(flock(b, LOCK_EX | LOCK_NB));
    CHECK(close(b)); /* the last fd of b's description: its lock goes */
    b = open("data", O_RDWR);
    CHECK(flock(a, LOCK_EX | LOCK_NB));
    CHECK(flock(a, LOCK_UN));
    CHECK(flock(a, LOCK_UN));
    CHECK(flock(a, 0));
    CHECK(flock(a, LOCK_SH | LOCK_EX));
    CHECK(flock(a, LOCK_NB));
    CHECK(flock(-1, LOCK_SH));
    CHECK(flock(99, LOCK_UN));

    printf("-- OFD locks\n");
    CHECK(lk(a, F_OFD_SETLK, F_WRLCK, 0, 5));
    getlk(a, F_OFD_GETLK, F_WRLCK, 0, 10);
    getlk(b, F_OFD_GETLK, F_WRLCK, 0, 10);
    getlk(b, F_GETLK, F_RDLCK, 4, 10);
    CHECK(lk(b, F_OFD_SETLK, F_RDLCK, 4, 1));
    CHECK(lk(b, F_SETLK, F_RDLCK, 4, 1)); /* a POSIX lock of the same process conflicts */
    CHECK(lk(b, F_SETLK, F_WRLCK, 5, 5));
    getlk(a, F_OFD_GETLK, F_WRLCK, 0, 0);
    printf("child exit %d\n", run(argv[0], "ofd", a));
    getlk(b, F_OFD_GETLK, F_RDLCK, 0, 1);
    struct flock bad = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_pid = 1};
    CHECK(fcntl(a, F_OFD_SETLK, &bad));
    CHECK(fcntl(a, F_OFD_GETLK, &bad));
    CHECK(lk(a, F_OFD_SETLKW, 9, 0, 1));
    CHECK(lk(-1, F_OFD_SETLK, F_WRLCK, 0, 1));
    /* Closing a dup of the description keeps OFD locks; the last close drops them. */
    d = dup(a);
    CHECK(close(d));
    getlk(b, F_OFD_GETLK, F_WRLCK, 0, 1);
    CHECK(close(a));
    getlk(b, F_OFD_GETLK, F_WRLCK, 0, 1);
    CHECK(lk(b, F_SETLK, F_UNLCK, 0, 0));
    getlk(b, F_OFD_GETLK, F_WRLCK, 0, 0);
    return 0;
}
