/* fileutil: shared code of the file and system utilities (see fileutil.h). */
#include "fileutil.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

const char *fu_prog = "?";

void fu_init(char **argv) {
    if (argv[0] && argv[0][0])
        fu_prog = argv[0];
}

void fu_standard_options(int argc, char **argv, const char *usage, int stop_at_operand) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0 || (stop_at_operand && argv[i][0] != '-'))
            return;
        if (strcmp(argv[i], "--help") == 0) {
            const char *at = strstr(usage, "%s"); /* the program's name goes there */
            fwrite(usage, 1, (size_t)(at - usage), stdout);
            fputs(fu_prog, stdout);
            fputs(at + 2, stdout);
            exit(fflush(stdout) == 0 ? 0 : 1);
        }
        if (strcmp(argv[i], "--version") == 0) {
            char *base = fu_basename(fu_prog);
            printf("%s (PyOcclum userland)\n"
                   "Written for PyOcclum after GNU coreutils; see pyocclum/userland/README.md.\n",
                   base);
            free(base);
            exit(fflush(stdout) == 0 ? 0 : 1);
        }
    }
}

/* glibc's wording where it differs from musl's (the programs are compared
 * with GNU coreutils on glibc). */
static const struct {
    int e;
    const char *text;
} glibc_texts[] = {
    {EPERM, "Operation not permitted"},
    {ENOENT, "No such file or directory"},
    {ESRCH, "No such process"},
    {EINTR, "Interrupted system call"},
    {EIO, "Input/output error"},
    {EBADF, "Bad file descriptor"},
    {EAGAIN, "Resource temporarily unavailable"},
    {ENOMEM, "Cannot allocate memory"},
    {EACCES, "Permission denied"},
    {EFAULT, "Bad address"},
    {EBUSY, "Device or resource busy"},
    {EEXIST, "File exists"},
    {EXDEV, "Invalid cross-device link"},
    {ENOTDIR, "Not a directory"},
    {EISDIR, "Is a directory"},
    {EINVAL, "Invalid argument"},
    {EMFILE, "Too many open files"},
    {ENOTTY, "Inappropriate ioctl for device"},
    {EFBIG, "File too large"},
    {ENOSPC, "No space left on device"},
    {ESPIPE, "Illegal seek"},
    {EROFS, "Read-only file system"},
    {EMLINK, "Too many links"},
    {EPIPE, "Broken pipe"},
    {ERANGE, "Numerical result out of range"},
    {ENAMETOOLONG, "File name too long"},
    {ENOSYS, "Function not implemented"},
    {ENOTEMPTY, "Directory not empty"},
    {ELOOP, "Too many levels of symbolic links"},
    {ENOTSUP, "Operation not supported"},
    {ECHILD, "No child processes"},
    {E2BIG, "Argument list too long"},
    {ENOEXEC, "Exec format error"},
    {ETXTBSY, "Text file busy"},
    {EOVERFLOW, "Value too large for defined data type"},
    {EILSEQ, "Invalid or incomplete multibyte or wide character"},
#ifdef ENOTCAPABLE
    {ENOTCAPABLE, "Capabilities insufficient"},
#endif
};

const char *fu_strerror(int e) {
    for (size_t i = 0; i < sizeof glibc_texts / sizeof glibc_texts[0]; i++)
        if (glibc_texts[i].e == e)
            return glibc_texts[i].text;
    return strerror(e);
}

/* --- quoting (coreutils' shell-escape-always style, C locale) ------------- */

static int needs_escape(unsigned char c) { return c < 0x20 || c >= 0x7f; }

struct qbuf {
    char *p;
    size_t len, cap;
};

static void qput(struct qbuf *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = fu_xrealloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void qputs(struct qbuf *b, const char *s) { qput(b, s, strlen(s)); }

static void qescape(struct qbuf *b, unsigned char c) {
    static const char letters[] = "\aa\bb\ff\nn\rr\tt\vv";
    char tmp[8];
    for (const char *l = letters; *l; l += 2)
        if ((unsigned char)l[0] == c) {
            tmp[0] = '\\';
            tmp[1] = l[1];
            qput(b, tmp, 2);
            return;
        }
    snprintf(tmp, sizeof tmp, "\\%03o", c);
    qputs(b, tmp);
}

/* Can the character stand inside both C and shell double quotes unchanged (gnulib's
 * "c_and_shell_quote_compat")? '#' and '~' only at the start. */
static int dq_compatible(unsigned char c, size_t i) {
    if (needs_escape(c))
        return 0;
    if (c == '#' || c == '~')
        return i == 0;
    return !strchr("!\"$&()*;<=>[^`|?{}\\", c);
}

const char *fu_quote(const char *name) {
    static struct qbuf bufs[4];
    static int next;
    struct qbuf *b = &bufs[next];
    next = (next + 1) % 4;
    b->len = 0;
    qput(b, "", 0);

    const unsigned char *u = (const unsigned char *)name;
    size_t n = strlen(name);
    int has_quote = 0, compatible = 1;
    for (size_t i = 0; i < n; i++) {
        has_quote |= u[i] == '\'';
        compatible &= dq_compatible(u[i], i);
    }
    if (has_quote && compatible) { /* "it's" */
        qputs(b, "\"");
        qputs(b, name);
        qputs(b, "\"");
        return b->p;
    }
    /* Single quotes, with $'...' around the bytes that need an escape. gnulib writes
     * a name holding a quote in a second pass that starts in the escape state its
     * first pass ended in, so coreutils shows "a'<TAB>" with two extra quotes at the
     * start; kept, to print what coreutils prints. */
    int pending = has_quote && n > 0 && needs_escape(u[n - 1]);
    qputs(b, "'");
    for (size_t i = 0; i < n; i++) {
        if (needs_escape(u[i])) {
            if (!pending) {
                qputs(b, "'$'");
                pending = 1;
            }
            qescape(b, u[i]);
        } else if (u[i] == '\'') {
            qputs(b, "'\\''");
            pending = 0;
        } else {
            if (pending) {
                qputs(b, "''");
                pending = 0;
            }
            qput(b, (const char *)&u[i], 1);
        }
    }
    qputs(b, "'");
    return b->p;
}

const char *fu_quotef(const char *name) {
    if (*name && strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                              "0123456789_./-+:,@%^=") == strlen(name))
        return name;
    return fu_quote(name);
}

/* --- messages ------------------------------------------------------------- */

static void vwarn(int errnum, const char *fmt, va_list ap) {
    fflush(stdout);
    fprintf(stderr, "%s: ", fu_prog);
    vfprintf(stderr, fmt, ap);
    if (errnum)
        fprintf(stderr, ": %s", fu_strerror(errnum));
    fputc('\n', stderr);
}

void fu_warn(int errnum, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwarn(errnum, fmt, ap);
    va_end(ap);
}

void fu_die(int status, int errnum, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwarn(errnum, fmt, ap);
    va_end(ap);
    exit(status);
}

void fu_usage(int status) {
    fprintf(stderr, "Try '%s --help' for more information.\n", fu_prog);
    exit(status);
}

void fu_bad_option(char **argv, int c, int status) {
    extern int optind, optopt;
    const char *arg = optind > 0 ? argv[optind - 1] : NULL;
    int is_long = arg && arg[0] == '-' && arg[1] == '-';
    if (c == ':') {
        if (is_long)
            fu_warn(0, "option '%s' requires an argument", arg);
        else
            fu_warn(0, "option requires an argument -- '%c'", optopt);
    } else if (is_long) {
        fu_warn(0, "unrecognized option '%s'", arg);
    } else {
        fu_warn(0, "invalid option -- '%c'", optopt);
    }
    fu_usage(status);
}

void fu_missing_operand(const char *after, int status) {
    if (after)
        fu_warn(0, "missing operand after %s", fu_quote(after));
    else
        fu_warn(0, "missing operand");
    fu_usage(status);
}

void fu_flush_stdout(int status) {
    if (fflush(stdout) != 0 || ferror(stdout))
        fu_die(status, errno, "write error");
}

/* --- memory and paths ----------------------------------------------------- */

void *fu_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p)
        fu_die(1, 0, "memory exhausted");
    return p;
}

void *fu_xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p)
        fu_die(1, 0, "memory exhausted");
    return p;
}

char *fu_xstrdup(const char *s) {
    size_t n = strlen(s) + 1;
    return memcpy(fu_xmalloc(n), s, n);
}

char *fu_join(const char *dir, const char *name) {
    size_t d = strlen(dir), n = strlen(name);
    int slash = d > 0 && dir[d - 1] != '/';
    char *out = fu_xmalloc(d + slash + n + 1);
    memcpy(out, dir, d);
    if (slash)
        out[d] = '/';
    memcpy(out + d + slash, name, n + 1);
    return out;
}

char *fu_basename(const char *path) {
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/')
        start--;
    if (end == 1 && path[0] == '/')
        return fu_xstrdup("/");
    char *out = fu_xmalloc(end - start + 1);
    memcpy(out, path + start, end - start);
    out[end - start] = 0;
    return out;
}

/* --- modes ---------------------------------------------------------------- */

void fu_mode_string(mode_t m, char out[11]) {
    out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b'
           : S_ISFIFO(m) ? 'p' : S_ISSOCK(m) ? 's' : S_ISREG(m) ? '-' : '?';
    const char *rwx = "rwxrwxrwx";
    for (int i = 0; i < 9; i++)
        out[1 + i] = (m & (0400 >> i)) ? rwx[i] : '-';
    if (m & S_ISUID)
        out[3] = (m & S_IXUSR) ? 's' : 'S';
    if (m & S_ISGID)
        out[6] = (m & S_IXGRP) ? 's' : 'S';
    if (m & S_ISVTX)
        out[9] = (m & S_IXOTH) ? 't' : 'T';
    out[10] = 0;
}

const char *fu_file_type(mode_t m) {
    if (S_ISREG(m))
        return "regular file";
    if (S_ISDIR(m))
        return "directory";
    if (S_ISLNK(m))
        return "symbolic link";
    if (S_ISCHR(m))
        return "character special file";
    if (S_ISBLK(m))
        return "block special file";
    if (S_ISFIFO(m))
        return "fifo";
    if (S_ISSOCK(m))
        return "socket";
    return "weird file";
}

const char *fu_user_name(uid_t uid) {
    static char buf[24];
    if (uid == 0)
        return "root";
    snprintf(buf, sizeof buf, "%u", (unsigned)uid);
    return buf;
}

const char *fu_group_name(gid_t gid) {
    static char buf[24];
    if (gid == 0)
        return "root";
    snprintf(buf, sizeof buf, "%u", (unsigned)gid);
    return buf;
}

/* As coreutils' modechange.c: a list of clauses, each an operation on the
 * bits of the "affected" classes (0: every class, masked by the umask). */
#define ALL_BITS 07777
enum { FLAG_ORDINARY, FLAG_X_IF_ANY_X, FLAG_COPY };

struct fu_mode_change {
    char op;            /* '=', '+', '-'; 0 ends the list */
    int flag;           /* FLAG_* */
    mode_t affected;    /* who; 0 = every class, masked by the umask */
    mode_t value;       /* the bits (for FLAG_COPY: the class to copy from) */
    mode_t mentioned;   /* bits the clause names (a directory keeps setuid/gid unless named) */
};

struct fu_mode_change *fu_mode_compile(const char *spec) {
    size_t n = 1;
    for (const char *s = spec; *s; s++)
        n += *s == '=' || *s == '+' || *s == '-' || *s == ',';
    struct fu_mode_change *list = fu_xmalloc((n + 1) * sizeof *list);

    if (*spec >= '0' && *spec <= '7') {
        mode_t value = 0;
        const char *s = spec;
        for (; *s >= '0' && *s <= '7'; s++) {
            value = value * 8 + (mode_t)(*s - '0');
            if (value > ALL_BITS) {
                free(list);
                return NULL;
            }
        }
        if (*s) {
            free(list);
            return NULL;
        }
        list[0] = (struct fu_mode_change){'=', FLAG_ORDINARY, ALL_BITS, value,
            (s - spec < 5) ? (value & (S_ISUID | S_ISGID)) | S_ISVTX | 0777 : ALL_BITS};
        list[1].op = 0;
        return list;
    }

    size_t used = 0;
    const char *s = spec;
    for (;;) {
        mode_t affected = 0;
        for (;; s++) {
            if (*s == 'u')
                affected |= S_ISUID | S_IRWXU;
            else if (*s == 'g')
                affected |= S_ISGID | S_IRWXG;
            else if (*s == 'o')
                affected |= S_ISVTX | S_IRWXO;
            else if (*s == 'a')
                affected |= ALL_BITS;
            else
                break;
        }
        if (*s != '=' && *s != '+' && *s != '-')
            goto bad;
        while (*s == '=' || *s == '+' || *s == '-') {
            char op = *s++;
            mode_t value = 0;
            int flag = FLAG_ORDINARY;
            if (!affected && *s >= '0' && *s <= '7') {
                /* "=755", "-0": an octal value after an operator, for every class. */
                for (; *s >= '0' && *s <= '7'; s++) {
                    value = value * 8 + (mode_t)(*s - '0');
                    if (value > ALL_BITS)
                        goto bad;
                }
                if (*s && *s != ',')
                    goto bad;
                /* Unlike a plain octal mode, every bit counts as named (as coreutils). */
                list[used++] = (struct fu_mode_change){op, FLAG_ORDINARY, ALL_BITS, value, ALL_BITS};
                break;
            }
            if (*s == 'u' || *s == 'g' || *s == 'o') {
                value = *s == 'u' ? S_IRWXU : *s == 'g' ? S_IRWXG : S_IRWXO;
                flag = FLAG_COPY;
                s++;
            } else {
                for (;; s++) {
                    if (*s == 'r')
                        value |= S_IRUSR | S_IRGRP | S_IROTH;
                    else if (*s == 'w')
                        value |= S_IWUSR | S_IWGRP | S_IWOTH;
                    else if (*s == 'x')
                        value |= S_IXUSR | S_IXGRP | S_IXOTH;
                    else if (*s == 'X')
                        flag = FLAG_X_IF_ANY_X;
                    else if (*s == 's')
                        value |= S_ISUID | S_ISGID;
                    else if (*s == 't')
                        value |= S_ISVTX;
                    else
                        break;
                }
            }
            /* "mentioned": the bits the clause names (gnulib's modechange.c), so that
             * "chmod a=rwx dir" keeps a directory's setuid/setgid bits. */
            list[used++] = (struct fu_mode_change){
                op, flag, affected, flag == FLAG_COPY ? value : value & (affected ? affected : ALL_BITS),
                affected ? affected & value : value};
        }
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == 0)
            break;
        goto bad;
    }
    list[used].op = 0;
    return list;
bad:
    free(list);
    return NULL;
}

mode_t fu_mode_adjust(mode_t old, int is_dir, mode_t umask_value,
                      const struct fu_mode_change *c) {
    mode_t mode = old & ALL_BITS;
    for (; c->op; c++) {
        mode_t omit = is_dir ? (S_ISUID | S_ISGID) & ~c->mentioned : 0;
        mode_t value = c->value;
        if (c->flag == FLAG_COPY) {
            mode_t bits = mode & value;
            /* The class's r/w/x, replicated to every class. */
            mode_t r = bits & (S_IRUSR | S_IRGRP | S_IROTH);
            mode_t w = bits & (S_IWUSR | S_IWGRP | S_IWOTH);
            mode_t x = bits & (S_IXUSR | S_IXGRP | S_IXOTH);
            value = (r ? S_IRUSR | S_IRGRP | S_IROTH : 0) | (w ? S_IWUSR | S_IWGRP | S_IWOTH : 0) |
                    (x ? S_IXUSR | S_IXGRP | S_IXOTH : 0);
        } else if (c->flag == FLAG_X_IF_ANY_X) {
            if ((mode & (S_IXUSR | S_IXGRP | S_IXOTH)) || is_dir)
                value |= S_IXUSR | S_IXGRP | S_IXOTH;
        }
        value &= (c->affected ? c->affected : ~umask_value) & ~omit;
        if (c->op == '=') {
            mode_t preserved = (c->affected ? ~c->affected : 0) | omit;
            mode = (mode & preserved) | value;
        } else if (c->op == '+') {
            mode |= value;
        } else {
            mode &= ~value;
        }
    }
    return mode & ALL_BITS;
}

/* --- data and numbers ------------------------------------------------------ */

int fu_copy_data(int src, int dst) {
    static char buf[64 * 1024];
    for (;;) {
        ssize_t n = read(src, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        if (n == 0)
            return 0;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(dst, buf + off, (size_t)(n - off));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return errno;
            }
            off += w;
        }
    }
}

int fu_parse_uint(const char *s, uintmax_t *out) {
    if (!*s)
        return -1;
    uintmax_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        uintmax_t next = v * 10 + (uintmax_t)(*s - '0');
        if (next / 10 != v)
            return -1;
        v = next;
    }
    *out = v;
    return 0;
}

int fu_each_operand(int n, char **ops, const char *target_dir, int no_target_dir,
                    int (*each)(const char *src, const char *dst, void *ctx), void *ctx) {
    if (n == 0) {
        fu_warn(0, "missing file operand");
        fu_usage(1);
    }
    if (n == 1 && !target_dir) {
        fu_warn(0, "missing destination file operand after %s", fu_quote(ops[0]));
        fu_usage(1);
    }
    int status = 0;
    struct stat st;
    const char *dir = target_dir;
    int count = n;
    if (!dir && !no_target_dir) {
        if (stat(ops[n - 1], &st) == 0 && S_ISDIR(st.st_mode)) {
            dir = ops[n - 1];
            count = n - 1;
        } else if (n > 2) {
            int e = stat(ops[n - 1], &st) != 0 ? errno : ENOTDIR;
            fu_die(1, e, "target %s", fu_quote(ops[n - 1]));
        }
    } else if (no_target_dir && n > 2) {
        fu_warn(0, "extra operand %s", fu_quote(ops[2]));
        fu_usage(1);
    }
    if (dir) {
        if (target_dir && stat(target_dir, &st) != 0)
            fu_die(1, errno, "target directory %s", fu_quote(target_dir));
        if (target_dir && !S_ISDIR(st.st_mode))
            fu_die(1, ENOTDIR, "target directory %s", fu_quote(target_dir));
        for (int i = 0; i < count; i++) {
            char *base = fu_basename(ops[i]);
            char *dst = fu_join(dir, base);
            status |= each(ops[i], dst, ctx);
            free(dst);
            free(base);
        }
    } else {
        status = each(ops[0], ops[1], ctx);
    }
    return status;
}

char **fu_dir_names(const char *dir, size_t *n) {
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = fu_xrealloc(NULL, sizeof *names); /* not NULL, even when empty */
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = fu_xrealloc(names, (*n + 1) * sizeof *names);
        names[(*n)++] = fu_xstrdup(e->d_name);
    }
    closedir(d);
    return names;
}
