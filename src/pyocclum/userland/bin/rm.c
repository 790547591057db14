/* rm: remove files and directories (GNU coreutils' rm: -f, -i, -r/-R, -d, -v,
 * --preserve-root, --no-preserve-root). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"

static int force, interactive, recursive, dirs, verbose, preserve_root = 1;

static int remove_path(const char *path);

/* -i: ask before removing (what coreutils asks, by file type). */
static int confirm(const char *what, const char *path) {
    return !interactive || fu_yes("%s %s", what, fu_quote(path));
}

static const char *kind(const struct stat *st) {
    if (S_ISDIR(st->st_mode))
        return "remove directory";
    if (S_ISLNK(st->st_mode))
        return "remove symbolic link";
    if (S_ISREG(st->st_mode))
        return st->st_size ? "remove regular file" : "remove regular empty file";
    return "remove file";
}

static int is_empty_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* Remove everything in DIR, then DIR. */
static int remove_tree(const char *dir) {
    if (interactive && !is_empty_dir(dir) && !confirm("descend into directory", dir))
        return 0;
    size_t n;
    char **names = fu_dir_names(dir, &n);
    if (!names) {
        fu_warn(errno, "cannot remove %s", fu_quote(dir));
        return 1;
    }
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        char *child = fu_join(dir, names[i]);
        status |= remove_path(child);
        free(child);
        free(names[i]);
    }
    free(names);
    if (status)
        return status;
    if (!confirm("remove directory", dir))
        return 0;
    if (rmdir(dir) != 0) {
        fu_warn(errno, "cannot remove %s", fu_quote(dir));
        return 1;
    }
    if (verbose)
        printf("removed directory %s\n", fu_quote(dir));
    return 0;
}

static int remove_path(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (force && errno == ENOENT)
            return 0;
        fu_warn(errno, "cannot remove %s", fu_quote(path));
        return 1;
    }
    if (S_ISDIR(st.st_mode)) {
        if (recursive)
            return remove_tree(path);
        if (!dirs) {
            fu_warn(EISDIR, "cannot remove %s", fu_quote(path));
            return 1;
        }
        if (!is_empty_dir(path)) {
            fu_warn(ENOTEMPTY, "cannot remove %s", fu_quote(path));
            return 1;
        }
        if (!confirm("remove directory", path))
            return 0;
        if (rmdir(path) != 0) {
            fu_warn(errno, "cannot remove %s", fu_quote(path));
            return 1;
        }
        if (verbose)
            printf("removed directory %s\n", fu_quote(path));
        return 0;
    }
    if (!confirm(kind(&st), path))
        return 0;
    if (unlink(path) != 0) {
        fu_warn(errno, "cannot remove %s", fu_quote(path));
        return 1;
    }
    if (verbose)
        printf("removed %s\n", fu_quote(path));
    return 0;
}

/* "." or ".." as the last component (coreutils refuses them). */
static int dot_or_dotdot(const char *path) {
    char *base = fu_basename(path);
    int r = strcmp(base, ".") == 0 || strcmp(base, "..") == 0;
    free(base);
    return r;
}

static const char usage[] =
    "Usage: %s [OPTION]... [FILE]...\n"
    "Remove (unlink) the FILE(s).\n"
    "\n"
    "  -f, --force           ignore nonexistent files and arguments, never prompt\n"
    "  -i                    prompt before every removal\n"
    "  -r, -R, --recursive   remove directories and their contents recursively\n"
    "  -d, --dir             remove empty directories\n"
    "  -v, --verbose         explain what is being done\n"
    "      --no-preserve-root  do not treat '/' specially\n"
    "      --preserve-root   do not remove '/' (default)\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    enum { NO_PRESERVE = 256, PRESERVE };
    static const struct option longopts[] = {
        {"force", no_argument, 0, 'f'},
        {"recursive", no_argument, 0, 'r'},
        {"dir", no_argument, 0, 'd'},
        {"verbose", no_argument, 0, 'v'},
        {"no-preserve-root", no_argument, 0, NO_PRESERVE},
        {"preserve-root", no_argument, 0, PRESERVE},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":frRdvi", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': force = 1; interactive = 0; break;
        case 'r':
        case 'R': recursive = 1; break;
        case 'd': dirs = 1; break;
        case 'v': verbose = 1; break;
        case 'i': interactive = 1; force = 0; break;
        case NO_PRESERVE: preserve_root = 0; break;
        case PRESERVE: preserve_root = 1; break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    if (optind >= argc) {
        if (force)
            return 0;
        fu_missing_operand(NULL, 1);
    }
    int status = 0;
    for (int i = optind; i < argc; i++) {
        const char *path = argv[i];
        struct stat st;
        if (lstat(path, &st) != 0) {
            if (!(force && errno == ENOENT)) {
                fu_warn(errno, "cannot remove %s", fu_quote(path));
                status = 1;
            }
            continue;
        }
        if (recursive && dot_or_dotdot(path)) {
            fu_warn(0, "refusing to remove '.' or '..' directory: skipping %s", fu_quote(path));
            status = 1;
            continue;
        }
        if (recursive && preserve_root && path[strspn(path, "/")] == 0 && path[0] == '/') {
            fu_warn(0, "it is dangerous to operate recursively on %s", fu_quote(path));
            fu_warn(0, "use --no-preserve-root to override this failsafe");
            status = 1;
            continue;
        }
        status |= remove_path(path);
        fflush(stdout);
    }
    fu_flush_stdout(1);
    return status;
}
