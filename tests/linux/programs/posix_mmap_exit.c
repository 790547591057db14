/* A MAP_SHARED file mapping written by a child that exits without munmap or
 * msync: the parent (after waitpid) reads the child's bytes from the file,
 * and a second MAP_SHARED mapping of the same file made afterwards shows
 * them. Writes past the file's size never grow it. */
#include "linuxtest.h"
#include <fcntl.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int child(void) {
    int fd = open("shared.dat", O_RDWR);
    MUST(fd >= 0);
    char *p = mmap(NULL, 100, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    MUST(p != MAP_FAILED);
    memcpy(p, "written by the child", 20);
    p[60] = 'X'; /* past the file's 50 bytes: not written back */
    _exit(0); /* no msync, no munmap, not even exit()'s handlers... */
}

static int child_exit(void) {
    int fd = open("shared.dat", O_RDWR);
    MUST(fd >= 0);
    char *p = mmap(NULL, 50, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    MUST(p != MAP_FAILED);
    memcpy(p + 30, "at exit", 7);
    exit(0);
}

static void run(const char *self, const char *how) {
    char *argv[] = {(char *)self, (char *)how, NULL};
    pid_t pid;
    MUST(posix_spawn(&pid, self, NULL, NULL, argv, environ) == 0);
    int st;
    MUST(waitpid(pid, &st, 0) == pid);
    printf("child %s exited %d\n", how, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return child();
    if (argc > 1 && strcmp(argv[1], "child-exit") == 0)
        return child_exit();
    int fd = open("shared.dat", O_RDWR | O_CREAT | O_TRUNC, 0644);
    MUST(fd >= 0);
    char zeros[50];
    memset(zeros, '.', sizeof zeros);
    MUST(write(fd, zeros, sizeof zeros) == (ssize_t)sizeof zeros);
    run(argv[0], "child-exit");
    char buf[64] = {0};
    CHECK(pread(fd, buf, 50, 0));
    printf("after exit(): %s\n", buf);
    run(argv[0], "child");
    memset(buf, 0, sizeof buf);
    CHECK(pread(fd, buf, 50, 0));
    printf("after _exit(): %.20s\n", buf);
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    printf("size %lld\n", (long long)st.st_size);
    return 0;
}
