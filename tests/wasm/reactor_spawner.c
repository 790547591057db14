/* A command that posix_spawns the reactor /bin/reactor with arguments and
 * an environment, waits for it and prints how it ended; with the argument
 * "exec" it replaces itself with the reactor instead (execve). */
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "exec") == 0) {
        char *exec_argv[] = {"reactor", "from-exec", "--exit=6", NULL};
        char *envp[] = {"GREETING=bonjour", NULL};
        fflush(stdout);
        execve("/bin/reactor", exec_argv, envp);
        perror("execve");
        return 1;
    }
    char *spawn_argv[] = {"reactor", "from-spawn", "--exit=9", NULL};
    char *envp[] = {"GREETING=hello", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/reactor", NULL, NULL, spawn_argv, envp);
    if (rc != 0) {
        printf("spawn failed: %d\n", rc);
        return 1;
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("waitpid");
        return 1;
    }
    printf("child exited=%d status=%d\n", WIFEXITED(status), WEXITSTATUS(status));
    return 0;
}
