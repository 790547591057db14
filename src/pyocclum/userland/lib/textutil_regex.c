/* textutil_regex: regular expressions as GNU grep and expr read them, over
 * wasi-libc's <regex.h> (musl's TRE). See tu_regcomp in textutil.h. */
#include <ctype.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h"

/* A back-reference to a group the pattern does not have: GNU refuses it
 * ("Invalid back reference"); <regex.h> takes it in an ERE. */
static int bad_backref(const char *p, int ere)
{
    int groups = 0, max_ref = 0;
    for (; *p; p++) {
        if (*p == '[') {
            /* Skip a bracket expression ("[]..." and "[^]..." hold a literal ']'). */
            p++;
            if (*p == '^')
                p++;
            if (*p == ']')
                p++;
            while (*p && *p != ']') {
                if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
                    const char *end = strchr(p + 2, p[1]);
                    p = end && end[1] == ']' ? end + 1 : p;
                }
                p++;
            }
            if (!*p)
                break;
        } else if (*p == '\\' && p[1]) {
            p++;
            if (!ere && *p == '(')
                groups++;
            else if (*p >= '1' && *p <= '9' && *p - '0' > max_ref)
                max_ref = *p - '0';
        } else if (ere && *p == '(') {
            groups++;
        }
    }
    return max_ref > groups;
}

/* Length of the bracket expression at p ("[...]"), or 0 if it is not closed. */
static size_t bracket_len(const char *p)
{
    const char *q = p + 1;
    if (*q == '^')
        q++;
    if (*q == ']')
        q++;
    while (*q && *q != ']') {
        if (*q == '[' && (q[1] == ':' || q[1] == '=' || q[1] == '.')) {
            const char *end = strchr(q + 2, q[1]);
            if (end && end[1] == ']')
                q = end + 1;
        }
        q++;
    }
    return *q ? (size_t)(q - p) + 1 : 0;
}

/* Is "{...}" at p a valid interval ({n}, {n,}, {,m}, {n,m})? */
static int valid_interval(const char *p)
{
    const char *q = p + 1;
    int digits = 0;
    while (*q >= '0' && *q <= '9')
        q++, digits++;
    if (*q == ',') {
        q++;
        while (*q >= '0' && *q <= '9')
            q++, digits++;
    }
    return *q == '}' && digits > 0;
}

/* Rewrite a pattern for <regex.h> so that it means what it means to GNU grep:
 * an escaped letter that GNU does not know stands for itself (\\d is "d", not
 * a digit); in an ERE a repetition at the start of an expression is dropped
 * with GNU's warning, a '{' that starts no valid interval is literal, and
 * {,m} is {0,m}; with to_bre, the ERE becomes the equivalent BRE (for
 * back-references, which <regex.h> supports only in BREs). */
static char *rewrite_pattern(const char *p, int ere, int to_bre)
{
    struct tu_buf b = {0};
    int at_start = 1; /* where a repetition has nothing to repeat */
    while (*p) {
        if (ere && at_start &&
            (*p == '*' || *p == '+' || *p == '?' || (*p == '{' && valid_interval(p)))) {
            tu_warn("warning: %s at start of expression", *p == '{' ? "{...}" : (char[]){*p, 0});
            p = *p == '{' ? strchr(p, '}') + 1 : p + 1;
            continue;
        }
        if (!ere && at_start && p[0] == '\\' && (p[1] == '{' || p[1] == '+' || p[1] == '?')) {
            tu_buf_addc(&b, p[1]); /* nothing to repeat: a plain character */
            p += 2;
            at_start = 0;
            continue;
        }
        int was_start = at_start;
        at_start = ere ? (*p == '(' || *p == '|')
                       : (*p == '\\' && (p[1] == '(' || p[1] == '|'));
        if (*p == '^' && was_start)
            at_start = 1;
        if (*p == '[') {
            size_t n = bracket_len(p);
            if (n) {
                tu_buf_add(&b, p, n);
                p += n;
                continue;
            }
        }
        if (*p == '\\' && p[1]) {
            char c = p[1];
            if (isalpha((unsigned char)c) && !strchr("wWsSbB", c))
                tu_buf_addc(&b, c); /* GNU: an unknown escape is the letter itself */
            else if (to_bre && strchr("(){}|+?", c))
                tu_buf_addc(&b, c); /* an escaped ERE operator is a plain char in a BRE */
            else
                tu_buf_add(&b, p, 2);
            p += 2;
            continue;
        }
        if (ere && *p == '{' && !valid_interval(p)) {
            tu_buf_add(&b, to_bre ? "{" : "\\{", to_bre ? 1 : 2);
        } else if (ere && *p == '{' && p[1] == ',') {
            tu_buf_add(&b, to_bre ? "\\{0" : "{0", to_bre ? 3 : 2); /* {,m} is {0,m} */
        } else if (to_bre && strchr("(){}|+?", *p)) {
            tu_buf_addc(&b, '\\');
            tu_buf_addc(&b, *p);
        } else {
            tu_buf_addc(&b, *p);
        }
        p++;
    }
    if (!b.data)
        tu_buf_add(&b, "", 0);
    return b.data;
}

static int has_backref(const char *p)
{
    for (; *p; p++) {
        if (*p == '[') {
            size_t n = bracket_len(p);
            if (n) {
                p += n - 1;
                continue;
            }
        }
        if (*p == '\\' && p[1]) {
            if (p[1] >= '1' && p[1] <= '9')
                return 1;
            p++;
        }
    }
    return 0;
}

int tu_regcomp(regex_t *re, const char *pattern, int ere, int icase)
{
    if (bad_backref(pattern, ere))
        return REG_ESUBREG;
    int to_bre = ere && has_backref(pattern);
    char *rewritten = rewrite_pattern(pattern, ere, to_bre);
    int flags = (ere && !to_bre ? REG_EXTENDED : 0) | (icase ? REG_ICASE : 0);
    int rc = regcomp(re, rewritten, flags);
    free(rewritten);
    return rc;
}

const char *tu_regerror(int code)
{
    switch (code) {
    case REG_EPAREN: return "Unmatched ( or \\(";
    case REG_EBRACK: return "Unmatched [, [^, [:, [., or [=";
    case REG_EBRACE: return "Unmatched \\{";
    case REG_BADBR: return "Invalid content of \\{\\}";
    case REG_ERANGE: return "Invalid range end";
    case REG_ECTYPE: return "Invalid character class name";
    case REG_EESCAPE: return "Trailing backslash";
    case REG_ESUBREG: return "Invalid back reference";
    case REG_BADRPT: return "Invalid preceding regular expression";
    case REG_ECOLLATE: return "Invalid collation character";
    case REG_ESPACE: return "Memory exhausted";
    default: return "Invalid regular expression";
    }
}
