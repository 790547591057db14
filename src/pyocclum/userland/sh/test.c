/* sh: the test / [ builtin (POSIX rules by argument count, then -a -o ! ( )). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sh.h"

struct t {
    char **v;
    int n, i;
    int err;
};

static int t_or(struct t *t);

static int to_num(struct t *t, const char *s, long long *out) {
    const char *p = s;
    while (*p == ' ' || *p == '\t')
        p++;
    char *end;
    long long v = strtoll(p, &end, 10);
    while (*end == ' ' || *end == '\t')
        end++;
    if (*p == '\0' || *end != '\0') {
        sh_warn("test: Illegal number: %s", s);
        t->err = 1;
        return 0;
    }
    *out = v;
    return 1;
}

static int unary_op(const char *op) {
    return op[0] == '-' && op[1] && !op[2] && strchr("bcdefghknprstuwxzLSOG", op[1]);
}

static int binary_op(const char *op) {
    static const char *const ops[] = {"=", "!=", "==", "<", ">", "-eq", "-ne", "-lt", "-le",
                                      "-gt", "-ge", "-nt", "-ot", "-ef"};
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (strcmp(op, ops[i]) == 0)
            return 1;
    return 0;
}

static int unary(struct t *t, const char *op, const char *arg) {
    struct stat st;
    char c = op[1];
    if (c == 'n')
        return *arg != '\0';
    if (c == 'z')
        return *arg == '\0';
    if (c == 't') {
        long long fd;
        return to_num(t, arg, &fd) && isatty((int)fd);
    }
    if (c == 'h' || c == 'L')
        return lstat(arg, &st) == 0 && S_ISLNK(st.st_mode);
    if (stat(arg, &st) != 0)
        return 0;
    switch (c) {
    case 'e': return 1;
    case 'f': return S_ISREG(st.st_mode);
    case 'd': return S_ISDIR(st.st_mode);
    case 'b': return S_ISBLK(st.st_mode);
    case 'c': return S_ISCHR(st.st_mode);
    case 'p': return S_ISFIFO(st.st_mode);
    case 'S': return S_ISSOCK(st.st_mode);
    case 's': return st.st_size > 0;
    case 'r': return access(arg, R_OK) == 0;
    case 'w': return access(arg, W_OK) == 0;
    case 'x': return access(arg, X_OK) == 0;
    case 'u': return (st.st_mode & S_ISUID) != 0;
    case 'g': return (st.st_mode & S_ISGID) != 0;
    case 'k': return (st.st_mode & S_ISVTX) != 0;
    case 'O':
    case 'G': return 1; /* everyone is root */
    }
    return 0;
}

static int binary(struct t *t, const char *a, const char *op, const char *b) {
    if (strcmp(op, "=") == 0 || strcmp(op, "==") == 0)
        return strcmp(a, b) == 0;
    if (strcmp(op, "!=") == 0)
        return strcmp(a, b) != 0;
    if (strcmp(op, "<") == 0)
        return strcmp(a, b) < 0;
    if (strcmp(op, ">") == 0)
        return strcmp(a, b) > 0;
    if (op[1] == 'n' || op[1] == 'o' || (op[1] == 'e' && op[2] == 'f')) {
        struct stat sa, sb;
        int ha = stat(a, &sa) == 0, hb = stat(b, &sb) == 0;
        if (op[1] == 'e')
            return ha && hb && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
        if (op[1] == 'n')
            return ha && (!hb || sa.st_mtime > sb.st_mtime);
        return hb && (!ha || sa.st_mtime < sb.st_mtime);
    }
    long long x, y;
    if (!to_num(t, a, &x) || !to_num(t, b, &y))
        return 0;
    if (strcmp(op, "-eq") == 0) return x == y;
    if (strcmp(op, "-ne") == 0) return x != y;
    if (strcmp(op, "-lt") == 0) return x < y;
    if (strcmp(op, "-le") == 0) return x <= y;
    if (strcmp(op, "-gt") == 0) return x > y;
    return x >= y;
}

static const char *arg(struct t *t, int k) { return t->i + k < t->n ? t->v[t->i + k] : NULL; }

static int primary(struct t *t) {
    const char *a = arg(t, 0);
    if (!a) {
        sh_warn("test: argument expected");
        t->err = 1;
        return 0;
    }
    if (strcmp(a, "!") == 0) {
        t->i++;
        return !primary(t);
    }
    if (strcmp(a, "(") == 0) {
        t->i++;
        int r = t_or(t);
        if (!arg(t, 0) || strcmp(arg(t, 0), ")") != 0) {
            sh_warn("test: closing paren expected");
            t->err = 1;
            return 0;
        }
        t->i++;
        return r;
    }
    if (arg(t, 1) && binary_op(arg(t, 1)) && arg(t, 2)) {
        int r = binary(t, a, arg(t, 1), arg(t, 2));
        t->i += 3;
        return r;
    }
    if (unary_op(a) && arg(t, 1)) {
        int r = unary(t, a, arg(t, 1));
        t->i += 2;
        return r;
    }
    t->i++;
    return *a != '\0';
}

static int t_and(struct t *t) {
    int r = primary(t);
    while (!t->err && arg(t, 0) && strcmp(arg(t, 0), "-a") == 0) {
        t->i++;
        int s = primary(t);
        r = r && s;
    }
    return r;
}

static int t_or(struct t *t) {
    int r = t_and(t);
    while (!t->err && arg(t, 0) && strcmp(arg(t, 0), "-o") == 0) {
        t->i++;
        int s = t_and(t);
        r = r || s;
    }
    return r;
}

/* POSIX: with up to 4 arguments the meaning comes from their number. */
static int eval_n(struct t *t) {
    char **v = t->v;
    switch (t->n) {
    case 0: return 0;
    case 1: return *v[0] != '\0';
    case 2:
        if (strcmp(v[0], "!") == 0)
            return *v[1] == '\0';
        if (unary_op(v[0]))
            return unary(t, v[0], v[1]);
        break;
    case 3:
        if (binary_op(v[1]))
            return binary(t, v[0], v[1], v[2]);
        if (strcmp(v[0], "!") == 0) {
            t->v++;
            t->n--;
            int r = !eval_n(t);
            t->v--;
            t->n++;
            return r;
        }
        if (strcmp(v[0], "(") == 0 && strcmp(v[2], ")") == 0)
            return *v[1] != '\0';
        break;
    case 4:
        if (strcmp(v[0], "!") == 0) {
            t->v++;
            t->n--;
            int r = !eval_n(t);
            t->v--;
            t->n++;
            return r;
        }
        if (strcmp(v[0], "(") == 0 && strcmp(v[3], ")") == 0) {
            t->v++;
            t->n -= 2;
            int r = eval_n(t);
            t->v--;
            t->n += 2;
            return r;
        }
        break;
    }
    t->i = 0;
    int r = t_or(t);
    if (!t->err && t->i < t->n) {
        sh_warn("test: unexpected operator");
        t->err = 1;
    }
    return r;
}

int bi_test(int argc, char **argv) {
    struct t t = {argv + 1, argc - 1, 0, 0};
    if (strcmp(argv[0], "[") == 0) {
        if (argc < 2 || strcmp(argv[argc - 1], "]") != 0) {
            sh_warn("[: missing ]");
            return 2;
        }
        t.n--;
    }
    int r = eval_n(&t);
    return t.err ? 2 : !r;
}
