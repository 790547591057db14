/*
 * Run a command N times in a row and time each run.
 *
 *   repeat N PROGRAM [ARG...]     (PROGRAM is a path; every run must exit 0)
 *
 * Output (parsed by bench/gcc.py):
 *   first_ms <milliseconds of the first run>
 *   mean_ms <mean milliseconds of runs 2..N>    (only when N >= 2)
 *
 * Inside PyOcclum the first run pays for loading the programs the command
 * starts (authenticating and deserializing their native code); later runs
 * in the same LibOS find them loaded, as a build of many files would.
 */
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static int64_t now_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0) {
        perror("clock_gettime");
        exit(2);
    }
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void run(char **argv)
{
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
    if (rc != 0) {
        fprintf(stderr, "repeat: posix_spawn %s: error %d\n", argv[0], rc);
        exit(2);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("repeat: waitpid");
        exit(2);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "repeat: %s: wait status %#x, not exit 0\n", argv[0], status);
        exit(2);
    }
}

int main(int argc, char **argv)
{
    long n = argc >= 3 ? strtol(argv[1], NULL, 10) : 0;
    if (n < 1) {
        fprintf(stderr, "usage: repeat N PROGRAM [ARG...]\n");
        return 2;
    }
    int64_t start = now_ns();
    run(argv + 2);
    int64_t first = now_ns() - start;
    printf("first_ms %.3f\n", (double)first / 1e6);
    if (n >= 2) {
        start = now_ns();
        for (long i = 1; i < n; i++)
            run(argv + 2);
        printf("mean_ms %.3f\n", (double)(now_ns() - start) / 1e6 / (double)(n - 1));
    }
    return 0;
}
