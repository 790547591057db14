/* expr: evaluate an expression (GNU coreutils' expr: | & < <= = == != >= >
 * + - * / % : match substr index length + TOKEN and parentheses, with GNU's
 * precedence, messages and exit statuses: 0 if the result is neither null nor
 * 0, 1 if it is, 2 for an invalid expression, 3 for another error).
 * Integers are 128-bit (GNU uses bignums: larger values are an error here). */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h"

typedef __int128 num;

struct value {
    int is_int;
    num i;
    char *s;
};

static char **args;

static _Noreturn void invalid(const char *fmt, const char *arg)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", tu_prog);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    exit(2);
}

static struct value int_value(num i)
{
    struct value v = {1, i, NULL};
    return v;
}

static struct value str_value(const char *s)
{
    struct value v = {0, 0, tu_xstrdup(s)};
    return v;
}

static char *num_to_str(num i)
{
    char buf[48], *p = buf + sizeof buf - 1;
    *p = 0;
    unsigned __int128 u = i < 0 ? -(unsigned __int128)i : (unsigned __int128)i;
    do {
        *--p = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (i < 0)
        *--p = '-';
    return tu_xstrdup(p);
}

static void tostring(struct value *v)
{
    if (v->is_int) {
        v->s = num_to_str(v->i);
        v->is_int = 0;
    }
}

static int looks_like_integer(const char *s)
{
    s += *s == '-';
    if (!*s)
        return 0;
    while (isdigit((unsigned char)*s))
        s++;
    return *s == 0;
}

/* Make v an integer if it looks like one. */
static int toarith(struct value *v)
{
    if (v->is_int)
        return 1;
    if (!looks_like_integer(v->s))
        return 0;
    const char *p = v->s;
    int neg = *p == '-';
    p += neg;
    num n = 0;
    for (; *p; p++) {
        if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, *p - '0', &n)) {
            fflush(stdout);
            fprintf(stderr, "%s: %s\n", tu_prog, "integer is too large");
            exit(3);
        }
    }
    v->i = neg ? -n : n;
    v->is_int = 1;
    return 1;
}

static int null(const struct value *v)
{
    if (v->is_int)
        return v->i == 0;
    const char *p = v->s;
    if (!*p)
        return 1;
    p += *p == '-';
    do {
        if (*p != '0')
            return 0;
    } while (*++p);
    return 1;
}

static int nomoreargs(void) { return *args == NULL; }

static int nextarg(const char *s)
{
    if (!*args)
        return 0;
    int r = strcmp(*args, s) == 0;
    args += r;
    return r;
}

static void require_arg(void)
{
    if (nomoreargs())
        invalid("syntax error: missing argument after %s", tu_quote(args[-1]));
}

static struct value eval(int evaluate);

static struct value docolon(struct value *sv, struct value *pv)
{
    tostring(sv);
    tostring(pv);
    regex_t re;
    int rc = tu_regcomp(&re, pv->s, 0, 0);
    if (rc != 0)
        invalid("%s", tu_regerror(rc));
    regmatch_t m[2];
    int matched = regexec(&re, sv->s, 2, m, 0) == 0 && m[0].rm_so == 0;
    struct value v;
    if (re.re_nsub > 0) {
        if (matched && m[1].rm_so >= 0) {
            size_t n = (size_t)(m[1].rm_eo - m[1].rm_so);
            char *s = tu_xmalloc(n + 1);
            memcpy(s, sv->s + m[1].rm_so, n);
            s[n] = 0;
            v.is_int = 0;
            v.s = s;
        } else {
            v = str_value("");
        }
    } else {
        v = int_value(matched ? (num)m[0].rm_eo : 0);
    }
    regfree(&re);
    return v;
}

static struct value eval7(int evaluate)
{
    require_arg();
    if (nextarg("(")) {
        struct value v = eval(evaluate);
        if (nomoreargs())
            invalid("syntax error: expecting ')' after %s", tu_quote(args[-1]));
        if (!nextarg(")"))
            invalid("syntax error: expecting ')' instead of %s", tu_quote(*args));
        return v;
    }
    if (nextarg(")"))
        invalid("syntax error: unexpected ')'%s", "");
    return str_value(*args++);
}

static struct value eval6(int evaluate)
{
    if (nextarg("+")) {
        require_arg();
        return str_value(*args++);
    }
    if (nextarg("length")) {
        require_arg();
        struct value r = eval6(evaluate);
        tostring(&r);
        return int_value((num)strlen(r.s));
    }
    if (nextarg("match")) {
        require_arg();
        struct value l = eval6(evaluate);
        require_arg();
        struct value r = eval6(evaluate);
        return evaluate ? docolon(&l, &r) : int_value(0);
    }
    if (nextarg("index")) {
        require_arg();
        struct value l = eval6(evaluate);
        require_arg();
        struct value r = eval6(evaluate);
        tostring(&l);
        tostring(&r);
        size_t pos = strcspn(l.s, r.s);
        return int_value(l.s[pos] ? (num)pos + 1 : 0);
    }
    if (nextarg("substr")) {
        require_arg();
        struct value l = eval6(evaluate);
        require_arg();
        struct value i1 = eval6(evaluate);
        require_arg();
        struct value i2 = eval6(evaluate);
        tostring(&l);
        size_t llen = strlen(l.s);
        if (!toarith(&i1) || !toarith(&i2) || i1.i <= 0 || i2.i <= 0 || (num)llen < i1.i)
            return str_value("");
        size_t start = (size_t)i1.i - 1;
        size_t n = (num)(llen - start) < i2.i ? llen - start : (size_t)i2.i;
        char *s = tu_xmalloc(n + 1);
        memcpy(s, l.s + start, n);
        s[n] = 0;
        struct value v = {0, 0, s};
        return v;
    }
    return eval7(evaluate);
}

static struct value eval5(int evaluate)
{
    struct value l = eval6(evaluate);
    while (nextarg(":")) {
        require_arg();
        struct value r = eval6(evaluate);
        if (evaluate)
            l = docolon(&l, &r);
    }
    return l;
}

static struct value arith(struct value *l, struct value *r, char op, int evaluate)
{
    if (!evaluate)
        return int_value(0);
    if (!toarith(l) || !toarith(r))
        invalid("non-integer argument%s", "");
    num a = l->i, b = r->i, v = 0;
    int overflow = 0;
    switch (op) {
    case '+': overflow = __builtin_add_overflow(a, b, &v); break;
    case '-': overflow = __builtin_sub_overflow(a, b, &v); break;
    case '*': overflow = __builtin_mul_overflow(a, b, &v); break;
    default:
        if (b == 0)
            invalid("division by zero%s", "");
        v = op == '/' ? a / b : a % b;
    }
    if (overflow) {
        fflush(stdout);
        fprintf(stderr, "%s: %s\n", tu_prog, "integer is too large");
        exit(3);
    }
    return int_value(v);
}

static struct value eval4(int evaluate)
{
    struct value l = eval5(evaluate);
    for (;;) {
        char op;
        if (nextarg("*"))
            op = '*';
        else if (nextarg("/"))
            op = '/';
        else if (nextarg("%"))
            op = '%';
        else
            return l;
        require_arg();
        struct value r = eval5(evaluate);
        l = arith(&l, &r, op, evaluate);
    }
}

static struct value eval3(int evaluate)
{
    struct value l = eval4(evaluate);
    for (;;) {
        char op;
        if (nextarg("+"))
            op = '+';
        else if (nextarg("-"))
            op = '-';
        else
            return l;
        require_arg();
        struct value r = eval4(evaluate);
        l = arith(&l, &r, op, evaluate);
    }
}

static struct value eval2(int evaluate)
{
    struct value l = eval3(evaluate);
    for (;;) {
        enum { LT, LE, EQ, NE, GE, GT } op;
        if (nextarg("<"))
            op = LT;
        else if (nextarg("<="))
            op = LE;
        else if (nextarg("=") || nextarg("=="))
            op = EQ;
        else if (nextarg("!="))
            op = NE;
        else if (nextarg(">="))
            op = GE;
        else if (nextarg(">"))
            op = GT;
        else
            return l;
        require_arg();
        struct value r = eval3(evaluate);
        int cmp = 0;
        if (evaluate) {
            if (toarith(&l) && toarith(&r)) {
                cmp = (l.i > r.i) - (l.i < r.i);
            } else {
                tostring(&l);
                tostring(&r);
                cmp = strcmp(l.s, r.s);
            }
        }
        int v;
        switch (op) {
        case LT: v = cmp < 0; break;
        case LE: v = cmp <= 0; break;
        case EQ: v = cmp == 0; break;
        case NE: v = cmp != 0; break;
        case GE: v = cmp >= 0; break;
        default: v = cmp > 0; break;
        }
        l = int_value(v);
    }
}

static struct value eval1(int evaluate)
{
    struct value l = eval2(evaluate);
    while (nextarg("&")) {
        require_arg();
        struct value r = eval2(evaluate && !null(&l));
        if (null(&l) || null(&r))
            l = int_value(0);
    }
    return l;
}

static struct value eval(int evaluate)
{
    struct value l = eval1(evaluate);
    while (nextarg("|")) {
        require_arg();
        struct value r = eval1(evaluate && null(&l));
        if (null(&l)) {
            l = r;
            if (null(&l))
                l = int_value(0);
        }
    }
    return l;
}

int main(int argc, char **argv)
{
    tu_init(argv);
    args = argv + 1;
    if (argc > 1 && strcmp(argv[1], "--") == 0) {
        args++;
        argc--;
    }
    if (argc <= 1) {
        tu_warn("missing operand");
        tu_usage(2);
    }
    struct value v = eval(1);
    if (!nomoreargs())
        invalid("syntax error: unexpected argument %s", tu_quote(*args));
    tostring(&v);
    puts(v.s);
    tu_flush_stdout();
    return null(&v);
}
