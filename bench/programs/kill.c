/*
 * kill: how long SIGKILL takes to stop a child that spins without making a
 * system call. Spawns itself as "kill spin", lets it run 20 ms, sends
 * SIGKILL and times kill() -> waitpid() returning. Prints the mean and the
 * worst, in milliseconds, over N children:
 *   kill_mean_ms X
 *   kill_worst_ms Y
 * usage: kill SELF N  |  kill spin
 */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "spin") == 0) {
        volatile unsigned long n = 0;
        for (;;)
            n++;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: kill SELF N\n");
        return 2;
    }
    int count = atoi(argv[2]);
    double sum = 0, worst = 0;
    for (int i = 0; i < count; i++) {
        char *args[] = {argv[1], "spin", NULL};
        pid_t pid;
        if (posix_spawn(&pid, argv[1], NULL, NULL, args, environ) != 0) {
            perror("posix_spawn");
            return 1;
        }
        usleep(20000);
        double t0 = now_ms();
        if (kill(pid, SIGKILL) != 0) {
            perror("kill");
            return 1;
        }
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
            fprintf(stderr, "child did not die of SIGKILL (status %#x)\n", status);
            return 1;
        }
        double dt = now_ms() - t0;
        sum += dt;
        if (dt > worst)
            worst = dt;
    }
    printf("kill_mean_ms %.3f\nkill_worst_ms %.3f\n", sum / count, worst);
    return 0;
}
