/* A command that posix_spawns the reactor /bin/reactor with arguments and
 * an environment, waits for it and prints how it ended. */
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>

int main(void)
{
    char *argv[] = {"reactor", "from-spawn", "--exit=9", NULL};
    char *envp[] = {"GREETING=hello", NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, "/bin/reactor", NULL, NULL, argv, envp);
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
