/*
 * sh: word expansion (POSIX 2.6): tilde, parameters, command substitution,
 * arithmetic, field splitting, pathname expansion, quote removal.
 *
 * A word is expanded into fields of characters, each with flags: Q (quoted:
 * never split or globbed) or S (from an unquoted expansion: split on IFS).
 * Plain unquoted characters have neither: they glob but do not split.
 */
#include <fnmatch.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sh.h"

long skip_construct(const char *s, size_t len, size_t i);

#define FQ 1
#define FS 2

struct field {
    sbuf c, f;
    int quoted; /* contained quotes: kept even when empty */
    size_t *qend; /* where quotes (maybe empty: '') ended; see split_field */
    int nq, capq;
};

enum { M_FIELDS, M_STR };

struct xstate {
    int mode;
    struct field cur;
    struct field *out;
    int nout, cap;
    int at_empty; /* "$@" with no parameters */
};

int cmdsubst_status, cmdsubst_ran;

void sl_add(struct strlist *l, char *s) {
    if (l->n + 2 > l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->v = xrealloc(l->v, (size_t)l->cap * sizeof(char *));
    }
    l->v[l->n++] = s;
    l->v[l->n] = NULL;
}

void sl_free(struct strlist *l) {
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static void addc(struct xstate *x, char c, int flags) {
    sb_addc(&x->cur.c, c);
    sb_addc(&x->cur.f, (char)flags);
}

static void adds(struct xstate *x, const char *s, size_t n, int flags) {
    for (size_t i = 0; i < n; i++)
        addc(x, s[i], flags);
}

/* Ends the current field (kept if not empty or quoted). */
static void field_end(struct xstate *x) {
    if (x->cur.c.len > 0 || x->cur.quoted) {
        if (x->nout == x->cap) {
            x->cap = x->cap ? 2 * x->cap : 4;
            x->out = xrealloc(x->out, (size_t)x->cap * sizeof *x->out);
        }
        x->out[x->nout++] = x->cur;
    } else {
        sb_free(&x->cur.c);
        sb_free(&x->cur.f);
        free(x->cur.qend);
    }
    memset(&x->cur, 0, sizeof x->cur);
}

static void mark_quote(struct xstate *x) {
    struct field *f = &x->cur;
    if (f->nq && f->qend[f->nq - 1] == f->c.len)
        return;
    if (f->nq == f->capq) {
        f->capq = f->capq ? 2 * f->capq : 4;
        f->qend = xrealloc(f->qend, (size_t)f->capq * sizeof *f->qend);
    }
    f->qend[f->nq++] = f->c.len;
}

/* Between the words of "$@": a new field, or a space in a string. */
static void field_break(struct xstate *x) {
    if (x->mode == M_STR)
        addc(x, ' ', FQ);
    else
        field_end(x);
}

/* An expansion's result: quoted inside "...", else split later. */
static void add_result(struct xstate *x, const char *s, int dq) {
    adds(x, s, strlen(s), dq ? FQ : FS);
}

static void expand_segment(struct xstate *x, const char *s, size_t len, int dq, int litflags,
                           int assign);

static char *positional(long n) {
    if (n == 0)
        return arg0;
    if (n > 0 && n <= pos.n)
        return pos.v[n - 1];
    return NULL;
}

/* The value of a special or named parameter (static buffer for numbers). */
static const char *param_value(const char *name, int *is_set) {
    static char num[32];
    *is_set = 1;
    if (name[0] >= '0' && name[0] <= '9') {
        const char *v = positional(atol(name));
        *is_set = v != NULL;
        return v;
    }
    if (name[1] == '\0') {
        switch (name[0]) {
        case '?': snprintf(num, sizeof num, "%d", exitstatus); return num;
        case '#': snprintf(num, sizeof num, "%d", pos.n); return num;
        case '$': snprintf(num, sizeof num, "%d", (int)shell_pid); return num;
        case '!':
            if (last_bg <= 0) {
                *is_set = 0;
                return NULL;
            }
            snprintf(num, sizeof num, "%d", (int)last_bg);
            return num;
        case '-': {
            char *p = num;
            if (opt_e) *p++ = 'e';
            if (opt_f) *p++ = 'f';
            if (opt_u) *p++ = 'u';
            if (opt_x) *p++ = 'x';
            if (opt_v) *p++ = 'v';
            if (opt_C) *p++ = 'C';
            if (opt_a) *p++ = 'a';
            *p = '\0';
            return num;
        }
        }
    }
    const char *v = var_get(name);
    *is_set = v != NULL;
    return v;
}

static char *join_params(void) {
    const char *ifs = var_get("IFS");
    char sep = ifs == NULL ? ' ' : ifs[0];
    sbuf b = {0};
    for (int i = 0; i < pos.n; i++) {
        if (i > 0 && sep)
            sb_addc(&b, sep);
        sb_adds(&b, pos.v[i]);
    }
    return sb_take(&b);
}

static void expand_at(struct xstate *x, int dq, int star) {
    if (dq && star) {
        char *j = join_params();
        add_result(x, j, 1);
        free(j);
        return;
    }
    if (pos.n == 0) {
        if (dq)
            x->at_empty = 1;
        return;
    }
    for (int i = 0; i < pos.n; i++) {
        if (i > 0)
            field_break(x);
        add_result(x, pos.v[i], dq);
        if (dq) {
            x->cur.quoted = 1; /* "$@": an empty parameter is a field */
            mark_quote(x);
        }
    }
}

static char *str_of(const char *s, size_t len, int dq);

static char *pattern_of(const char *s, size_t len);

static void remove_pattern(const char *val, const char *pat, int op, int longest,
                           struct xstate *x, int dq) {
    size_t n = strlen(val);
    char *tmp = xstrdup(val);
    size_t keep_from = 0, keep_to = n;
    if (op == '#') {
        for (size_t k = 0; k <= n; k++) {
            size_t i = longest ? n - k : k;
            char c = tmp[i];
            tmp[i] = '\0';
            int m = fnmatch(pat, tmp, 0) == 0;
            tmp[i] = c;
            if (m) {
                keep_from = i;
                break;
            }
        }
    } else {
        for (size_t k = 0; k <= n; k++) {
            size_t i = longest ? k : n - k;
            if (fnmatch(pat, tmp + i, 0) == 0) {
                keep_to = i;
                break;
            }
        }
    }
    tmp[keep_to] = '\0';
    add_result(x, tmp + keep_from, dq);
    free(tmp);
}

/* ${...}: s..len is the text between the braces. */
static void expand_brace(struct xstate *x, const char *s, size_t len, int dq) {
    size_t i = 0;
    int length_of = 0;
    if (len > 1 && s[0] == '#') {
        length_of = 1;
        i = 1;
    }
    size_t ns = i;
    if (i < len && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) {
        while (i < len && (s[i] == '_' || (s[i] >= 'a' && s[i] <= 'z') ||
                           (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
            i++;
    } else if (i < len && s[i] >= '0' && s[i] <= '9') {
        while (i < len && s[i] >= '0' && s[i] <= '9')
            i++;
    } else if (i < len && strchr("@*#?-$!", s[i])) {
        i++;
    } else if (len == 1 && s[0] == '#') {
        ns = 0;
        i = 1;
        length_of = 0;
    } else {
        sh_fatal(2, "${%.*s}: Bad substitution", (int)len, s);
    }
    char *name = xstrndup(s + ns, i - ns);
    int is_set;
    const char *val;
    char *joined = NULL;
    int at = strcmp(name, "@") == 0 || strcmp(name, "*") == 0;
    if (at) {
        is_set = pos.n > 0;
        val = joined = join_params();
    } else {
        val = param_value(name, &is_set);
    }
    if (length_of) {
        if (i != len)
            sh_fatal(2, "${%.*s}: Bad substitution", (int)len, s);
        if (!is_set && opt_u)
            sh_fatal(2, "%s: parameter not set", name);
        char num[32];
        snprintf(num, sizeof num, "%zu", at ? (size_t)pos.n : (val ? strlen(val) : 0));
        add_result(x, num, dq);
        goto out;
    }
    if (i == len) {
        if (!is_set && opt_u && !at)
            sh_fatal(2, "%s: parameter not set", name);
        if (at)
            expand_at(x, dq, name[0] == '*');
        else if (val)
            add_result(x, val, dq);
        goto out;
    }
    int colon = 0;
    if (s[i] == ':') {
        colon = 1;
        i++;
    }
    if (i >= len)
        sh_fatal(2, "${%.*s}: Bad substitution", (int)len, s);
    char op = s[i++];
    int longest = 0;
    if ((op == '#' || op == '%') && !colon && i < len && s[i] == op) {
        longest = 1;
        i++;
    }
    const char *word = s + i;
    size_t wlen = len - i;
    int use = is_set && !(colon && val && val[0] == '\0');
    switch (op) {
    case '-':
        if (use) {
            if (at)
                expand_at(x, dq, name[0] == '*');
            else
                add_result(x, val, dq);
        } else {
            expand_segment(x, word, wlen, dq, dq ? FQ : FS, 0);
        }
        break;
    case '+':
        if (use)
            expand_segment(x, word, wlen, dq, dq ? FQ : FS, 0);
        break;
    case '=':
        if (use) {
            add_result(x, val, dq);
        } else {
            if (!is_name(name))
                sh_fatal(2, "%s: bad variable name", name);
            char *w = str_of(word, wlen, dq);
            if (var_set(name, w, 0) < 0)
                sh_exit(2);
            add_result(x, w, dq);
            free(w);
        }
        break;
    case '?':
        if (use) {
            add_result(x, val, dq);
        } else {
            char *w = str_of(word, wlen, dq);
            sh_fatal(2, "%s: %s", name, *w ? w : "parameter not set");
        }
        break;
    case '#':
    case '%':
        if (colon)
            sh_fatal(2, "${%.*s}: Bad substitution", (int)len, s);
        if (!is_set && opt_u)
            sh_fatal(2, "%s: parameter not set", name);
        {
            char *pat = pattern_of(word, wlen);
            remove_pattern(val ? val : "", pat, op, longest, x, dq);
            free(pat);
        }
        break;
    default:
        sh_fatal(2, "${%.*s}: Bad substitution", (int)len, s);
    }
out:
    free(joined);
    free(name);
}

static void cmd_subst(struct xstate *x, const char *text, int dq) {
    int st;
    char *outp = capture_output(text, &st);
    cmdsubst_status = st;
    cmdsubst_ran = 1;
    size_t n = strlen(outp);
    while (n > 0 && outp[n - 1] == '\n')
        n--;
    outp[n] = '\0';
    add_result(x, outp, dq);
    free(outp);
}

/* `...`: the text with \$, \`, \\ (and \" inside double quotes) unescaped. */
static void backquote(struct xstate *x, const char *s, size_t len, int dq) {
    sbuf b = {0};
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\\' && i + 1 < len &&
            (s[i + 1] == '$' || s[i + 1] == '`' || s[i + 1] == '\\' ||
             (dq && s[i + 1] == '"'))) {
            i++;
        }
        sb_addc(&b, s[i]);
    }
    char *text = sb_take(&b);
    cmd_subst(x, text, dq);
    free(text);
}

static void expand_dollar(struct xstate *x, const char *s, size_t len, size_t *ip, int dq) {
    size_t i = *ip; /* at '$' */
    if (i + 1 >= len) {
        addc(x, '$', dq ? FQ : 0);
        *ip = i + 1;
        return;
    }
    char c = s[i + 1];
    if (c == '{' || c == '(') {
        long e = skip_construct(s, len, i);
        if (e < 0)
            sh_fatal(2, "Syntax error: Unterminated construct");
        if (c == '{') {
            expand_brace(x, s + i + 2, (size_t)e - i - 3, dq);
        } else if (i + 2 < len && s[i + 2] == '(' && s[e - 2] == ')') {
            char *expr = str_of(s + i + 3, (size_t)e - i - 5, 0);
            long long v = arith_eval(expr);
            free(expr);
            char num[32];
            snprintf(num, sizeof num, "%lld", v);
            add_result(x, num, dq);
        } else {
            char *text = xstrndup(s + i + 2, (size_t)e - i - 3);
            cmd_subst(x, text, dq);
            free(text);
        }
        *ip = (size_t)e;
        return;
    }
    if (c == '@' || c == '*') {
        expand_at(x, dq, c == '*');
        *ip = i + 2;
        return;
    }
    char name[2] = {c, '\0'};
    if (strchr("#?-$!0123456789", c)) {
        int is_set;
        const char *v = param_value(name, &is_set);
        if (!is_set && opt_u)
            sh_fatal(2, "%s: parameter not set", name);
        if (v)
            add_result(x, v, dq);
        *ip = i + 2;
        return;
    }
    size_t j = i + 1;
    while (j < len && (s[j] == '_' || (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= 'A' && s[j] <= 'Z') ||
                       (j > i + 1 && s[j] >= '0' && s[j] <= '9')))
        j++;
    if (j == i + 1) {
        addc(x, '$', dq ? FQ : 0);
        *ip = i + 1;
        return;
    }
    char *nm = xstrndup(s + i + 1, j - i - 1);
    const char *v = var_get(nm);
    if (!v && opt_u)
        sh_fatal(2, "%s: parameter not set", nm);
    if (v)
        add_result(x, v, dq);
    free(nm);
    *ip = j;
}

static void tilde(struct xstate *x, const char *s, size_t len, size_t *ip) {
    size_t i = *ip + 1, j = i;
    while (j < len && s[j] != '/' && s[j] != ':')
        j++;
    for (size_t k = i; k < j; k++)
        if (strchr("'\"\\$`", s[k])) {
            addc(x, '~', 0);
            *ip = i;
            return;
        }
    const char *home = NULL;
    if (j == i)
        home = var_get("HOME");
    else if (j - i == 4 && memcmp(s + i, "root", 4) == 0)
        home = "/root";
    if (!home) {
        addc(x, '~', 0);
        *ip = i;
        return;
    }
    adds(x, home, strlen(home), FQ);
    *ip = j;
}

/* dq: 0 unquoted, 1 inside "...", 2 a here-document body. */
static void expand_segment(struct xstate *x, const char *s, size_t len, int dq, int litflags,
                           int assign) {
    size_t i = 0;
    if (!dq && len > 0 && s[0] == '~')
        tilde(x, s, len, &i);
    while (i < len) {
        char c = s[i];
        if (c == '$') {
            expand_dollar(x, s, len, &i, dq);
        } else if (c == '`') {
            long e = skip_construct(s, len, i);
            if (e < 0)
                sh_fatal(2, "Syntax error: Unterminated quoted string");
            backquote(x, s + i + 1, (size_t)e - i - 2, dq == 1);
            i = (size_t)e;
        } else if (c == '\\') {
            if (i + 1 >= len) {
                addc(x, '\\', dq ? FQ : litflags);
                i++;
            } else if (!dq) {
                addc(x, s[i + 1], FQ);
                i += 2;
            } else {
                char n = s[i + 1];
                if (n == '$' || n == '`' || n == '\\' || n == '\n' || (dq == 1 && n == '"')) {
                    if (n != '\n')
                        addc(x, n, FQ);
                    i += 2;
                } else {
                    addc(x, '\\', FQ);
                    i++;
                }
            }
        } else if (dq) {
            if (c == '"' && dq == 1) {
                i++; /* the closing quote of a nested "..." in ${...} */
            } else {
                addc(x, c, FQ);
                i++;
            }
        } else if (c == '\'') {
            long e = skip_construct(s, len, i);
            if (e < 0)
                e = (long)len + 1;
            adds(x, s + i + 1, (size_t)e - i - 2, FQ);
            x->cur.quoted = 1;
            mark_quote(x);
            i = (size_t)e;
        } else if (c == '"') {
            long e = skip_construct(s, len, i);
            if (e < 0)
                e = (long)len + 1;
            size_t before = x->cur.c.len;
            int saved = x->at_empty;
            x->at_empty = 0;
            expand_segment(x, s + i + 1, (size_t)e - i - 2, 1, FQ, 0);
            if (!(x->at_empty && x->cur.c.len == before)) {
                x->cur.quoted = 1;
                mark_quote(x);
            }
            x->at_empty = saved;
            i = (size_t)e;
        } else {
            addc(x, c, litflags);
            i++;
            if (assign && c == ':' && i < len && s[i] == '~')
                tilde(x, s, len, &i);
        }
    }
}

static char *flat(struct xstate *x) {
    field_end(x);
    sbuf b = {0};
    for (int i = 0; i < x->nout; i++) {
        if (i > 0)
            sb_addc(&b, ' ');
        sb_addn(&b, x->out[i].c.s ? x->out[i].c.s : "", x->out[i].c.len);
        sb_free(&x->out[i].c);
        sb_free(&x->out[i].f);
        free(x->out[i].qend);
    }
    free(x->out);
    return sb_take(&b);
}

static char *str_of(const char *s, size_t len, int dq) {
    struct xstate x;
    memset(&x, 0, sizeof x);
    x.mode = M_STR;
    expand_segment(&x, s, len, dq, 0, 0);
    return flat(&x);
}

char *expand_str(const char *word) { return str_of(word, strlen(word), 0); }

char *expand_heredoc(const char *body) {
    struct xstate x;
    memset(&x, 0, sizeof x);
    x.mode = M_STR;
    expand_segment(&x, body, strlen(body), 2, FQ, 0);
    return flat(&x);
}

char *expand_assign_value(const char *value) {
    struct xstate x;
    memset(&x, 0, sizeof x);
    x.mode = M_STR;
    expand_segment(&x, value, strlen(value), 0, 0, 1);
    return flat(&x);
}

/* A pattern for fnmatch: quoted characters are escaped. */
static void escape_into(sbuf *b, const char *c, const char *f, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if ((f[i] & FQ) && strchr("*?[]\\", c[i]))
            sb_addc(b, '\\');
        sb_addc(b, c[i]);
    }
}

static char *pattern_of(const char *s, size_t len) {
    struct xstate x;
    memset(&x, 0, sizeof x);
    x.mode = M_STR;
    expand_segment(&x, s, len, 0, 0, 0);
    field_end(&x);
    sbuf b = {0};
    for (int i = 0; i < x.nout; i++) {
        escape_into(&b, x.out[i].c.s ? x.out[i].c.s : "", x.out[i].f.s, x.out[i].c.len);
        sb_free(&x.out[i].c);
        sb_free(&x.out[i].f);
        free(x.out[i].qend);
    }
    free(x.out);
    return sb_take(&b);
}

char *expand_pattern(const char *word) { return pattern_of(word, strlen(word)); }

static void glob_or_add(const char *c, const char *f, size_t n, struct strlist *out) {
    int magic = 0;
    if (!opt_f)
        for (size_t i = 0; i < n && !magic; i++) {
            if (f[i] & FQ)
                continue;
            if (c[i] == '*' || c[i] == '?')
                magic = 1;
            /* "[" alone (the test command) is no pattern: no lookup */
            for (size_t j = i + 1; c[i] == '[' && j < n && !magic; j++)
                if (c[j] == ']' && !(f[j] & FQ))
                    magic = 1;
        }
    if (magic) {
        sbuf pat = {0};
        for (size_t i = 0; i < n; i++) {
            if (((f[i] & FQ) && strchr("*?[]\\", c[i])) || ((f[i] & FS) && c[i] == '\\'))
                sb_addc(&pat, '\\');
            sb_addc(&pat, c[i]);
        }
        glob_t g;
        memset(&g, 0, sizeof g);
        int rc = glob(pat.s, 0, NULL, &g);
        sb_free(&pat);
        if (rc == 0 && g.gl_pathc > 0) {
            for (size_t i = 0; i < g.gl_pathc; i++)
                sl_add(out, xstrdup(g.gl_pathv[i]));
            globfree(&g);
            return;
        }
        globfree(&g);
    }
    sl_add(out, xstrndup(c, n));
}

static int quoted_in(const struct field *fd, size_t lo, size_t hi) {
    for (int k = 0; k < fd->nq; k++)
        if (fd->qend[k] >= lo && fd->qend[k] <= hi)
            return 1;
    return 0;
}

/* Field splitting (POSIX 2.6.5): a piece between delimiters is a field if
 * it is not empty, ends at a delimiter with a non-white IFS char, or holds
 * quotes (an empty "" or '' still makes a field). */
static void split_field(struct field *fd, struct strlist *out) {
    const char *c = fd->c.s ? fd->c.s : "";
    const char *f = fd->f.s ? fd->f.s : "";
    size_t n = fd->c.len, i = 0, cur = 0;
#define SPL(k) ((f[k] & FS) && ifs_is(c[k]))
#define SPLWS(k) ((f[k] & FS) && ifs_is_ws(c[k]))
    int any_delim = 0;
    while (i < n) {
        if (!SPL(i)) {
            i++;
            continue;
        }
        size_t d = i;
        int hard = 0; /* a non-white IFS char in the delimiter */
        while (i < n && SPLWS(i))
            i++;
        if (i < n && SPL(i) && !SPLWS(i)) {
            hard = 1;
            i++;
            while (i < n && SPLWS(i))
                i++;
        }
        if (d > cur || hard || quoted_in(fd, cur, d))
            glob_or_add(c + cur, f + cur, d - cur, out);
        any_delim = 1;
        cur = i;
    }
    if (cur < n || (any_delim ? quoted_in(fd, cur, n) : (n > 0 || fd->quoted)))
        glob_or_add(c + cur, f + cur, n - cur, out);
#undef SPL
#undef SPLWS
}

void expand_fields(const char *word, struct strlist *out) {
    struct xstate x;
    memset(&x, 0, sizeof x);
    x.mode = M_FIELDS;
    expand_segment(&x, word, strlen(word), 0, 0, 0);
    field_end(&x);
    for (int i = 0; i < x.nout; i++) {
        split_field(&x.out[i], out);
        sb_free(&x.out[i].c);
        sb_free(&x.out[i].f);
        free(x.out[i].qend);
    }
    free(x.out);
}
