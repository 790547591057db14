/*
 * run_then_list_tmp PROGRAM [ARG...]: spawn PROGRAM, wait for it, then print
 * "status N" and the name of every entry left in /tmp, one a line. The gcc
 * demo's test uses it to see that the driver removes its intermediate files.
 */
#include <dirent.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: run_then_list_tmp PROGRAM [ARG...]\n");
        return 2;
    }
    pid_t pid;
    int err = posix_spawn(&pid, argv[1], NULL, NULL, argv + 1, environ);
    if (err != 0) {
        fprintf(stderr, "posix_spawn %s: %s\n", argv[1], strerror(err));
        return 1;
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("waitpid");
        return 1;
    }
    printf("status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    DIR *dir = opendir("/tmp");
    if (dir == NULL) {
        perror("/tmp");
        return 1;
    }
    for (struct dirent *e; (e = readdir(dir)) != NULL;) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            printf("%s\n", e->d_name);
    }
    closedir(dir);
    return 0;
}
