/* A WASI reactor (occlum-cc -mexec-model=reactor): no main and no _start.
 * The kernel calls _initialize (which runs the constructor below), then run.
 * run reads its arguments the way wasi-libc's start-up code does and prints
 * them and $GREETING. An argument --exit=N makes N the exit status, returned
 * from run; with --call-exit it leaves through exit(N) instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

static int initialized;

__attribute__((constructor)) static void setup(void) { initialized = 1; }

__attribute__((export_name("run"))) int run(void)
{
    __wasi_size_t argc, size;
    if (__wasi_args_sizes_get(&argc, &size) != 0)
        return 100;
    char **argv = calloc(argc + 1, sizeof *argv);
    char *buf = malloc(size);
    if (argv == NULL || buf == NULL || __wasi_args_get((uint8_t **)argv, (uint8_t *)buf) != 0)
        return 101;
    int status = 0, call_exit = 0;
    const char *greeting = getenv("GREETING");
    printf("initialized=%d argc=%u greeting=%s\n", initialized, (unsigned)argc,
           greeting != NULL ? greeting : "(unset)");
    for (__wasi_size_t i = 1; i < argc; i++) {
        printf("arg %s\n", argv[i]);
        if (strncmp(argv[i], "--exit=", 7) == 0)
            status = atoi(argv[i] + 7);
        else if (strcmp(argv[i], "--call-exit") == 0)
            call_exit = 1;
    }
    if (call_exit)
        exit(status); /* exit() flushes stdout itself */
    /* Returning from run runs no exit handlers: flush what we wrote. */
    fflush(stdout);
    return status;
}
