/* test / [: check file types and compare values (GNU coreutils' test:
 * POSIX's rules by argument count, then ! -a -o ( ) with GNU's precedence;
 * all unary file tests, -n -z -t, = == != < >, -eq -ne -lt -le -gt -ge on
 * integers of any length, -l STRING, -nt -ot -ef). Exit 0 true, 1 false,
 * 2 error. Run as "[" (argv[0] ends in '['), the last argument must be "]". */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textutil.h"

static char **argv_;
static int argc_, pos;

static _Noreturn void syntax_error(const char *fmt, const char *a, const char *b)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", tu_prog);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(2);
}

static _Noreturn void beyond(void)
{
    syntax_error("missing argument after %s", tu_quote(argv_[argc_ - 1]), "");
}

static void advance(int need_more)
{
    ++pos;
    if (need_more && pos >= argc_)
        beyond();
}

static void unary_advance(void)
{
    advance(1);
    ++pos;
}

static int is_binop(const char *s)
{
    /* GNU test has no string < and > (shells' builtins do). */
    static const char *ops[] = {"=", "!=", "==", "-nt", "-ot", "-ef", "-eq", "-ne",
                                "-lt", "-le", "-gt", "-ge"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(s, ops[i]) == 0)
            return 1;
    return 0;
}

static int is_unop(const char *s)
{
    return s[0] == '-' && s[1] && !s[2] && strchr("abcdefghknoprstuwxzGLOSN", s[1]);
}

/* The start of the integer in s (blanks and a '+' skipped), or a syntax error. */
static const char *find_int(const char *s)
{
    const char *p = s, *start;
    while (isblank((unsigned char)*p))
        p++;
    if (*p == '+') {
        start = ++p;
    } else {
        start = p;
        p += *p == '-';
    }
    if (isdigit((unsigned char)*p++)) {
        while (isdigit((unsigned char)*p))
            p++;
        while (isblank((unsigned char)*p))
            p++;
        if (!*p)
            return start;
    }
    syntax_error("invalid integer %s", tu_quote(s), "");
}

/* Compare two integer strings (from find_int) of any length. */
static int strintcmp(const char *a, const char *b)
{
    int na = *a == '-', nb = *b == '-';
    a += na;
    b += nb;
    while (*a == '0')
        a++;
    while (*b == '0')
        b++;
    size_t la = 0, lb = 0;
    while (isdigit((unsigned char)a[la]))
        la++;
    while (isdigit((unsigned char)b[lb]))
        lb++;
    if (la == 0)
        na = 0;
    if (lb == 0)
        nb = 0;
    if (na != nb)
        return na ? -1 : 1;
    int cmp = la != lb ? (la < lb ? -1 : 1) : memcmp(a, b, la);
    cmp = (cmp > 0) - (cmp < 0);
    return na ? -cmp : cmp;
}

static int mtime_of(const char *path, struct timespec *t)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return 0;
    *t = st.st_mtim;
    return 1;
}

static int ts_cmp(struct timespec a, struct timespec b)
{
    if (a.tv_sec != b.tv_sec)
        return a.tv_sec < b.tv_sec ? -1 : 1;
    return (a.tv_nsec > b.tv_nsec) - (a.tv_nsec < b.tv_nsec);
}

static int binary_operator(int l_is_l)
{
    if (l_is_l)
        advance(0);
    int op = pos + 1, r_is_l = 0;
    if (op < argc_ - 2 && strcmp(argv_[op + 1], "-l") == 0) {
        r_is_l = 1;
        advance(0);
    }
    const char *o = argv_[op];
    if (o[0] == '-') {
        if ((((o[1] == 'l' || o[1] == 'g') && (o[2] == 'e' || o[2] == 't')) ||
             ((o[1] == 'e' || o[1] == 'n') && (o[2] == 'q' || o[2] == 'e'))) && !o[3]) {
            char lbuf[32], rbuf[32];
            const char *l, *r;
            if (l_is_l) {
                snprintf(lbuf, sizeof lbuf, "%zu", strlen(argv_[op - 1]));
                l = lbuf;
            } else {
                l = find_int(argv_[op - 1]);
            }
            if (r_is_l) {
                snprintf(rbuf, sizeof rbuf, "%zu", strlen(argv_[op + 2]));
                r = rbuf;
            } else {
                r = find_int(argv_[op + 1]);
            }
            int cmp = strintcmp(l, r), xe = o[2] == 'e';
            pos += 3;
            return o[1] == 'l' ? cmp < xe : o[1] == 'g' ? cmp > -xe : (cmp != 0) == xe;
        }
        struct timespec lt, rt;
        if (strcmp(o, "-nt") == 0 || strcmp(o, "-ot") == 0) {
            pos += 3;
            if (l_is_l || r_is_l)
                syntax_error("%s does not accept -l", o, "");
            int le = mtime_of(argv_[op - 1], &lt), re = mtime_of(argv_[op + 1], &rt);
            if (o[1] == 'n')
                return le && (!re || ts_cmp(lt, rt) > 0);
            return re && (!le || ts_cmp(lt, rt) < 0);
        }
        if (strcmp(o, "-ef") == 0) {
            struct stat a, b;
            pos += 3;
            if (l_is_l || r_is_l)
                syntax_error("-ef does not accept -l", "", "");
            return stat(argv_[op - 1], &a) == 0 && stat(argv_[op + 1], &b) == 0 &&
                   a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        }
        syntax_error("%s: unknown binary operator", tu_quote(o), "");
    }
    const char *l = argv_[pos], *r = argv_[pos + 2];
    pos += 3;
    if (strcmp(o, "=") == 0 || strcmp(o, "==") == 0)
        return strcmp(l, r) == 0;
    return strcmp(l, r) != 0; /* "!=" */
}

static int unary_operator(void)
{
    struct stat st;
    const char *op = argv_[pos];
    char c = op[1];
    if (c == 'n' || c == 'z') {
        unary_advance();
        int empty = argv_[pos - 1][0] == 0;
        return c == 'z' ? empty : !empty;
    }
    if (c == 't') {
        unary_advance();
        const char *arg = find_int(argv_[pos - 1]);
        errno = 0;
        long fd = strtol(arg, NULL, 10);
        return errno != ERANGE && fd >= 0 && fd <= INT32_MAX && isatty((int)fd);
    }
    if (c == 'a' || c == 'o')
        syntax_error("%s: unary operator expected", tu_quote(op), "");
    unary_advance();
    const char *path = argv_[pos - 1];
    if (c == 'h' || c == 'L')
        return lstat(path, &st) == 0 && S_ISLNK(st.st_mode);
    if (c == 'r' || c == 'w')
        return access(path, c == 'r' ? R_OK : W_OK) == 0;
    if (c == 'x') {
        /* For root (every process inside), as Linux: some execute bit, or a directory. */
        if (access(path, X_OK) != 0 || stat(path, &st) != 0)
            return 0;
        return geteuid() != 0 || S_ISDIR(st.st_mode) || (st.st_mode & 0111) != 0;
    }
    if (stat(path, &st) != 0)
        return 0;
    switch (c) {
    case 'e': return 1;
    case 'f': return S_ISREG(st.st_mode);
    case 'd': return S_ISDIR(st.st_mode);
    case 's': return st.st_size > 0;
    case 'S': return S_ISSOCK(st.st_mode);
    case 'c': return S_ISCHR(st.st_mode);
    case 'b': return S_ISBLK(st.st_mode);
    case 'p': return S_ISFIFO(st.st_mode);
    case 'u': return (st.st_mode & S_ISUID) != 0;
    case 'g': return (st.st_mode & S_ISGID) != 0;
    case 'k': return (st.st_mode & S_ISVTX) != 0;
    case 'O': return st.st_uid == geteuid();
    case 'G': return st.st_gid == getegid();
    case 'N': return ts_cmp(st.st_mtim, st.st_atim) > 0;
    default: return 0;
    }
}

static int expr(void);
static int posixtest(int nargs);

static int one_argument(void)
{
    return argv_[pos++][0] != 0;
}

static int two_arguments(void)
{
    if (strcmp(argv_[pos], "!") == 0) {
        advance(0);
        return !one_argument();
    }
    const char *a = argv_[pos];
    if (a[0] == '-' && a[1] && !a[2]) {
        if (is_unop(a))
            return unary_operator();
        syntax_error("%s: unary operator expected", tu_quote(a), "");
    }
    beyond();
}

static int three_arguments(void)
{
    if (is_binop(argv_[pos + 1]))
        return binary_operator(0);
    if (strcmp(argv_[pos], "!") == 0) {
        advance(1);
        return !two_arguments();
    }
    if (strcmp(argv_[pos], "(") == 0 && strcmp(argv_[pos + 2], ")") == 0) {
        advance(0);
        int v = one_argument();
        advance(0);
        return v;
    }
    if (strcmp(argv_[pos + 1], "-a") == 0 || strcmp(argv_[pos + 1], "-o") == 0)
        return expr();
    syntax_error("%s: binary operator expected", tu_quote(argv_[pos + 1]), "");
}

static int term(void)
{
    int negated = 0, value;
    while (pos < argc_ && strcmp(argv_[pos], "!") == 0) {
        advance(1);
        negated = !negated;
    }
    if (pos >= argc_)
        beyond();
    if (strcmp(argv_[pos], "(") == 0) {
        int nargs;
        advance(1);
        for (nargs = 1; pos + nargs < argc_ && strcmp(argv_[pos + nargs], ")") != 0; nargs++) {
            if (nargs == 4) {
                nargs = argc_ - pos;
                break;
            }
        }
        value = posixtest(nargs);
        if (pos >= argc_)
            syntax_error("%s expected", "')'", "");
        if (strcmp(argv_[pos], ")") != 0)
            syntax_error("%s expected, found %s", "')'", tu_quote(argv_[pos]));
        advance(0);
    } else if (argc_ - pos >= 4 && strcmp(argv_[pos], "-l") == 0 && is_binop(argv_[pos + 2])) {
        value = binary_operator(1);
    } else if (argc_ - pos >= 3 && is_binop(argv_[pos + 1])) {
        value = binary_operator(0);
    } else if (argv_[pos][0] == '-' && argv_[pos][1] && !argv_[pos][2]) {
        if (!is_unop(argv_[pos]))
            syntax_error("%s: unary operator expected", tu_quote(argv_[pos]), "");
        value = unary_operator();
    } else {
        value = argv_[pos][0] != 0;
        advance(0);
    }
    return negated ^ value;
}

static int and_(void)
{
    int value = term();
    while (pos < argc_ && strcmp(argv_[pos], "-a") == 0) {
        advance(0);
        value &= term();
    }
    return value;
}

static int or_(void)
{
    int value = and_();
    while (pos < argc_ && strcmp(argv_[pos], "-o") == 0) {
        advance(0);
        value |= and_();
    }
    return value;
}

static int expr(void)
{
    if (pos >= argc_)
        beyond();
    return or_();
}

static int posixtest(int nargs)
{
    switch (nargs) {
    case 1: return one_argument();
    case 2: return two_arguments();
    case 3: return three_arguments();
    case 4:
        if (strcmp(argv_[pos], "!") == 0) {
            advance(1);
            return !three_arguments();
        }
        if (strcmp(argv_[pos], "(") == 0 && strcmp(argv_[pos + 3], ")") == 0) {
            advance(0);
            int v = two_arguments();
            advance(0);
            return v;
        }
        return expr();
    default: return expr();
    }
}

int main(int argc, char **argv)
{
    tu_init(argv);
    size_t len = strlen(argv[0]);
    if (len > 0 && argv[0][len - 1] == '[') {
        if (argc < 2 || strcmp(argv[argc - 1], "]") != 0) {
            fprintf(stderr, "%s: missing ']'\n", tu_prog);
            return 2;
        }
        argc--;
    }
    if (argc <= 1)
        return 1;
    argv_ = argv;
    argc_ = argc;
    pos = 1;
    int value = posixtest(argc - 1);
    if (pos != argc)
        syntax_error("extra argument %s", tu_quote(argv[pos]), "");
    return value ? 0 : 1;
}
