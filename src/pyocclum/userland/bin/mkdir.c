/* mkdir: make directories (GNU coreutils' mkdir: -p, -m MODE, -v). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"

static int verbose;

static void created(const char *dir) {
    if (verbose)
        printf("%s: created directory %s\n", fu_prog, fu_quote(dir));
}

/* The kernel creates every directory 0755 whatever mkdir's mode says: set the
 * mode coreutils would give when it differs. */
#define KERNEL_DIR_MODE 0755

static int make_one(const char *dir, mode_t mode) {
    if (mkdir(dir, mode) != 0)
        return errno;
    created(dir);
    if (mode != KERNEL_DIR_MODE && chmod(dir, mode) != 0)
        return errno;
    return 0;
}

/* mkdir -p: every missing ancestor (PARENT_MODE: u+wx so the walk can go on), then DIR. */
static int make_parents(const char *dir, mode_t parent_mode, mode_t mode) {
    char *path = fu_xstrdup(dir);
    size_t len = strlen(path);
    for (size_t i = 1; i <= len; i++) {
        if (path[i] != '/' && path[i] != 0)
            continue;
        if (path[i - 1] == '/')
            continue;
        char saved = path[i];
        path[i] = 0;
        int last = saved == 0 || strspn(path + i + 1, "/") == strlen(path + i + 1);
        struct stat st;
        mode_t want = last ? mode : parent_mode;
        if (mkdir(path, want) == 0) {
            created(last ? dir : path); /* the last one as given ("a/b/") */
            if (want != KERNEL_DIR_MODE && chmod(path, want) != 0) {
                fu_warn(errno, "cannot set permissions of %s", fu_quote(path));
                free(path);
                return 1;
            }
        } else if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            /* exists already: fine */
        } else {
            int e = errno;
            if (e == EEXIST && !last)
                e = ENOTDIR;
            fu_warn(e, "cannot create directory %s", fu_quote(path));
            free(path);
            return 1;
        }
        path[i] = saved;
        if (last)
            break;
    }
    free(path);
    return 0;
}

static const char usage[] =
    "Usage: %s [OPTION]... DIRECTORY...\n"
    "Create the DIRECTORY(ies), if they do not already exist.\n"
    "\n"
    "  -m, --mode=MODE   set file mode (as in chmod), not a=rwx - umask\n"
    "  -p, --parents     no error if existing, make parent directories as needed\n"
    "  -v, --verbose     print a message for each created directory\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"parents", no_argument, 0, 'p'},
        {"mode", required_argument, 0, 'm'},
        {"verbose", no_argument, 0, 'v'},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    int parents = 0, c;
    const char *mode_spec = NULL;
    while ((c = getopt_long(argc, argv, ":pm:v", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': parents = 1; break;
        case 'm': mode_spec = optarg; break;
        case 'v': verbose = 1; break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    if (optind >= argc)
        fu_missing_operand(NULL, 1);
    mode_t mask = umask(0);
    umask(mask);
    mode_t mode = 0777 & ~mask;
    if (mode_spec) {
        struct fu_mode_change *change = fu_mode_compile(mode_spec);
        if (!change)
            fu_die(1, 0, "invalid mode %s", fu_quote(mode_spec));
        mode = fu_mode_adjust(0777, 1, mask, change);
        free(change);
    }
    int status = 0;
    for (int i = optind; i < argc; i++) {
        if (parents) {
            status |= make_parents(argv[i], (0777 & ~mask) | 0300, mode);
            continue;
        }
        int e = make_one(argv[i], mode);
        if (e) {
            fu_warn(e, "cannot create directory %s", fu_quote(argv[i]));
            status = 1;
        }
    }
    fu_flush_stdout(1);
    return status;
}
