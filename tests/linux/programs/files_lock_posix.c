/* fcntl record locks between two processes: F_SETLK/F_GETLK conflicts, byte ranges,
 * whence, l_len 0 and negative, split and merge, and the error paths. The parent
 * holds locks; a child (this program spawned again) probes them with F_GETLK and
 * F_SETLK. */
#include "linuxtest.h"
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int lk(int fd, int cmd, short type, short whence, long start, long len) {
    struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

/* Print what F_GETLK says about a write (or read) lock on start..start+len. */
static void probe(int fd, short type, long start, long len) {
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fd, F_GETLK, &fl) < 0) {
        printf("getlk %s %ld+%ld: %s\n", type == F_WRLCK ? "w" : "r", start, len, errname(errno));
        return;
    }
    if (fl.l_type == F_UNLCK) {
        printf("getlk %s %ld+%ld: free\n", type == F_WRLCK ? "w" : "r", start, len);
        return;
    }
    printf("getlk %s %ld+%ld: held %s at %ld len %ld whence %d by parent %d\n",
           type == F_WRLCK ? "w" : "r", start, len, fl.l_type == F_WRLCK ? "w" : "r",
           (long)fl.l_start, (long)fl.l_len, fl.l_whence, fl.l_pid == getppid());
}

static int child(const char *what) {
    int fd = open("data", O_RDWR);
    MUST(fd >= 0);
    printf("child %s\n", what);
    probe(fd, F_WRLCK, 0, 1);
    probe(fd, F_RDLCK, 0, 1);
    probe(fd, F_WRLCK, 5, 1);
    probe(fd, F_RDLCK, 10, 5);
    probe(fd, F_WRLCK, 12, 0);
    probe(fd, F_WRLCK, 20, 10);
    probe(fd, F_WRLCK, 100, 1);
    probe(fd, F_WRLCK, 1000000, 1);
    CHECK(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    CHECK(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    CHECK(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 30, 5));
    CHECK(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    return 0;
}

static void run_child(const char *argv0, const char *what) {
    fflush(stdout);
    pid_t pid;
    char *args[] = {(char *)argv0, "child", (char *)what, NULL};
    MUST(posix_spawn(&pid, argv0, NULL, NULL, args, environ) == 0);
    int st;
    MUST(waitpid(pid, &st, 0) == pid);
    printf("child exit %d\n", WEXITSTATUS(st));
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 2)
        return child(argv[2]);
    int fd = open("data", O_RDWR | O_CREAT, 0644);
    MUST(fd >= 0);
    MUST(write(fd, "0123456789abcdefghij", 20) == 20);

    /* Own locks never conflict: F_GETLK says free. */
    CHECK(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
    probe(fd, F_WRLCK, 0, 10);
    /* Split: unlock the middle, make part of it a read lock. */
    CHECK(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 3, 4));
    CHECK(lk(fd, F_SETLK, F_RDLCK, SEEK_SET, 5, 1));
    /* whence: SEEK_CUR from offset 10, SEEK_END with a negative start, l_len < 0. */
    MUST(lseek(fd, 10, SEEK_SET) == 10);
    CHECK(lk(fd, F_SETLK, F_RDLCK, SEEK_CUR, 0, 3));
    CHECK(lk(fd, F_SETLK, F_RDLCK, SEEK_END, -7, 2));
    CHECK(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 30, -10));
    /* To end of file, from 100. */
    CHECK(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 100, 0));
    run_child(argv[0], "after locking");

    /* Merge: read locks 10..12 and 13..14 become one; upgrade part to write. */
    CHECK(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 11, 1));
    CHECK(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 20, 10));
    CHECK(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 100, 0));
    run_child(argv[0], "after changes");

    /* Error paths. */
    CHECK(lk(fd, F_SETLK, 7, SEEK_SET, 0, 1));
    CHECK(lk(fd, F_SETLK, F_WRLCK, 9, 0, 1));
    CHECK(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1));
    CHECK(lk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, -6));
    CHECK(lk(fd, F_GETLK, F_UNLCK, SEEK_SET, 0, 1));
    CHECK(lk(-1, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    CHECK(lk(99, F_GETLK, F_WRLCK, SEEK_SET, 0, 1));
    int ro = open("data", O_RDONLY);
    int wo = open("data", O_WRONLY);
    MUST(ro >= 0 && wo >= 0);
    CHECK(lk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
    CHECK(lk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
    CHECK(lk(ro, F_GETLK, F_WRLCK, SEEK_SET, 0, 1));
    CHECK(lk(ro, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
    /* Everything unlocked: the child may lock all. */
    CHECK(lk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
    run_child(argv[0], "after unlocking all");
    return 0;
}
