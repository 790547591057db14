/* env: run a program in a modified environment, or print the environment
 * (GNU coreutils' env: -i, -u NAME, -C DIR, -0, NAME=VALUE, COMMAND via execvp). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileutil.h"

extern char **environ;

/* env's own failures exit 125; a command that cannot run, 126 or 127. */
enum { EXIT_CANCELED = 125, EXIT_CANNOT_INVOKE = 126, EXIT_ENOENT = 127 };

static const char usage[] =
    "Usage: %s [OPTION]... [-] [NAME=VALUE]... [COMMAND [ARG]...]\n"
    "Set each NAME to VALUE in the environment and run COMMAND.\n"
    "\n"
    "  -i, --ignore-environment  start with an empty environment\n"
    "  -0, --null           end each output line with NUL, not newline\n"
    "  -u, --unset=NAME     remove variable from the environment\n"
    "  -C, --chdir=DIR      change working directory to DIR\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"ignore-environment", no_argument, 0, 'i'},
        {"null", no_argument, 0, '0'},
        {"unset", required_argument, 0, 'u'},
        {"chdir", required_argument, 0, 'C'},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 1);
    opterr = 0;
    int ignore = 0, null_sep = 0, c;
    const char *dir = NULL;
    /* First pass: options ('+': stop at the first operand, as GNU env). -u is
     * applied after -i in a second pass below, in order. */
    while ((c = getopt_long(argc, argv, "+:i0u:C:", longopts, NULL)) != -1) {
        switch (c) {
        case 'i': ignore = 1; break;
        case '0': null_sep = 1; break;
        case 'u': break;
        case 'C': dir = optarg; break;
        default: fu_bad_option(argv, c, EXIT_CANCELED);
        }
    }
    if (optind < argc && strcmp(argv[optind], "-") == 0) {
        ignore = 1;
        optind++;
    }
    if (ignore) {
        static char *empty[1] = {NULL};
        environ = empty;
    }
    optind = 0; /* musl: 0 resets getopt's state */
    while ((c = getopt_long(argc, argv, "+:i0u:C:", longopts, NULL)) != -1) {
        if (c == 'u' && unsetenv(optarg) != 0)
            fu_die(EXIT_CANCELED, errno, "cannot unset %s", fu_quote(optarg));
    }
    if (optind < argc && strcmp(argv[optind], "-") == 0)
        optind++;
    for (; optind < argc && strchr(argv[optind], '='); optind++) {
        char *eq = strchr(argv[optind], '=');
        *eq = 0;
        if (setenv(argv[optind], eq + 1, 1) != 0) {
            *eq = '=';
            fu_die(EXIT_CANCELED, errno, "cannot set %s", fu_quote(argv[optind]));
        }
    }
    if (optind >= argc) {
        if (dir) {
            fu_warn(0, "must specify command with --chdir (-C)");
            fu_usage(EXIT_CANCELED);
        }
        for (char **e = environ; e && *e; e++)
            printf("%s%c", *e, null_sep ? '\0' : '\n');
        fu_flush_stdout(EXIT_CANCELED);
        return 0;
    }
    if (null_sep) {
        fu_warn(0, "cannot specify --null (-0) with command");
        fu_usage(EXIT_CANCELED);
    }
    if (dir && chdir(dir) != 0)
        fu_die(EXIT_CANCELED, errno, "cannot change directory to %s", fu_quote(dir));
    fflush(stdout);
    execvp(argv[optind], &argv[optind]);
    int e = errno;
    fu_warn(e, "%s", fu_quote(argv[optind]));
    return e == ENOENT ? EXIT_ENOENT : EXIT_CANNOT_INVOKE;
}
