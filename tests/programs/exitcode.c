/*
 * exitcode: ends in the way argv[1] asks.
 *   N           exit(N) (after printing without a newline: stdio is flushed)
 *   return:N    return N from main
 *   atexit:N    exit(N) from main; an atexit handler prints a line first
 *   _exit:N     _exit(N): stdio is NOT flushed (nothing buffered is printed)
 *   abort       abort(): death by signal (SIGABRT under PyOcclum, a trap in wasmtime)
 */
#include "common.h"

static void bye(void) {
    printf("atexit handler ran\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        printf("usage: exitcode N|return:N|atexit:N|_exit:N|abort\n");
        return 2;
    }
    const char *arg = argv[1];
    if (strcmp(arg, "abort") == 0) {
        printf("calling abort\n");
        fflush(stdout);
        abort();
    }
    if (strncmp(arg, "return:", 7) == 0) {
        printf("returning %d\n", atoi(arg + 7));
        return atoi(arg + 7);
    }
    if (strncmp(arg, "atexit:", 7) == 0) {
        atexit(bye);
        printf("exiting %d with a handler\n", atoi(arg + 7));
        exit(atoi(arg + 7));
    }
    if (strncmp(arg, "_exit:", 6) == 0) {
        printf("this line is buffered and lost");
        _exit(atoi(arg + 6));
    }
    printf("exiting with %d (no newline)", atoi(arg));
    exit(atoi(arg));
}
