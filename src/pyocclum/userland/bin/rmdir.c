/* rmdir: remove empty directories (GNU coreutils' rmdir: -p, -v,
 * --ignore-fail-on-non-empty). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileutil.h"

static int verbose, ignore_non_empty;

/* 0 if removed, 2 if a non-empty one was ignored, else 1 after the message
 * (a parent removed by -p is called "directory" in it, as coreutils does). */
static int remove_one(const char *dir, int parent) {
    if (verbose)
        printf("%s: removing directory, %s\n", fu_prog, fu_quote(dir));
    if (rmdir(dir) == 0)
        return 0;
    int e = errno;
    if (ignore_non_empty && (e == ENOTEMPTY || e == EEXIST))
        return 2;
    fu_flush_stdout(1);
    fu_warn(e, parent ? "failed to remove directory %s" : "failed to remove %s", fu_quote(dir));
    return 1;
}

static const char usage[] =
    "Usage: %s [OPTION]... DIRECTORY...\n"
    "Remove the DIRECTORY(ies), if they are empty.\n"
    "\n"
    "      --ignore-fail-on-non-empty  ignore each failure to remove a non-empty directory\n"
    "  -p, --parents   remove DIRECTORY and its ancestors\n"
    "  -v, --verbose   output a diagnostic for every directory processed\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    enum { IGNORE = 256 };
    static const struct option longopts[] = {
        {"parents", no_argument, 0, 'p'},
        {"verbose", no_argument, 0, 'v'},
        {"ignore-fail-on-non-empty", no_argument, 0, IGNORE},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    int parents = 0, c;
    while ((c = getopt_long(argc, argv, ":pv", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': parents = 1; break;
        case 'v': verbose = 1; break;
        case IGNORE: ignore_non_empty = 1; break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    if (optind >= argc)
        fu_missing_operand(NULL, 1);
    int status = 0;
    for (int i = optind; i < argc; i++) {
        int r = remove_one(argv[i], 0);
        if (r == 1)
            status = 1;
        if (r || !parents)
            continue;
        /* -p: then each parent, "a/b/c" -> "a/b" -> "a". */
        char *path = fu_xstrdup(argv[i]);
        for (;;) {
            size_t n = strlen(path);
            while (n > 0 && path[n - 1] == '/')
                n--;
            while (n > 0 && path[n - 1] != '/')
                n--;
            while (n > 0 && path[n - 1] == '/')
                n--;
            if (n == 0)
                break;
            path[n] = 0;
            r = remove_one(path, 1);
            if (r == 1)
                status = 1;
            if (r)
                break;
        }
        free(path);
    }
    fu_flush_stdout(1);
    return status;
}
