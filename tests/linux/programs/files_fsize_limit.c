/* RLIMIT_FSIZE: a write that would take a regular file past the soft limit
 * writes up to it; one that starts at the limit fails with EFBIG and sends
 * SIGXFSZ (pwrite, O_APPEND, ftruncate and fallocate alike; shrinking is
 * fine). Pipes and devices are not limited. A spawned program inherits the limit, and
 * dies of SIGXFSZ if it does not handle it. Raising the soft limit to the
 * hard one lifts it. The limit is far above what the program prints: stdout
 * is a regular file in the test harness, and the limit holds for it too. */
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linuxtest.h"

extern char **environ;

static volatile sig_atomic_t xfsz;
static void on_xfsz(int sig) {
    (void)sig;
    xfsz++;
}

#define LIMIT 100000
static char buf[160000];

static int child(const char *mode) {
    struct rlimit r;
    MUST(getrlimit(RLIMIT_FSIZE, &r) == 0);
    printf("child: soft limit %llu\n", (unsigned long long)r.rlim_cur);
    if (strcmp(mode, "ignore") == 0)
        signal(SIGXFSZ, SIG_IGN);
    int fd = open("child.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    MUST(fd >= 0);
    CHECK(write(fd, buf, LIMIT + LIMIT / 2));
    fflush(stdout);
    CHECK(write(fd, buf, 1));
    return 0;
}

static void spawn_and_wait(char *self, char *mode) {
    char *args[] = {self, mode, NULL};
    pid_t pid;
    fflush(stdout);
    MUST(posix_spawn(&pid, self, NULL, NULL, args, environ) == 0);
    int status;
    MUST(waitpid(pid, &status, 0) == pid);
    if (WIFEXITED(status))
        printf("  exit %d\n", WEXITSTATUS(status));
    else
        printf("  killed by signal %d (SIGXFSZ is %d)\n", WTERMSIG(status), SIGXFSZ);
}

int main(int argc, char **argv) {
    memset(buf, 'a', sizeof buf);
    if (argc > 1)
        return child(argv[1]);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_xfsz;
    MUST(sigaction(SIGXFSZ, &sa, NULL) == 0);
    struct rlimit r = {LIMIT, RLIM_INFINITY};
    CHECK(setrlimit(RLIMIT_FSIZE, &r));

    int fd = open("f.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    MUST(fd >= 0);
    CHECK(write(fd, buf, 60000));
    CHECK(write(fd, buf, 60000)); /* 40000: up to the limit */
    printf("SIGXFSZ so far: %d\n", (int)xfsz);
    CHECK(write(fd, buf, 1));
    printf("SIGXFSZ so far: %d\n", (int)xfsz);
    CHECK(pwrite(fd, buf, 10, LIMIT - 5));
    CHECK(pwrite(fd, buf, 10, LIMIT * 2));
    CHECK(lseek(fd, 0, SEEK_END));
    printf("SIGXFSZ so far: %d\n", (int)xfsz);
    CHECK(ftruncate(fd, LIMIT / 2));
    CHECK(ftruncate(fd, LIMIT + 1));
    CHECK(ftruncate(fd, LIMIT));
    printf("SIGXFSZ so far: %d\n", (int)xfsz);
    CHECK_ERRNO(posix_fallocate(fd, 0, LIMIT * 2));
    CHECK_ERRNO(posix_fallocate(fd, 0, LIMIT));
    printf("SIGXFSZ so far: %d\n", (int)xfsz);

    int app = open("f.txt", O_WRONLY | O_APPEND);
    MUST(app >= 0);
    CHECK(write(app, buf, 1));
    printf("SIGXFSZ so far: %d\n", (int)xfsz);
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    printf("size %lld\n", (long long)st.st_size);

    int p[2];
    MUST(pipe(p) == 0);
    CHECK(write(p[1], buf, 1000));
    int null = open("/dev/null", O_WRONLY);
    MUST(null >= 0);
    CHECK(write(null, buf, sizeof buf)); /* a device: not limited */

    printf("a child that ignores SIGXFSZ:\n");
    spawn_and_wait(argv[0], "ignore");
    printf("a child that does not:\n");
    spawn_and_wait(argv[0], "default");
    MUST(stat("child.txt", &st) == 0);
    printf("its file: %lld bytes\n", (long long)st.st_size);

    r.rlim_cur = RLIM_INFINITY;
    CHECK(setrlimit(RLIMIT_FSIZE, &r));
    CHECK(write(app, buf, 1));
    printf("SIGXFSZ so far: %d\n", (int)xfsz);
    return 0;
}
