/* fileutil: shared code of the file and system utilities (see fileutil.h). */
#include "fileutil.h"

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

/* --- dates ------------------------------------------------------------------ */

long long fu_timegm(int year, int mon, int mday, int hour, int min, int sec) {
    /* Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm). */
    long long y = year - (mon <= 2);
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (mon + (mon > 2 ? -3 : 9)) + 2) / 5 + mday - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long long days = era * 146097 + doe - 719468;
    return days * 86400 + hour * 3600 + min * 60 + sec;
}

/* Reads exactly N digits at *s into *out. */
static int digits(const char **s, int n, int *out) {
    int v = 0;
    for (int i = 0; i < n; i++) {
        if ((*s)[i] < '0' || (*s)[i] > '9')
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return 0;
}

/* ".123" -> nanoseconds (extra digits are truncated, as coreutils does). */
static long fraction(const char **s) {
    long ns = 0;
    int n = 0;
    if (**s != '.' && **s != ',')
        return 0;
    (*s)++;
    for (; **s >= '0' && **s <= '9'; (*s)++)
        if (n < 9) {
            ns = ns * 10 + (**s - '0');
            n++;
        }
    for (; n < 9; n++)
        ns *= 10;
    return ns;
}

/* A relative item's unit: 0 seconds-based (*mult seconds), 1 months, 2 years; -1 unknown. */
static int unit_of(const char *w, size_t n, long long *mult) {
    static const struct {
        const char *name;
        int kind;
        long long mult;
    } units[] = {
        {"year", 2, 1},      {"month", 1, 1},   {"fortnight", 0, 14 * 86400},
        {"week", 0, 7 * 86400}, {"day", 0, 86400}, {"hour", 0, 3600},
        {"minute", 0, 60},   {"min", 0, 60},    {"second", 0, 1}, {"sec", 0, 1},
    };
    if (n > 1 && (w[n - 1] == 's' || w[n - 1] == 'S'))
        n--; /* plural */
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == n && strncasecmp(w, units[i].name, n) == 0) {
            *mult = units[i].mult;
            return units[i].kind;
        }
    return -1;
}

static int word_is(const char *w, size_t n, const char *word) {
    return strlen(word) == n && strncasecmp(w, word, n) == 0;
}

int fu_parse_date(const char *s, struct timespec *out) {
    while (*s == ' ')
        s++;
    if (*s == '@') {
        s++;
        int neg = *s == '-';
        if (*s == '-' || *s == '+')
            s++;
        if (*s < '0' || *s > '9')
            return -1;
        long long sec = 0;
        for (; *s >= '0' && *s <= '9'; s++)
            sec = sec * 10 + (*s - '0');
        long ns = fraction(&s);
        while (*s == ' ')
            s++;
        if (*s)
            return -1; /* GNU takes nothing after "@SECONDS" */
        if (neg) {
            sec = -sec;
            if (ns) {
                sec -= 1;
                ns = 1000000000 - ns;
            }
        }
        out->tv_sec = (time_t)sec;
        out->tv_nsec = ns;
        return 0;
    }

    /* An optional calendar date and time of day ... */
    int have_date = 0;
    long long base = 0;
    long ns = 0;
    int time_given = 0;
    if (s[0] >= '0' && s[0] <= '9' && s[4] == '-') {
        int year, mon, mday, hour = 0, min = 0, sec = 0;
        if (digits(&s, 4, &year) || *s++ != '-' || digits(&s, 2, &mon) || *s++ != '-' ||
            digits(&s, 2, &mday))
            return -1;
        if (*s == ' ' || *s == 'T') {
            const char *t = s + 1;
            while (*t == ' ')
                t++;
            /* "HH:" starts a time; anything else (a relative item) is left for below. */
            if (t[0] >= '0' && t[0] <= '9' && t[1] >= '0' && t[1] <= '9' && t[2] == ':') {
                s = t;
                time_given = 1;
                if (digits(&s, 2, &hour) || *s++ != ':' || digits(&s, 2, &min))
                    return -1;
                if (*s == ':') {
                    s++;
                    if (digits(&s, 2, &sec))
                        return -1;
                    ns = fraction(&s);
                }
            }
        }
        if (mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 || min > 59 || sec > 60)
            return -1;
        while (*s == ' ')
            s++;
        /* ... and its zone: Z, UTC, GMT, +HH[:]MM (a signed number before a unit is
         * a relative item instead). */
        long long offset = 0;
        if (time_given && (*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9') {
            /* After a time of day GNU reads any signed number as the zone: "+2" hours,
             * "+0530", "+05:30" (so "12:00 +2 days" is 12:00 at +02, then a day). */
            int sign = *s++ == '-' ? -1 : 1, nd = 0, v = 0;
            for (; *s >= '0' && *s <= '9' && nd < 4; s++, nd++)
                v = v * 10 + (*s - '0');
            if (*s == ':' && nd <= 2) {
                int om;
                s++;
                if (digits(&s, 2, &om))
                    return -1;
                v = v * 100 + om;
                nd = 4;
            }
            if (*s >= '0' && *s <= '9')
                return -1;
            offset = sign * (nd <= 2 ? v * 3600LL : (v / 100) * 3600LL + (v % 100) * 60LL);
        } else if ((*s == 'Z' || *s == 'z') && (s[1] == ' ' || !s[1])) {
            s++;
        } else if (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0) {
            s += 3;
        } else if ((*s == '+' || *s == '-') && s[1] >= '0' && s[1] <= '9' && s[2] >= '0' &&
                   s[2] <= '9' && (s[3] == ':' || (s[3] >= '0' && s[3] <= '9') || s[3] == ' ' ||
                                   !s[3])) {
            const char *z = s;
            int sign = *z++ == '-' ? -1 : 1, oh, om = 0;
            digits(&z, 2, &oh);
            if (*z == ':')
                z++;
            if (*z >= '0' && *z <= '9' && digits(&z, 2, &om))
                return -1;
            const char *after = z;
            while (*after == ' ')
                after++;
            long long unused;
            size_t wl = strspn(after, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
            if (wl == 0 || unit_of(after, wl, &unused) < 0) {
                offset = sign * (oh * 3600LL + om * 60LL);
                s = z;
            }
        }
        base = fu_timegm(year, mon, mday, hour, min, sec) - offset;
        have_date = 1;
    }

    /* Relative items: "[+-]N unit", "unit", "next/last/this unit", "ago" (negates the
     * item before it), "now", "today", "yesterday", "tomorrow". */
    long long months = 0, seconds = 0, last_months = 0, last_seconds = 0, pending = 1;
    int have_pending = 0;
    for (;;) {
        while (*s == ' ')
            s++;
        if (!*s)
            break;
        long long n = 1, mult;
        if (*s == '+' || *s == '-' || (*s >= '0' && *s <= '9')) {
            int neg = *s == '-';
            if (*s == '+' || *s == '-')
                s++;
            if (*s < '0' || *s > '9')
                return -1;
            n = 0;
            for (; *s >= '0' && *s <= '9'; s++)
                n = n * 10 + (*s - '0');
            if (neg)
                n = -n;
            while (*s == ' ')
                s++;
            size_t wl = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
            int kind = unit_of(s, wl, &mult);
            if (kind < 0)
                return -1;
            s += wl;
            last_months = kind == 0 ? 0 : n * (kind == 2 ? 12 : 1);
            last_seconds = kind == 0 ? n * mult : 0;
            months += last_months;
            seconds += last_seconds;
            continue;
        }
        size_t wl = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
        if (wl == 0)
            return -1;
        const char *w = s;
        s += wl;
        int kind = unit_of(w, wl, &mult);
        if (word_is(w, wl, "now") || word_is(w, wl, "today")) {
            continue;
        } else if (word_is(w, wl, "yesterday") || word_is(w, wl, "tomorrow")) {
            last_months = 0;
            last_seconds = word_is(w, wl, "yesterday") ? -86400 : 86400;
            seconds += last_seconds;
        } else if (word_is(w, wl, "ago")) {
            months -= 2 * last_months;
            seconds -= 2 * last_seconds;
            last_months = -last_months;
            last_seconds = -last_seconds;
        } else if (word_is(w, wl, "next") || word_is(w, wl, "last") || word_is(w, wl, "this")) {
            pending = word_is(w, wl, "next") ? 1 : word_is(w, wl, "last") ? -1 : 0;
            have_pending = 1;
            continue;
        } else if (kind >= 0) {
            n = have_pending ? pending : 1;
            last_months = kind == 0 ? 0 : n * (kind == 2 ? 12 : 1);
            last_seconds = kind == 0 ? n * mult : 0;
            months += last_months;
            seconds += last_seconds;
        } else {
            return -1;
        }
        if (have_pending && kind < 0)
            return -1; /* "next" must name a unit */
        have_pending = 0;
    }
    if (have_pending)
        return -1;

    struct timespec now;
    if (!have_date) {
        clock_gettime(CLOCK_REALTIME, &now);
        base = now.tv_sec;
        ns = now.tv_nsec;
    }
    if (months) {
        /* Calendar months: the day of the month stays and overflows as mktime does
         * (January 31 + 1 month = March 2 or 3). */
        time_t t = (time_t)base;
        struct tm tm;
        if (!gmtime_r(&t, &tm))
            return -1;
        long long m = tm.tm_mon + months;
        long long y = tm.tm_year + 1900LL + (m >= 0 ? m / 12 : -((-m + 11) / 12));
        m = ((m % 12) + 12) % 12;
        base = fu_timegm((int)y, (int)m + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    }
    out->tv_sec = (time_t)(base + seconds);
    out->tv_nsec = ns;
    return 0;
}

/* --- copying ------------------------------------------------------------------ */

#include <dirent.h>
#include <fcntl.h>

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
    DIR *d = opendir(src);
    if (!d) {
        fu_warn(errno, "cannot access %s", fu_quote(src));
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = fu_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = fu_xstrdup(e->d_name);
    }
    closedir(d);
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
    DIR *d = opendir(path);
    if (!d) {
        fu_warn(errno, "cannot remove %s", fu_quote(path));
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = fu_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = fu_xstrdup(e->d_name);
    }
    closedir(d);
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
