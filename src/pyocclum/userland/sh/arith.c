/* sh: $(( ... )) arithmetic on 64-bit integers, with C's operators and precedence. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sh.h"

/* 64 bits, as dash on Linux (long is 32 bits on wasm32) */
typedef long long num;

struct ar {
    const char *s;
    size_t i;
    int noeval; /* inside the untaken side of && || ?: */
};

static num ternary(struct ar *a);

static void ws(struct ar *a) {
    while (isspace((unsigned char)a->s[a->i]))
        a->i++;
}

static _Noreturn void bad(struct ar *a) {
    sh_fatal(2, "arithmetic expression: expecting primary: \"%s\"", a->s);
}

static num var_value(const char *name) {
    const char *v = var_get(name);
    if (v == NULL || *v == '\0') {
        if (v == NULL && opt_u)
            sh_fatal(2, "%s: parameter not set", name);
        return 0;
    }
    char *end;
    num n = strtoll(v, &end, 0);
    while (isspace((unsigned char)*end))
        end++;
    if (*end != '\0')
        sh_fatal(2, "Illegal number: %s", v);
    return n;
}

static int match(struct ar *a, const char *op) {
    ws(a);
    size_t n = strlen(op);
    if (strncmp(a->s + a->i, op, n) != 0)
        return 0;
    /* do not take "<" out of "<<" or "<=", "&" out of "&&", "=" out of "==" ... */
    char next = a->s[a->i + n];
    if (n == 1 && strchr("<>&|=!", op[0]) && (next == op[0] || next == '=') &&
        !(op[0] == '!' && next == '!'))
        return 0;
    if (n == 2 && (strcmp(op, "<<") == 0 || strcmp(op, ">>") == 0) && next == '=')
        return 0;
    a->i += n;
    return 1;
}

static num assign_to(struct ar *a, const char *name, num v) {
    if (!a->noeval) {
        char buf[32];
        snprintf(buf, sizeof buf, "%lld", v);
        if (var_set(name, buf, 0) < 0)
            sh_exit(2);
    }
    return v;
}

static num apply(struct ar *a, const char *op, num l, num r) {
    if ((op[0] == '/' || op[0] == '%') && r == 0) {
        if (a->noeval)
            return 0;
        sh_fatal(2, "arithmetic expression: division by zero: \"%s\"", a->s);
    }
    switch (op[0]) {
    case '*': return l * r;
    case '/': return l / r;
    case '%': return l % r;
    case '+': return l + r;
    case '-': return l - r;
    case '<': return l << r;
    case '>': return l >> r;
    case '&': return l & r;
    case '^': return l ^ r;
    case '|': return l | r;
    }
    return 0;
}

static num primary(struct ar *a) {
    ws(a);
    const char *s = a->s;
    char c = s[a->i];
    if (c == '(') {
        a->i++;
        num v = ternary(a);
        if (!match(a, ")"))
            bad(a);
        return v;
    }
    if (c == '+') {
        a->i++;
        return primary(a);
    }
    if (c == '-') {
        a->i++;
        return -primary(a);
    }
    if (c == '!' && s[a->i + 1] != '=') {
        a->i++;
        return !primary(a);
    }
    if (c == '~') {
        a->i++;
        return ~primary(a);
    }
    if (isdigit((unsigned char)c)) {
        char *end;
        num v = strtoll(s + a->i, &end, 0);
        if (isalnum((unsigned char)*end) || *end == '_')
            sh_fatal(2, "arithmetic expression: bad number: \"%s\"", s);
        a->i = (size_t)(end - s);
        return v;
    }
    if (isalpha((unsigned char)c) || c == '_') {
        size_t st = a->i;
        while (isalnum((unsigned char)s[a->i]) || s[a->i] == '_')
            a->i++;
        char *name = xstrndup(s + st, a->i - st);
        ws(a);
        static const char *const ops[] = {"<<=", ">>=", "*=", "/=", "%=", "+=", "-=",
                                          "&=", "^=", "|="};
        for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
            size_t n = strlen(ops[k]);
            if (strncmp(s + a->i, ops[k], n) == 0) {
                a->i += n;
                num r = ternary(a);
                num l = a->noeval ? 0 : var_value(name);
                num v = assign_to(a, name, apply(a, ops[k], l, r));
                free(name);
                return v;
            }
        }
        if (s[a->i] == '=' && s[a->i + 1] != '=') {
            a->i++;
            num v = assign_to(a, name, ternary(a));
            free(name);
            return v;
        }
        num v = a->noeval ? 0 : var_value(name);
        free(name);
        return v;
    }
    bad(a);
}

/* Binary levels, lowest first. */
static const char *const levels[][5] = {
    {"|", NULL}, {"^", NULL}, {"&", NULL}, {"==", "!=", NULL},
    {"<=", ">=", "<", ">", NULL}, {"<<", ">>", NULL}, {"+", "-", NULL},
    {"*", "/", "%", NULL}};
#define NLEVELS (int)(sizeof levels / sizeof *levels)

static num binary(struct ar *a, int level) {
    if (level >= NLEVELS)
        return primary(a);
    num l = binary(a, level + 1);
    for (;;) {
        const char *op = NULL;
        for (int k = 0; levels[level][k]; k++)
            if (match(a, levels[level][k])) {
                op = levels[level][k];
                break;
            }
        if (!op)
            return l;
        num r = binary(a, level + 1);
        if (strcmp(op, "==") == 0) l = l == r;
        else if (strcmp(op, "!=") == 0) l = l != r;
        else if (strcmp(op, "<=") == 0) l = l <= r;
        else if (strcmp(op, ">=") == 0) l = l >= r;
        else if (strcmp(op, "<") == 0) l = l < r;
        else if (strcmp(op, ">") == 0) l = l > r;
        else l = apply(a, op, l, r);
    }
}

static num logand(struct ar *a) {
    num l = binary(a, 0);
    while (match(a, "&&")) {
        int save = a->noeval;
        if (!l)
            a->noeval = 1;
        num r = binary(a, 0);
        a->noeval = save;
        l = l && r;
    }
    return l;
}

static num logor(struct ar *a) {
    num l = logand(a);
    while (match(a, "||")) {
        int save = a->noeval;
        if (l)
            a->noeval = 1;
        num r = logand(a);
        a->noeval = save;
        l = l || r;
    }
    return l;
}

static num ternary(struct ar *a) {
    num c = logor(a);
    if (!match(a, "?"))
        return c;
    int save = a->noeval;
    if (!c)
        a->noeval = 1;
    num t = ternary(a);
    a->noeval = save;
    if (!match(a, ":"))
        bad(a);
    if (c)
        a->noeval = 1;
    num f = ternary(a);
    a->noeval = save;
    return c ? t : f;
}

num arith_eval(const char *expr) {
    struct ar a = {expr, 0, 0};
    num v = ternary(&a);
    ws(&a);
    if (a.s[a.i] != '\0')
        bad(&a);
    return v;
}
