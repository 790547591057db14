/* tr: translate, squeeze and delete bytes (GNU coreutils' tr in the C locale:
 * -c/-C -d -s -t; ranges, escapes, [:class:], [=c=], [c*n] and [c*]). */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h"

/* An expanded set: the bytes in order, with where case classes start. */
struct set {
    int *c;
    size_t n, cap;
    /* For each element: 'u' or 'l' if it starts a [:upper:]/[:lower:] run, else 0. */
    char *class_at;
    /* The one [c*] fill construct (SET2 only): its position, and the byte. */
    long fill_at;
    int fill_c;
    int has_other_class;
    int has_equiv; /* a [=c=] */
    int has_class; /* any [:class:] */
    int ends_with_class;
    int nfills; /* [c*] constructs */
};

static void set_add(struct set *s, int c, char cls)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->c = tu_xrealloc(s->c, s->cap * sizeof *s->c);
        s->class_at = tu_xrealloc(s->class_at, s->cap);
    }
    s->class_at[s->n] = cls;
    s->c[s->n++] = c;
}

/* One possibly escaped byte at *p; advances *p. */
static int next_char(const char **p)
{
    const char *s = *p;
    if (*s == '\\') {
        s++;
        if (*s == 0) {
            tu_warn("warning: an unescaped backslash at end of string is not portable");
            *p = s;
            return '\\';
        }
        int out;
        if (*s != 'x' && tu_escape(&s, 0, &out)) {
            *p = s;
            return out;
        }
        /* \x is not special to tr; any other \c is c. */
        *p = s + 1;
        return (unsigned char)*s;
    }
    *p = s + 1;
    return (unsigned char)*s;
}

static const char *classes[] = {"alnum", "alpha", "blank", "cntrl", "digit", "graph",
                                "lower", "print", "punct", "space", "upper", "xdigit"};

static int in_class(int i, int c)
{
    switch (i) {
    case 0: return isalnum(c);
    case 1: return isalpha(c);
    case 2: return isblank(c);
    case 3: return iscntrl(c);
    case 4: return isdigit(c);
    case 5: return isgraph(c);
    case 6: return islower(c);
    case 7: return isprint(c);
    case 8: return ispunct(c);
    case 9: return isspace(c);
    case 10: return isupper(c);
    default: return isxdigit(c);
    }
}

static void parse_set(const char *str, struct set *s, int second)
{
    memset(s, 0, sizeof *s);
    s->fill_at = -1;
    const char *p = str;
    while (*p) {
        s->ends_with_class = 0;
        if (p[0] == '[' && p[1] == ':') {
            const char *end = strstr(p + 2, ":]");
            if (end) {
                size_t len = (size_t)(end - (p + 2));
                int found = -1;
                for (int i = 0; i < 12; i++)
                    if (strlen(classes[i]) == len && strncmp(p + 2, classes[i], len) == 0)
                        found = i;
                if (found < 0)
                    tu_die(1, "invalid character class '%.*s'", (int)len, p + 2);
                char cls = found == 10 ? 'u' : found == 6 ? 'l' : 0;
                if (!cls)
                    s->has_other_class = 1;
                s->has_class = 1;
                int first = 1;
                for (int c = 0; c < 256; c++) {
                    if (in_class(found, c)) {
                        set_add(s, c, first ? cls : 0);
                        first = 0;
                    }
                }
                p = end + 2;
                s->ends_with_class = 1;
                continue;
            }
        }
        if (p[0] == '[' && p[1] == '=' && p[2] && p[3] == '=' && p[4] == ']') {
            set_add(s, (unsigned char)p[2], 0);
            s->has_equiv = 1;
            p += 5;
            continue;
        }
        if (p[0] == '[' && p[1]) {
            /* [c*n] or [c*] */
            const char *q = p + 1;
            int c = next_char(&q);
            if (*q == '*') {
                const char *num = q + 1;
                const char *close = strchr(num, ']');
                if (close) {
                    size_t digits = (size_t)(close - num);
                    if (!second && digits == 0)
                        tu_die(1, "the [c*] repeat construct may not appear in string1");
                    if (digits == 0) {
                        s->fill_at = (long)s->n;
                        s->fill_c = c;
                        s->nfills++;
                    } else {
                        char *end;
                        unsigned long count = strtoul(num, &end, num[0] == '0' ? 8 : 10);
                        if (end != close)
                            tu_die(1, "invalid repeat count '%.*s' in [c*n] construct",
                                   (int)digits, num);
                        if (count == 0) {
                            s->fill_at = (long)s->n;
                            s->fill_c = c;
                            s->nfills++;
                        }
                        for (unsigned long i = 0; i < count; i++)
                            set_add(s, c, 0);
                    }
                    p = close + 1;
                    continue;
                }
            }
        }
        int c = next_char(&p);
        if (p[0] == '-' && p[1]) {
            const char *q = p + 1;
            int hi = next_char(&q);
            if (hi < c)
                tu_die(1, "range-endpoints of '%c-%c' are in reverse collating sequence order", c,
                       hi);
            for (int x = c; x <= hi; x++)
                set_add(s, x, 0);
            p = q;
            continue;
        }
        set_add(s, c, 0);
    }
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"complement", no_argument, 0, 'c'},
        {"delete", no_argument, 0, 'd'},
        {"squeeze-repeats", no_argument, 0, 's'},
        {"truncate-set1", no_argument, 0, 't'},
        {0, 0, 0, 0},
    };
    const char *optstring = "+cCdst";
    tu_init(argv);
    opterr = 0;
    int c, complement = 0, del = 0, squeeze = 0, truncate = 0;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'c': case 'C': complement = 1; break;
        case 'd': del = 1; break;
        case 's': squeeze = 1; break;
        case 't': truncate = 1; break;
        default: tu_bad_option(argv, optstring, 1);
        }
    }
    int nops = argc - optind;
    int translating = !del && nops >= 2;
    int need = del == squeeze ? 2 : 1;
    if (!del && !squeeze)
        need = 2;
    if (nops < 1 || (nops < need)) {
        if (nops == 0)
            tu_warn("missing operand");
        else {
            tu_warn("missing operand after %s", tu_quote(argv[argc - 1]));
            fprintf(stderr, del && squeeze ? "Two strings must be given when both deleting and squeezing repeats.\n"
                                           : "Two strings must be given when translating.\n");
        }
        tu_usage(1);
    }
    int max_ops = (del && !squeeze) ? 1 : 2;
    if (nops > max_ops) {
        tu_warn("extra operand %s", tu_quote(argv[optind + max_ops]));
        if (del && !squeeze)
            fprintf(stderr, "Only one string may be given when deleting without squeezing repeats.\n");
        tu_usage(1);
    }

    struct set s1, s2;
    parse_set(argv[optind], &s1, 0);
    int s1_has_class = s1.has_class;
    int in1[256] = {0};
    for (size_t i = 0; i < s1.n; i++)
        in1[s1.c[i]] = 1;
    if (complement) {
        /* The complement, in ascending order. */
        s1.n = 0;
        for (int x = 0; x < 256; x++)
            if (!in1[x])
                set_add(&s1, x, 0);
        memset(s1.class_at, 0, s1.n);
        for (int x = 0; x < 256; x++)
            in1[x] = !in1[x];
    }
    int map[256];
    for (int x = 0; x < 256; x++)
        map[x] = x;
    int squeeze_set[256] = {0};
    if (nops == 2) {
        parse_set(argv[optind + 1], &s2, 1);
        /* GNU's checks, in GNU's order. */
        if (s2.nfills > 1)
            tu_die(1, "only one [c*] repeat construct may appear in string2");
        if (!translating && s2.nfills > 0)
            tu_die(1, "the [c*] construct may appear in string2 only when translating");
        if (translating) {
            if (s2.has_equiv)
                tu_die(1, "[=c=] expressions may not appear in string2 when translating");
            if (s2.has_other_class)
                tu_die(1, "when translating, the only character classes that may appear in\n"
                          "string2 are 'upper' and 'lower'");
            if (s2.fill_at >= 0 && s1.n > s2.n) {
                /* [c*] fills SET2 up to SET1's length. */
                size_t extra = s1.n - s2.n;
                struct set t = {0};
                for (size_t i = 0; i <= s2.n; i++) {
                    if ((long)i == s2.fill_at)
                        for (size_t k = 0; k < extra; k++)
                            set_add(&t, s2.fill_c, 0);
                    if (i < s2.n)
                        set_add(&t, s2.c[i], s2.class_at[i]);
                }
                t.fill_at = -1;
                s2 = t;
            }
            /* GNU checks the alignment of case classes only without -c. */
            for (size_t i = 0; i < s2.n && i <= s1.n && !complement; i++) {
                if (s2.class_at[i] && !(i < s1.n && s1.class_at[i]))
                    tu_die(1, "misaligned [:upper:] and/or [:lower:] construct");
            }
            /* A [c*] in SET2 makes it as long as SET1. */
            if (s1.n > s2.n && s2.fill_at < 0 && !truncate) {
                if (s2.n == 0)
                    tu_die(1, "when not truncating set1, string2 must be non-empty");
                if (s2.ends_with_class)
                    tu_die(1, "when translating with string1 longer than string2,\n"
                              "the latter string must not end with a character class");
            }
            if (complement && s1_has_class) {
                /* Every byte of the complement must map to one and the same byte. */
                int homogeneous = s2.n > 0;
                for (size_t i = 1; i < s2.n; i++)
                    homogeneous &= s2.c[i] == s2.c[0];
                if (!homogeneous || (s2.n < s1.n && truncate))
                    tu_die(1, "when translating with complemented character classes,\n"
                              "string2 must map all characters in the domain to one");
            }
            if (s2.n == 0 && s1.n > 0 && !truncate)
                tu_die(1, "when not truncating set1, string2 must be non-empty");
            size_t n = s1.n;
            if (truncate && s2.n < n)
                n = s2.n;
            for (size_t i = 0; i < n; i++)
                map[s1.c[i]] = i < s2.n ? s2.c[i] : s2.c[s2.n - 1];
        }
        if (squeeze)
            for (size_t i = 0; i < s2.n; i++)
                squeeze_set[s2.c[i]] = 1;
    } else if (squeeze) {
        for (int x = 0; x < 256; x++)
            squeeze_set[x] = in1[x];
    }

    int last = -1;
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) {
        for (size_t i = 0; i < n; i++) {
            int x = (unsigned char)buf[i];
            if (del && in1[x])
                continue;
            x = map[x];
            if (squeeze && x == last && squeeze_set[x])
                continue;
            putchar(x);
            last = x;
        }
    }
    if (ferror(stdin))
        tu_die(1, "read error: %s", "Input/output error");
    tu_flush_stdout();
    return 0;
}
