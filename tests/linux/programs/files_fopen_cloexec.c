/* Close-on-exec from fopen's 'e', freopen's 'e', fdopen, O_CLOEXEC, dup3,
 * F_DUPFD_CLOEXEC and FD_CLOEXEC; a spawned program sees only the fds without it.
 * Also fopen's 'x' and the mode a created file gets. */
#include "linuxtest.h"
#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void cloexec(const char *what, int fd) {
    int fl = fcntl(fd, F_GETFD);
    printf("%s: %s\n", what, fl < 0 ? errname(errno) : (fl & FD_CLOEXEC) ? "cloexec" : "inherited");
}

int main(int argc, char **argv) {
    if (argc > 1) {
        /* The child: which of the fds named in argv are open? */
        for (int i = 1; i < argc; i++) {
            int fd = atoi(argv[i]);
            printf("child: fd #%d %s\n", i, fcntl(fd, F_GETFD) < 0 ? "closed" : "open");
        }
        return 0;
    }
    umask(022);
    FILE *a = fopen("a", "we");
    FILE *b = fopen("b", "w");
    FILE *c = fopen("a", "re");
    FILE *d = fopen("a", "r+e");
    FILE *x = fopen("x", "wxe");
    MUST(a && b && c && d && x);
    cloexec("fopen we", fileno(a));
    cloexec("fopen w", fileno(b));
    cloexec("fopen re", fileno(c));
    cloexec("fopen r+e", fileno(d));
    cloexec("fopen wxe", fileno(x));
    CHECK(fopen("x", "wx") == NULL ? -1 : 0);
    CHECK(fopen("missing", "re") == NULL ? -1 : 0);
    CHECK(fopen("a", "qe") == NULL ? -1 : 0);
    struct stat st;
    MUST(stat("b", &st) == 0);
    printf("fopen w mode %o\n", st.st_mode & 0777);

    FILE *r = freopen("b", "re", b);
    MUST(r != NULL);
    cloexec("freopen re", fileno(r));
    r = freopen(NULL, "we", r);
    MUST(r != NULL);
    cloexec("freopen NULL we", fileno(r));

    int fd = open("a", O_RDONLY | O_CLOEXEC);
    cloexec("open O_CLOEXEC", fd);
    int plain = open("a", O_RDONLY);
    cloexec("open", plain);
    int dupped = dup(fd);
    cloexec("dup of cloexec", dupped);
    int d3 = dup3(plain, 40, O_CLOEXEC);
    cloexec("dup3 O_CLOEXEC", d3);
    int d2 = dup2(fd, 41);
    cloexec("dup2 of cloexec", d2);
    int fdc = fcntl(plain, F_DUPFD_CLOEXEC, 50);
    cloexec("F_DUPFD_CLOEXEC", fdc);
    CHECK(fdc >= 50);
    CHECK(fcntl(dupped, F_SETFD, FD_CLOEXEC));
    cloexec("after F_SETFD", dupped);
    CHECK(fcntl(dupped, F_SETFD, 0));
    cloexec("after F_SETFD 0", dupped);
    CHECK(dup3(plain, plain, O_CLOEXEC));
    CHECK(dup3(plain, 42, O_NONBLOCK));
    CHECK(fcntl(-1, F_GETFD));

    fflush(stdout);
    int fds[] = {fileno(a), fileno(c), fd, plain, dupped, d3, d2, fdc};
    char bufs[8][16];
    char *args[10] = {argv[0]};
    for (int i = 0; i < 8; i++) {
        snprintf(bufs[i], sizeof bufs[i], "%d", fds[i]);
        args[i + 1] = bufs[i];
    }
    pid_t pid;
    MUST(posix_spawn(&pid, argv[0], NULL, NULL, args, environ) == 0);
    int status;
    MUST(waitpid(pid, &status, 0) == pid);
    printf("child exit %d\n", WEXITSTATUS(status));
    return 0;
}
