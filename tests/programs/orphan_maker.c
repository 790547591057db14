/*
 * orphan_maker: leaves a child behind.
 *   orphan_maker           spawns "orphan_maker wait" and exits at once (not
 *                          waiting), printing "child PID" first
 *   orphan_maker wait      reads stdin to its end, prints "parent PPID", exits 0
 * (tests/cli/test_server_kernel.py: who reaps an orphan in server mode).
 */
#include "common.h"

#include <spawn.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "wait") == 0) {
        char buf[64];
        while (read(0, buf, sizeof buf) > 0) {
        }
        printf("parent %d\n", (int)getppid());
        return 0;
    }
    pid_t pid;
    char *child_argv[] = {argv[0], "wait", NULL};
    int err = posix_spawn(&pid, argv[0], NULL, NULL, child_argv, environ);
    if (err != 0) {
        printf("posix_spawn: %s\n", errname(err));
        return 1;
    }
    printf("child %d\n", (int)pid);
    return 0;
}
