/* cp: copy files and directories (GNU coreutils' cp: -r/-R, -a, -d, -p,
 * --preserve=LIST, -P, -L, -H, -f, -i, -n, -u, -v, -T, -t DIR). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"

static int preserve_list(const char *list, struct fu_copy_options *o) {
    char *copy = fu_xstrdup(list), *save = NULL;
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        if (strcmp(w, "mode") == 0)
            o->preserve_mode = 1;
        else if (strcmp(w, "timestamps") == 0)
            o->preserve_times = 1;
        else if (strcmp(w, "all") == 0)
            o->preserve_mode = o->preserve_times = 1;
        else if (strcmp(w, "ownership") && strcmp(w, "links") && strcmp(w, "xattr") &&
                 strcmp(w, "context"))
            return -1;
    }
    free(copy);
    return 0;
}

static const char usage[] =
    "Usage: %s [OPTION]... SOURCE... DEST\n"
    "Copy SOURCE to DEST, or multiple SOURCE(s) to DIRECTORY.\n"
    "\n"
    "  -a, --archive             same as -dR --preserve=all\n"
    "  -d                        copy symbolic links as links\n"
    "  -f, --force               remove a destination that cannot be opened and try again\n"
    "  -i, --interactive         prompt before overwrite\n"
    "  -H                        follow command-line symbolic links in SOURCE\n"
    "  -L, --dereference         always follow symbolic links in SOURCE\n"
    "  -n, --no-clobber          do not overwrite an existing file\n"
    "  -P, --no-dereference      never follow symbolic links in SOURCE\n"
    "  -p                        same as --preserve=mode,timestamps\n"
    "      --preserve[=LIST]     preserve mode, timestamps (all)\n"
    "  -R, -r, --recursive       copy directories recursively\n"
    "  -t, --target-directory=DIRECTORY  copy all SOURCE arguments into DIRECTORY\n"
    "  -T, --no-target-directory  treat DEST as a normal file\n"
    "  -u, --update              copy only when SOURCE is newer than DEST or DEST is missing\n"
    "  -v, --verbose             explain what is being done\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

static int copy_one(const char *src, const char *dst, void *options) {
    return fu_copy(src, dst, options);
}

int main(int argc, char **argv) {
    enum { PRESERVE = 256 };
    static const struct option longopts[] = {
        {"recursive", no_argument, 0, 'r'},
        {"archive", no_argument, 0, 'a'},
        {"force", no_argument, 0, 'f'},
        {"interactive", no_argument, 0, 'i'},
        {"no-clobber", no_argument, 0, 'n'},
        {"update", no_argument, 0, 'u'},
        {"verbose", no_argument, 0, 'v'},
        {"dereference", no_argument, 0, 'L'},
        {"no-dereference", no_argument, 0, 'P'},
        {"no-target-directory", no_argument, 0, 'T'},
        {"target-directory", required_argument, 0, 't'},
        {"preserve", optional_argument, 0, PRESERVE},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    struct fu_copy_options o = {0};
    int deref = -1, no_target_dir = 0, c;
    const char *target_dir = NULL;
    while ((c = getopt_long(argc, argv, ":rRadpfinuvLPHTt:", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
        case 'R': o.recursive = 1; break;
        case 'a': o.recursive = 1; deref = 0; o.preserve_mode = o.preserve_times = 1; break;
        case 'd': deref = 0; break;
        case 'p': o.preserve_mode = o.preserve_times = 1; break;
        case 'f': o.force = 1; break;
        case 'i': o.interactive = 1; o.no_clobber = 0; break;
        case 'n': o.no_clobber = 1; o.interactive = 0; break;
        case 'u': o.update = 1; break;
        case 'v': o.verbose = 1; break;
        case 'L': deref = 1; break;
        case 'P': deref = 0; break;
        case 'H': deref = 2; break;
        case 'T': no_target_dir = 1; break;
        case 't': target_dir = optarg; break;
        case PRESERVE:
            if (preserve_list(optarg ? optarg : "mode,timestamps", &o) != 0) {
                fu_warn(0, "invalid argument %s for '--preserve'", fu_quote(optarg));
                fputs("Valid arguments are:\n  - 'mode'\n  - 'timestamps'\n  - 'ownership'\n"
                      "  - 'links'\n  - 'context'\n  - 'xattr'\n  - 'all'\n", stderr);
                fu_usage(1);
            }
            break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    /* Without -r, symlinks are followed; with it, copied as links (coreutils). */
    if (deref < 0)
        deref = o.recursive ? 0 : 1;
    o.dereference = deref == 1;
    o.deref_args = deref == 1 || deref == 2;

    int status = fu_each_operand(argc - optind, argv + optind, target_dir, no_target_dir,
                                 copy_one, &o);
    fu_flush_stdout(1);
    return status;
}
