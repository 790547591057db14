/* pwd: print the current directory (GNU coreutils' pwd: -L, -P; -P is the default). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"

/* $PWD, if it is absolute, has no "." or ".." component and names the cwd. */
static const char *logical(void) {
    const char *pwd = getenv("PWD");
    struct stat a, b;
    if (!pwd || pwd[0] != '/')
        return NULL;
    for (const char *p = pwd; *p; p++) {
        if (p[0] == '/' && p[1] == '.' && (p[2] == '/' || p[2] == 0 ||
                                            (p[2] == '.' && (p[3] == '/' || p[3] == 0))))
            return NULL;
    }
    if (stat(pwd, &a) != 0 || stat(".", &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino)
        return NULL;
    return pwd;
}

static const char usage[] =
    "Usage: %s [OPTION]...\n"
    "Print the full filename of the current working directory.\n"
    "\n"
    "  -L, --logical   use PWD from environment, even if it contains symlinks\n"
    "  -P, --physical  avoid all symlinks (the default)\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"logical", no_argument, 0, 'L'},
        {"physical", no_argument, 0, 'P'},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    int use_logical = getenv("POSIXLY_CORRECT") != NULL, c;
    while ((c = getopt_long(argc, argv, ":LP", longopts, NULL)) != -1) {
        switch (c) {
        case 'L': use_logical = 1; break;
        case 'P': use_logical = 0; break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    if (optind < argc)
        fu_warn(0, "ignoring non-option arguments");
    const char *dir = use_logical ? logical() : NULL;
    char *buf = NULL;
    if (!dir) {
        buf = getcwd(NULL, 0);
        if (!buf)
            fu_die(1, errno, "error retrieving current directory");
        dir = buf;
    }
    puts(dir);
    free(buf);
    fu_flush_stdout(1);
    return 0;
}
