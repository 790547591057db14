/* lockf (POSIX record locks from the current offset): F_LOCK, F_TLOCK, F_TEST,
 * F_ULOCK between two processes, sizes 0 (to end of file) and negative, errors. */
#include "linuxtest.h"
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void child_probe(const char *argv0) {
    fflush(stdout);
    pid_t pid;
    char *args[] = {(char *)argv0, "probe", NULL};
    MUST(posix_spawn(&pid, argv0, NULL, NULL, args, environ) == 0);
    int st;
    MUST(waitpid(pid, &st, 0) == pid);
}

int main(int argc, char **argv) {
    if (argc > 1) {
        int fd = open("data", O_RDWR);
        MUST(fd >= 0);
        for (long off = 0; off < 40; off += 10) {
            MUST(lseek(fd, off, SEEK_SET) == off);
            errno = 0;
            int t = lockf(fd, F_TEST, 5);
            int e = errno;
            errno = 0;
            int l = lockf(fd, F_TLOCK, 5);
            printf("  child at %ld: F_TEST %s, F_TLOCK %s\n", off, t == 0 ? "free" : errname(e),
                   l == 0 ? "locked" : errname(errno));
        }
        return 0;
    }
    int fd = open("data", O_RDWR | O_CREAT, 0644);
    MUST(fd >= 0 && write(fd, "0123456789012345678901234567890123456789", 40) == 40);
    MUST(lseek(fd, 10, SEEK_SET) == 10);
    CHECK(lockf(fd, F_LOCK, 5));     /* 10..14 */
    MUST(lseek(fd, 25, SEEK_SET) == 25);
    CHECK(lockf(fd, F_TLOCK, -5));   /* 20..24 */
    MUST(lseek(fd, 30, SEEK_SET) == 30);
    CHECK(lockf(fd, F_TLOCK, 0));    /* 30.. end */
    CHECK(lockf(fd, F_TEST, 0));     /* own locks: free */
    child_probe(argv[0]);
    MUST(lseek(fd, 10, SEEK_SET) == 10);
    CHECK(lockf(fd, F_ULOCK, 0));    /* 10.. end */
    child_probe(argv[0]);
    CHECK(lockf(fd, 99, 0));
    CHECK(lockf(-1, F_LOCK, 0));
    int ro = open("data", O_RDONLY);
    CHECK(lockf(ro, F_LOCK, 0));
    CHECK(lockf(ro, F_TEST, 0));
    MUST(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(lockf(fd, F_TLOCK, -1));
    return 0;
}
