/* ln: make links (GNU coreutils' ln: -s, -r, -f, -n, -v, -T, -t DIR; the
 * forms TARGET LINK, TARGET, and TARGET... DIRECTORY). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"

static int symbolic, force, no_deref, verbose, relative;

/* PATH made absolute, "." and ".." resolved and the symlinks of its existing
 * components followed; missing components are kept as they are (coreutils'
 * canonicalize_filename_mode with CAN_MISSING). malloc'd; NULL on a loop. */
static char *canonical(const char *path) {
    char *rest;
    if (path[0] == '/') {
        rest = fu_xstrdup(path);
    } else {
        char *cwd = getcwd(NULL, 0);
        if (!cwd)
            return NULL;
        rest = fu_join(cwd, path);
        free(cwd);
    }
    char *out = fu_xstrdup("");
    int links = 0;
    char *p = rest;
    while (*p) {
        while (*p == '/')
            p++;
        if (!*p)
            break;
        size_t n = strcspn(p, "/");
        char *part = fu_xmalloc(n + 1);
        memcpy(part, p, n);
        part[n] = 0;
        p += n;
        if (strcmp(part, ".") == 0) {
            free(part);
            continue;
        }
        if (strcmp(part, "..") == 0) {
            char *slash = strrchr(out, '/');
            if (slash)
                *slash = 0;
            free(part);
            continue;
        }
        size_t len = strlen(out);
        out = fu_xrealloc(out, len + n + 2);
        out[len] = '/';
        strcpy(out + len + 1, part);
        free(part);
        char target[4097];
        ssize_t t = readlink(out, target, sizeof target - 1);
        if (t < 0)
            continue; /* not a link, or missing: kept as it is */
        if (++links > 40) {
            free(out);
            free(rest);
            return NULL;
        }
        target[t] = 0;
        out[len] = 0; /* the link's directory */
        char *again = fu_xmalloc(strlen(target) + strlen(p) + 2);
        sprintf(again, "%s%s", target, p);
        if (target[0] == '/')
            out[0] = 0;
        free(rest);
        rest = again;
        p = rest;
    }
    free(rest);
    if (!*out) {
        free(out);
        out = fu_xstrdup("/");
    }
    return out;
}

/* The components of an absolute path: a malloc'd copy cut at the slashes. */
static size_t split(char *path, char **parts, size_t max) {
    size_t n = 0;
    for (char *tok = strtok(path, "/"); tok && n < max; tok = strtok(NULL, "/"))
        parts[n++] = tok;
    return n;
}

/* ln -r: TARGET relative to the directory LINK will be in. malloc'd. */
static char *relative_target(const char *target, const char *link) {
    char *dir_of_link = fu_xstrdup(link);
    char *slash = strrchr(dir_of_link, '/');
    if (slash == dir_of_link)
        slash[1] = 0;
    else if (slash)
        *slash = 0;
    else
        strcpy(dir_of_link, ".");
    char *from = canonical(target), *dir = canonical(dir_of_link);
    free(dir_of_link);
    if (!from || !dir) {
        free(from);
        free(dir);
        return fu_xstrdup(target);
    }
    static char *a[2048], *b[2048];
    size_t na = split(from, a, 2048), nb = split(dir, b, 2048), c = 0;
    while (c < na && c < nb && strcmp(a[c], b[c]) == 0)
        c++;
    size_t len = 2;
    for (size_t i = c; i < na; i++)
        len += strlen(a[i]) + 1;
    char *out = fu_xmalloc(len + 3 * (nb - c));
    out[0] = 0;
    for (size_t i = c; i < nb; i++)
        strcat(out, i + 1 < nb || c < na ? "../" : "..");
    for (size_t i = c; i < na; i++) {
        strcat(out, a[i]);
        if (i + 1 < na)
            strcat(out, "/");
    }
    if (!*out)
        strcpy(out, ".");
    free(from);
    free(dir);
    return out;
}

static int is_dir(const char *path, int follow) {
    struct stat st;
    return (follow ? stat(path, &st) : lstat(path, &st)) == 0 && S_ISDIR(st.st_mode);
}

static int make_link(const char *target, const char *name) {
    struct stat src, dst;
    if (!symbolic) {
        if (lstat(target, &src) != 0) {
            fu_warn(errno, "failed to access %s", fu_quote(target));
            return 1;
        }
        if (S_ISDIR(src.st_mode)) {
            fu_warn(0, "%s: hard link not allowed for directory", fu_quotef(target));
            return 1;
        }
    }
    if (force && lstat(name, &dst) == 0) {
        if (!symbolic && src.st_dev == dst.st_dev && src.st_ino == dst.st_ino) {
            fu_warn(0, "%s and %s are the same file", fu_quote(target), fu_quote(name));
            return 1;
        }
        if (S_ISDIR(dst.st_mode)) {
            fu_warn(0, "%s: cannot overwrite directory", fu_quote(name));
            return 1;
        }
        if (unlink(name) != 0 && errno != ENOENT) {
            fu_warn(errno, "cannot remove %s", fu_quote(name));
            return 1;
        }
    }
    char *rel = relative ? relative_target(target, name) : NULL;
    if (rel)
        target = rel;
    int r = symbolic ? symlink(target, name) : link(target, name);
    if (r != 0) {
        int e = errno;
        if (symbolic && (!*target || e == ENAMETOOLONG))
            fu_warn(e, "failed to create symbolic link %s -> %s", fu_quote(name), fu_quote(target));
        else if (symbolic)
            fu_warn(e, "failed to create symbolic link %s", fu_quote(name));
        else if (e == EEXIST || e == ENOSPC || e == EROFS)
            fu_warn(e, "failed to create hard link %s", fu_quote(name));
        else
            fu_warn(e, "failed to create hard link %s => %s", fu_quote(name), fu_quote(target));
        free(rel);
        return 1;
    }
    if (verbose)
        printf("%s %s %s\n", fu_quote(name), symbolic ? "->" : "=>", fu_quote(target));
    free(rel);
    return 0;
}

static const char usage[] =
    "Usage: %s [OPTION]... [-T] TARGET LINK_NAME\n"
    "  or:  ln [OPTION]... TARGET\n"
    "  or:  ln [OPTION]... TARGET... DIRECTORY\n"
    "  or:  ln [OPTION]... -t DIRECTORY TARGET...\n"
    "Create links; hard links by default, symbolic links with --symbolic.\n"
    "\n"
    "  -f, --force                 remove existing destination files\n"
    "  -n, --no-dereference        treat LINK_NAME as a normal file if it is a symbolic link to a directory\n"
    "  -r, --relative              with -s, create links relative to link location\n"
    "  -s, --symbolic              make symbolic links instead of hard links\n"
    "  -t, --target-directory=DIRECTORY  specify the DIRECTORY in which to create the links\n"
    "  -T, --no-target-directory   treat LINK_NAME as a normal file always\n"
    "  -v, --verbose               print name of each linked file\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"symbolic", no_argument, 0, 's'},
        {"force", no_argument, 0, 'f'},
        {"no-dereference", no_argument, 0, 'n'},
        {"verbose", no_argument, 0, 'v'},
        {"no-target-directory", no_argument, 0, 'T'},
        {"target-directory", required_argument, 0, 't'},
        {"relative", no_argument, 0, 'r'},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    int no_target_dir = 0, c;
    const char *target_dir = NULL;
    while ((c = getopt_long(argc, argv, ":sfnrvTt:", longopts, NULL)) != -1) {
        switch (c) {
        case 's': symbolic = 1; break;
        case 'f': force = 1; break;
        case 'n': no_deref = 1; break;
        case 'v': verbose = 1; break;
        case 'r': relative = 1; break;
        case 'T': no_target_dir = 1; break;
        case 't': target_dir = optarg; break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    if (relative && !symbolic)
        fu_die(1, 0, "cannot do --relative without --symbolic");
    int n = argc - optind;
    char **ops = argv + optind;
    if (n == 0) {
        fu_warn(0, "missing file operand");
        fu_usage(1);
    }
    if (target_dir && no_target_dir)
        fu_die(1, 0, "cannot combine --target-directory and --no-target-directory");
    if (no_target_dir && n != 2) {
        if (n < 2)
            fu_warn(0, "missing destination file operand after %s", fu_quote(ops[0]));
        else
            fu_warn(0, "extra operand %s", fu_quote(ops[2]));
        fu_usage(1);
    }
    int status = 0;
    const char *dir = target_dir;
    int count = n;
    if (!dir && !no_target_dir) {
        if (n == 1) {
            dir = ".";
        } else if (is_dir(ops[n - 1], !no_deref)) {
            dir = ops[n - 1];
            count = n - 1;
        } else if (n > 2) {
            struct stat st;
            int e = stat(ops[n - 1], &st) != 0 ? errno : ENOTDIR;
            fu_die(1, e, "target %s", fu_quote(ops[n - 1]));
        }
    }
    if (dir) {
        struct stat st;
        if (target_dir && stat(target_dir, &st) != 0)
            fu_die(1, errno, "failed to access %s", fu_quote(target_dir));
        if (target_dir && !S_ISDIR(st.st_mode))
            fu_die(1, 0, "target %s is not a directory", fu_quote(target_dir));
        for (int i = 0; i < count; i++) {
            char *base = fu_basename(ops[i]);
            char *link = fu_join(dir, base);
            status |= make_link(ops[i], link);
            free(link);
            free(base);
        }
    } else {
        status = make_link(ops[0], ops[1]);
    }
    fu_flush_stdout(1);
    return status;
}
