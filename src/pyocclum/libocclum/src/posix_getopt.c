/*
 * POSIX sweep: getopt, getopt_long and getopt_long_only as glibc's in one
 * respect musl's differ: each call starts with optarg = NULL, so a program
 * printing optarg after an option without an argument (or '?') sees NULL
 * rather than the previous option's argument. Labels in <unistd.h> and
 * <getopt.h>; the parsing is wasi-libc's (musl's, with GNU permutation in
 * getopt_long). Plain getopt does not permute (POSIX, as musl; glibc
 * permutes unless POSIXLY_CORRECT is set).
 */
#include <getopt.h>
#include <unistd.h>

int __occlum_wrap_getopt(int argc, char *const argv[], const char *opts) {
    optarg = NULL;
    return getopt(argc, argv, opts);
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
