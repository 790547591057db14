/* chmod: change file mode bits (GNU coreutils' chmod: octal and symbolic
 * modes, -R, -v, -c, -f, --reference=FILE). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"

enum { V_QUIET, V_NORMAL, V_CHANGES, V_HIGH };
static int verbosity = V_NORMAL, recursive;
static struct fu_mode_change *change;
static int have_ref;
/* coreutils warns about bits the umask kept out only for a mode given like an
 * option ("chmod -w f"), where that surprise is likely. */
static int diagnose_surprises;
static mode_t ref_mode, umask_value;

static void describe(const char *name, mode_t old, mode_t new_mode, int failed) {
    if (verbosity == V_QUIET || verbosity == V_NORMAL)
        return;
    if (verbosity == V_CHANGES && !failed && (old & 07777) == (new_mode & 07777))
        return;
    char os[11], ns[11];
    fu_mode_string(old, os);
    fu_mode_string(new_mode, ns);
    if (failed)
        printf("failed to change mode of %s from %04lo (%s) to %04lo (%s)\n", fu_quote(name),
               (unsigned long)(old & 07777), os + 1, (unsigned long)(new_mode & 07777), ns + 1);
    else if ((old & 07777) == (new_mode & 07777))
        printf("mode of %s retained as %04lo (%s)\n", fu_quote(name),
               (unsigned long)(new_mode & 07777), ns + 1);
    else
        printf("mode of %s changed from %04lo (%s) to %04lo (%s)\n", fu_quote(name),
               (unsigned long)(old & 07777), os + 1, (unsigned long)(new_mode & 07777), ns + 1);
}

static int change_one(const char *name, int top);

static int change_tree(const char *dir) {
    size_t n;
    char **names = fu_dir_names(dir, &n);
    if (!names) {
        if (verbosity != V_QUIET)
            fu_warn(errno, "cannot read directory %s", fu_quote(dir));
        return 1;
    }
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        char *child = fu_join(dir, names[i]);
        status |= change_one(child, 0);
        free(child);
        free(names[i]);
    }
    free(names);
    return status;
}

static int change_one(const char *name, int top) {
    struct stat st;
    if (!top) {
        /* Inside a -R walk symlinks are never followed (coreutils' -P default). */
        if (lstat(name, &st) != 0) {
            if (verbosity != V_QUIET)
                fu_warn(errno, "cannot access %s", fu_quote(name));
            return 1;
        }
        if (S_ISLNK(st.st_mode)) {
            if (verbosity == V_HIGH)
                printf("neither symbolic link %s nor referent has been changed\n",
                       fu_quote(name));
            return 0;
        }
    } else if (stat(name, &st) != 0) {
        int e = errno;
        struct stat lst;
        if (e == ENOENT && lstat(name, &lst) == 0 && S_ISLNK(lst.st_mode)) {
            if (verbosity != V_QUIET)
                fu_warn(0, "cannot operate on dangling symlink %s", fu_quote(name));
            if (verbosity == V_HIGH)
                printf("%s could not be accessed\n", fu_quote(name));
            return 1;
        }
        if (verbosity != V_QUIET)
            fu_warn(e, "cannot access %s", fu_quote(name));
        return 1;
    }
    int is_dir = S_ISDIR(st.st_mode);
    mode_t new_mode = have_ref ? ref_mode : fu_mode_adjust(st.st_mode, is_dir, umask_value, change);
    int status = 0;
    if (chmod(name, new_mode) != 0) {
        if (verbosity != V_QUIET)
            fu_warn(errno, "changing permissions of %s", fu_quote(name));
        describe(name, st.st_mode, new_mode, 1);
        status = 1;
    } else {
        describe(name, st.st_mode, new_mode, 0);
        /* Bits a who-less clause asked for but the umask kept out. */
        if (diagnose_surprises) {
            mode_t naive = fu_mode_adjust(st.st_mode, is_dir, 0, change);
            if (new_mode & ~naive) {
                char a[11], b[11];
                fu_mode_string(new_mode, a);
                fu_mode_string(naive, b);
                if (verbosity != V_QUIET)
                    fu_warn(0, "%s: new permissions are %s, not %s", fu_quotef(name), a + 1, b + 1);
                status = 1;
            }
        }
    }
    if (recursive && is_dir)
        status |= change_tree(name);
    return status;
}

/* A mode given as an option ("-w", "-rwx", "-0"): all characters are mode characters. */
static int looks_like_mode(const char *a) {
    return a[0] == '-' && a[1] && strspn(a + 1, "rwxXstugoa,+-=01234567") == strlen(a + 1);
}

static const char usage[] =
    "Usage: %s [OPTION]... MODE[,MODE]... FILE...\n"
    "  or:  chmod [OPTION]... OCTAL-MODE FILE...\n"
    "  or:  chmod [OPTION]... --reference=RFILE FILE...\n"
    "Change the mode of each FILE to MODE.\n"
    "\n"
    "  -c, --changes          like verbose but report only when a change is made\n"
    "  -f, --silent, --quiet  suppress most error messages\n"
    "  -v, --verbose          output a diagnostic for every file processed\n"
    "      --reference=RFILE  use RFILE's mode instead of MODE values\n"
    "  -R, --recursive        change files and directories recursively\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    enum { REFERENCE = 256 };
    static const struct option longopts[] = {
        {"changes", no_argument, 0, 'c'},
        {"silent", no_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'f'},
        {"verbose", no_argument, 0, 'v'},
        {"recursive", no_argument, 0, 'R'},
        {"reference", required_argument, 0, REFERENCE},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    /* Take a mode that looks like an option ("chmod -w f") out of argv first. */
    char *mode_arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (looks_like_mode(argv[i])) {
            mode_arg = argv[i];
            diagnose_surprises = 1;
            memmove(&argv[i], &argv[i + 1], (size_t)(argc - i) * sizeof *argv);
            argc--;
            break;
        }
    }
    const char *ref = NULL;
    int c;
    while ((c = getopt_long(argc, argv, ":cfvR", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': verbosity = V_CHANGES; break;
        case 'f': verbosity = V_QUIET; break;
        case 'v': verbosity = V_HIGH; break;
        case 'R': recursive = 1; break;
        case REFERENCE: ref = optarg; break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    if (!mode_arg && !ref) {
        if (optind >= argc)
            fu_missing_operand(NULL, 1);
        mode_arg = argv[optind++];
    }
    if (optind >= argc) {
        if (mode_arg)
            fu_missing_operand(mode_arg, 1);
        fu_missing_operand(NULL, 1);
    }
    if (ref) {
        struct stat st;
        if (stat(ref, &st) != 0)
            fu_die(1, errno, "failed to get attributes of %s", fu_quote(ref));
        ref_mode = st.st_mode & 07777;
        have_ref = 1;
    } else {
        change = fu_mode_compile(mode_arg);
        if (!change) {
            fu_warn(0, "invalid mode: %s", fu_quote(mode_arg));
            fu_usage(1);
        }
        umask_value = umask(0);
        umask(umask_value);
    }
    int status = 0;
    for (int i = optind; i < argc; i++)
        status |= change_one(argv[i], 1);
    fu_flush_stdout(1);
    return status;
}
