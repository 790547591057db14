/*
 * POSIX sweep: getopt, getopt_long and getopt_long_only as glibc's in one
 * respect musl's differ: each call starts with optarg = NULL, so a program
 * printing optarg after an option without an argument (or '?') sees NULL
 * rather than the previous option's argument. Labels in <unistd.h> and
 * <getopt.h>; the parsing is wasi-libc's (musl's, with GNU permutation in
 * getopt_long). Plain getopt also permutes argv as glibc's does (options
 * after operands are found: `prog file -v`), unless POSIXLY_CORRECT is set
 * or the option string starts with '+' (musl's getopt never permutes):
 * it is musl's getopt_long without long options, which permutes as glibc.
 */
#include <getopt.h>
#include <stdlib.h>
#include <unistd.h>

int __occlum_wrap_getopt(int argc, char *const argv[], const char *opts) {
    optarg = NULL;
    if (opts[0] == '+' || opts[0] == '-' || getenv("POSIXLY_CORRECT"))
        return getopt(argc, argv, opts);
    return getopt_long(argc, argv, opts, NULL, NULL);
}

int __occlum_wrap_getopt_long(int argc, char *const *argv, const char *opts,
                              const struct option *longs, int *index) {
    optarg = NULL;
    return getopt_long(argc, argv, opts, longs, index);
}

int __occlum_wrap_getopt_long_only(int argc, char *const *argv, const char *opts,
                                   const struct option *longs, int *index) {
    optarg = NULL;
    return getopt_long_only(argc, argv, opts, longs, index);
}
