/* fileutil: copying and removing trees (cp, mv); see fileutil.h. */
#include "fileutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int fu_yes(const char *fmt, ...) {
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", fu_prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("? ", stderr);
    fflush(stderr);
    char line[256];
    if (!fgets(line, sizeof line, stdin))
        return 0;
    return line[0] == 'y' || line[0] == 'Y';
}

int fu_newer(const struct stat *a, const struct stat *b) {
    if (a->st_mtim.tv_sec != b->st_mtim.tv_sec)
        return a->st_mtim.tv_sec > b->st_mtim.tv_sec;
    return a->st_mtim.tv_nsec > b->st_mtim.tv_nsec;
}

int fu_is_inside(const char *dir, const char *path) {
    struct stat d, p;
    if (stat(dir, &d) != 0)
        return 0;
    char *cur = fu_xstrdup(path);
    int inside = 0;
    for (int depth = 0; depth < 256; depth++) {
        if (stat(cur, &p) != 0)
            break;
        if (p.st_dev == d.st_dev && p.st_ino == d.st_ino) {
            inside = 1;
            break;
        }
        char *up = fu_join(cur, "..");
        struct stat u;
        if (stat(up, &u) != 0 || (u.st_dev == p.st_dev && u.st_ino == p.st_ino)) {
            free(up);
            break; /* reached the root */
        }
        free(cur);
        cur = up;
    }
    free(cur);
    return inside;
}

static void set_times(const char *dst, const struct stat *st, int follow) {
    struct timespec t[2] = {st->st_atim, st->st_mtim};
    utimensat(AT_FDCWD, dst, t, follow ? 0 : AT_SYMLINK_NOFOLLOW);
}

static int copy_file(const char *src, const char *dst, const struct stat *st,
                     const struct fu_copy_options *o) {
    int in = open(src, O_RDONLY);
    if (in < 0) {
        fu_warn(errno, "cannot open %s for reading", fu_quote(src));
        return 1;
    }
    struct stat dst_st;
    int existed = stat(dst, &dst_st) == 0;
    size_t len = strlen(dst);
    if (!existed && len > 0 && dst[len - 1] == '/') {
        /* "cp f new/": a file cannot be created by a name that says "directory". */
        fu_warn(ENOTDIR, "cannot create regular file %s", fu_quote(dst));
        close(in);
        return 1;
    }
    int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, st->st_mode & 07777);
    if (out < 0 && o->force && existed) {
        unlink(dst);
        existed = 0;
        out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, st->st_mode & 07777);
    }
    if (out < 0) {
        int e = errno;
        if (existed)
            fu_warn(e, "cannot open %s for writing", fu_quote(dst));
        else
            fu_warn(e, "cannot create regular file %s", fu_quote(dst));
        close(in);
        return 1;
    }
    int e = fu_copy_data(in, out);
    close(in);
    if (e) {
        fu_warn(e, "error copying %s to %s", fu_quote(src), fu_quote(dst));
        close(out);
        return 1;
    }
    /* A new file gets the source's mode less the umask (the kernel creates
     * files 0666 & ~umask whatever open's mode); -p and mv keep it exactly. */
    if (o->preserve_mode || !existed) {
        mode_t mask = umask(0);
        umask(mask);
        mode_t mode = st->st_mode & (o->preserve_mode ? 07777 : 0777 & ~mask);
        if (fchmod(out, mode) != 0 && o->preserve_mode) {
            fu_warn(errno, "preserving permissions for %s", fu_quote(dst));
            close(out);
            return 1;
        }
    }
    if (close(out) != 0) {
        fu_warn(errno, "failed to close %s", fu_quote(dst));
        return 1;
    }
    if (o->preserve_times)
        set_times(dst, st, 1);
    return 0;
}

static int copy_dir(const char *src, const char *dst, const struct stat *st,
                    const struct fu_copy_options *o) {
    struct stat dst_st;
    int created = 0;
    if (stat(dst, &dst_st) != 0) {
        if (mkdir(dst, 0700) != 0) {
            fu_warn(errno, "cannot create directory %s", fu_quote(dst));
            return 1;
        }
        created = 1;
    }
    if (o->verbose && created && o->move)
        printf("created directory %s\n", fu_quote(dst));
    else if (o->verbose && created)
        printf("%s -> %s\n", fu_quote(src), fu_quote(dst));
    size_t n;
    char **names = fu_dir_names(src, &n);
    if (!names) {
        fu_warn(errno, "cannot access %s", fu_quote(src));
        return 1;
    }
    int status = 0;
    struct fu_copy_options child = *o;
    child.deref_args = 0;
    for (size_t i = 0; i < n; i++) {
        char *s = fu_join(src, names[i]), *t = fu_join(dst, names[i]);
        status |= fu_copy(s, t, &child);
        free(s);
        free(t);
        free(names[i]);
    }
    free(names);
    if (created || o->preserve_mode) {
        mode_t mask = umask(0);
        umask(mask);
        mode_t mode = st->st_mode & (o->preserve_mode ? 07777 : 0777 & ~mask);
        chmod(dst, mode);
    }
    if (o->preserve_times)
        set_times(dst, st, 1);
    return status;
}

int fu_copy(const char *src, const char *dst, const struct fu_copy_options *o) {
    struct stat st, dst_st;
    int follow = o->dereference || o->deref_args;
    if ((follow ? stat(src, &st) : lstat(src, &st)) != 0) {
        fu_warn(errno, "cannot stat %s", fu_quote(src));
        return 1;
    }
    int dst_exists = lstat(dst, &dst_st) == 0;
    if (!dst_exists && errno != ENOENT) {
        fu_warn(errno, "cannot stat %s", fu_quote(dst));
        return 1;
    }
    if (dst_exists) {
        struct stat followed;
        if (stat(dst, &followed) == 0 && S_ISDIR(followed.st_mode) && !S_ISLNK(dst_st.st_mode))
            dst_st = followed;
        if (dst_st.st_dev == st.st_dev && dst_st.st_ino == st.st_ino) {
            fu_warn(0, "%s and %s are the same file", fu_quote(src), fu_quote(dst));
            return 1;
        }
        if (S_ISDIR(st.st_mode) && !S_ISDIR(dst_st.st_mode)) {
            fu_warn(0, "cannot overwrite non-directory %s with directory %s", fu_quote(dst),
                    fu_quote(src));
            return 1;
        }
        if (!S_ISDIR(st.st_mode) && S_ISDIR(dst_st.st_mode)) {
            fu_warn(0, "cannot overwrite directory %s with non-directory", fu_quote(dst));
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            if (o->no_clobber || (o->update && !fu_newer(&st, &dst_st)))
                return 0;
            if (o->interactive && !fu_yes("overwrite %s", fu_quote(dst)))
                return 0;
        }
    }
    if (S_ISDIR(st.st_mode)) {
        if (!o->recursive) {
            fu_warn(0, "-r not specified; omitting directory %s", fu_quote(src));
            return 1;
        }
        if (fu_is_inside(src, dst) || (!dst_exists && strncmp(dst, src, strlen(src)) == 0 &&
                                       dst[strlen(src)] == '/')) {
            fu_warn(0, "cannot copy a directory, %s, into itself, %s", fu_quote(src),
                    fu_quote(dst));
            return 1;
        }
        return copy_dir(src, dst, &st, o);
    }
    int status;
    if (S_ISLNK(st.st_mode)) {
        char target[4097];
        ssize_t n = readlink(src, target, sizeof target - 1);
        if (n < 0) {
            fu_warn(errno, "cannot read symbolic link %s", fu_quote(src));
            return 1;
        }
        target[n] = 0;
        if (dst_exists)
            unlink(dst);
        if (symlink(target, dst) != 0) {
            fu_warn(errno, "cannot create symbolic link %s", fu_quote(dst));
            return 1;
        }
        status = 0;
    } else if (S_ISREG(st.st_mode)) {
        status = copy_file(src, dst, &st, o);
    } else {
        fu_warn(0, "cannot copy special file %s", fu_quote(src));
        return 1;
    }
    if (status == 0 && o->verbose)
        printf("%s%s -> %s\n", o->move ? "copied " : "", fu_quote(src), fu_quote(dst));
    return status;
}

int fu_remove_tree(const char *path, int verbose) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        fu_warn(errno, "cannot remove %s", fu_quote(path));
        return 1;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (unlink(path) != 0) {
            fu_warn(errno, "cannot remove %s", fu_quote(path));
            return 1;
        }
        if (verbose)
            printf("removed %s\n", fu_quote(path));
        return 0;
    }
    size_t n;
    char **names = fu_dir_names(path, &n);
    if (!names) {
        fu_warn(errno, "cannot remove %s", fu_quote(path));
        return 1;
    }
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        char *child = fu_join(path, names[i]);
        status |= fu_remove_tree(child, verbose);
        free(child);
        free(names[i]);
    }
    free(names);
    if (status == 0 && rmdir(path) != 0) {
        fu_warn(errno, "cannot remove %s", fu_quote(path));
        return 1;
    }
    if (status == 0 && verbose)
        printf("removed directory %s\n", fu_quote(path));
    return status;
}
