/*
 * POSIX sweep: program_invocation_name and program_invocation_short_name
 * (glibc's, also musl's __progname_full/__progname), which wasi-libc
 * declares but never sets: its start-up code does not see argv before
 * main. <errno.h> maps the two names to the variables here; a constructor
 * (linked only when a program uses them) fills them from WASI's argv[0]
 * and sets wasi-libc's own __progname/__progname_full too.
 */
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

char *__occlum_progname_full = "";
char *__occlum_progname = "";
extern char *__progname, *__progname_full;

__attribute__((constructor(101))) static void occlum_init_progname(void) {
    __wasi_size_t argc, size;
    if (__wasi_args_sizes_get(&argc, &size) != 0 || argc == 0)
        return;
    char **argv = malloc(argc * sizeof *argv);
    char *buf = malloc(size);
    if (!argv || !buf || __wasi_args_get((uint8_t **)argv, (uint8_t *)buf) != 0) {
        free(argv);
        free(buf);
        return;
    }
    /* argv[0] stays in buf for the life of the process. */
    __occlum_progname_full = argv[0];
    char *slash = strrchr(argv[0], '/');
    __occlum_progname = slash ? slash + 1 : argv[0];
    free(argv);
    __progname_full = __occlum_progname_full;
    __progname = __occlum_progname;
}
