/* sort: sort lines (GNU coreutils' sort in the C locale: -b -d -f -g -h -i -M
 * -n -r -k -t -s -u -c -C -o -z; keys with their own options; a stable merge
 * sort with GNU's last-resort whole-line comparison unless -s or -u). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "textutil.h"

struct key {
    size_t sword, schar;     /* 0-based start field and character */
    size_t eword, echar;     /* 0-based end field; echar 0 = end of that field */
    int skip_sblanks, skip_eblanks;
    int dictionary, fold, ignore_nonprint, numeric, general, human, month, version, reverse;
};

static struct key *keys;
static size_t nkeys;
static struct key global_opts;
static int tab = -1; /* -1: fields are separated by blanks */
static int stable, unique;
static char delim = '\n';

static int is_blank(int c) { return c == ' ' || c == '\t'; }

static const char *begfield(const struct tu_line *l, const struct key *k)
{
    const char *p = l->p, *lim = l->p + l->n;
    size_t sword = k->sword;
    if (tab >= 0) {
        while (p < lim && sword--) {
            while (p < lim && *p != tab)
                p++;
            if (p < lim)
                p++;
        }
    } else {
        while (p < lim && sword--) {
            while (p < lim && is_blank(*p))
                p++;
            while (p < lim && !is_blank(*p))
                p++;
        }
    }
    if (k->skip_sblanks)
        while (p < lim && is_blank(*p))
            p++;
    return (size_t)(lim - p) < k->schar ? lim : p + k->schar;
}

static const char *limfield(const struct tu_line *l, const struct key *k)
{
    const char *p = l->p, *lim = l->p + l->n;
    size_t eword = k->eword, echar = k->echar;
    if (eword == SIZE_MAX)
        return lim;
    if (echar == 0)
        eword++;
    if (tab >= 0) {
        while (p < lim && eword--) {
            while (p < lim && *p != tab)
                p++;
            if (p < lim && (eword || echar))
                p++;
        }
    } else {
        while (p < lim && eword--) {
            while (p < lim && is_blank(*p))
                p++;
            while (p < lim && !is_blank(*p))
                p++;
        }
    }
    if (echar != 0) {
        if (k->skip_eblanks)
            while (p < lim && is_blank(*p))
                p++;
        p = (size_t)(lim - p) < echar ? lim : p + echar;
    }
    return p;
}

/* GNU's numeric comparison: blanks, a sign, digits, a '.', digits; anything
 * else ends the number (an empty number is zero). */
static int numcompare(const char *a, const char *alim, const char *b, const char *blim)
{
    const char *s[2] = {a, b}, *lim[2] = {alim, blim};
    const char *ip[2], *fp[2];
    size_t il[2], fl[2];
    int neg[2];
    for (int i = 0; i < 2; i++) {
        const char *p = s[i];
        while (p < lim[i] && is_blank(*p))
            p++;
        neg[i] = p < lim[i] && *p == '-';
        if (neg[i])
            p++;
        while (p < lim[i] && *p == '0')
            p++;
        ip[i] = p;
        while (p < lim[i] && isdigit((unsigned char)*p))
            p++;
        il[i] = (size_t)(p - ip[i]);
        fp[i] = p;
        fl[i] = 0;
        if (p < lim[i] && *p == '.') {
            fp[i] = ++p;
            while (p < lim[i] && isdigit((unsigned char)*p))
                p++;
            fl[i] = (size_t)(p - fp[i]);
            while (fl[i] > 0 && fp[i][fl[i] - 1] == '0')
                fl[i]--;
        }
        if (il[i] == 0 && fl[i] == 0)
            neg[i] = 0; /* -0 is 0 */
    }
    if (neg[0] != neg[1])
        return neg[0] ? -1 : 1;
    int sign = neg[0] ? -1 : 1, diff;
    if (il[0] != il[1])
        return sign * (il[0] < il[1] ? -1 : 1);
    diff = memcmp(ip[0], ip[1], il[0]);
    if (diff)
        return sign * (diff < 0 ? -1 : 1);
    size_t n = fl[0] < fl[1] ? fl[0] : fl[1];
    diff = memcmp(fp[0], fp[1], n);
    if (diff)
        return sign * (diff < 0 ? -1 : 1);
    if (fl[0] != fl[1])
        return sign * (fl[0] < fl[1] ? -1 : 1);
    return 0;
}

static int unit_order(const char *p, const char *lim)
{
    static const char units[] = "KMGTPEZYRQ";
    while (p < lim && is_blank(*p))
        p++;
    int neg = p < lim && *p == '-';
    if (neg)
        p++;
    while (p < lim && (isdigit((unsigned char)*p) || *p == '.'))
        p++;
    int order = 0;
    if (p < lim && *p == 'k')
        order = 1;
    else if (p < lim && *p && strchr(units, *p))
        order = (int)(strchr(units, *p) - units) + 1;
    return neg ? -order : order;
}

static int general_compare(const char *a, const char *alim, const char *b, const char *blim)
{
    char *ea, *eb;
    char *sa = strndup(a, (size_t)(alim - a)), *sb = strndup(b, (size_t)(blim - b));
    long double x = strtold(sa, &ea), y = strtold(sb, &eb);
    int bad_a = ea == sa, bad_b = eb == sb;
    free(sa);
    free(sb);
    if (bad_a || bad_b)
        return bad_a && bad_b ? 0 : bad_a ? -1 : 1;
    if (isnan(x) || isnan(y))
        return isnan(x) && isnan(y) ? 0 : isnan(x) ? -1 : 1;
    return x < y ? -1 : x > y;
}

static int month_of(const char *p, const char *lim)
{
    static const char *months[] = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                   "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
    while (p < lim && is_blank(*p))
        p++;
    if (lim - p < 3)
        return 0;
    for (int i = 0; i < 12; i++)
        if (strncasecmp(p, months[i], 3) == 0)
            return i + 1;
    return 0;
}

/* -V: gnulib's filenvercmp as in coreutils 9.1 (Debian's version order, file
 * suffixes (\.[A-Za-z~][A-Za-z0-9~]*)*$ compared last; a name that is all
 * suffix, like ".a", has an empty prefix). */
static size_t file_prefixlen(const char *s, size_t n)
{
    for (size_t i = 0;; i++) {
        size_t prefixlen = i;
        while (i + 1 < n && s[i] == '.' && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '~'))
            for (i += 2; i < n && (isalnum((unsigned char)s[i]) || s[i] == '~'); i++)
                ;
        if (i >= n)
            return prefixlen;
    }
}

static int ver_order(const char *s, size_t pos, size_t len)
{
    if (pos == len)
        return -1;
    unsigned char c = (unsigned char)s[pos];
    if (isdigit(c))
        return 0;
    if (isalpha(c))
        return c;
    if (c == '~')
        return -2;
    return c + 256;
}

static int verrevcmp(const char *s1, size_t l1, const char *s2, size_t l2)
{
    size_t p1 = 0, p2 = 0;
    while (p1 < l1 || p2 < l2) {
        int first_diff = 0;
        while ((p1 < l1 && !isdigit((unsigned char)s1[p1])) ||
               (p2 < l2 && !isdigit((unsigned char)s2[p2]))) {
            int c1 = ver_order(s1, p1, l1), c2 = ver_order(s2, p2, l2);
            if (c1 != c2)
                return c1 - c2;
            p1++;
            p2++;
        }
        while (p1 < l1 && s1[p1] == '0')
            p1++;
        while (p2 < l2 && s2[p2] == '0')
            p2++;
        while (p1 < l1 && p2 < l2 && isdigit((unsigned char)s1[p1]) &&
               isdigit((unsigned char)s2[p2])) {
            if (!first_diff)
                first_diff = s1[p1] - s2[p2];
            p1++;
            p2++;
        }
        if (p1 < l1 && isdigit((unsigned char)s1[p1]))
            return 1;
        if (p2 < l2 && isdigit((unsigned char)s2[p2]))
            return -1;
        if (first_diff)
            return first_diff;
    }
    return 0;
}

static int filenvercmp(const char *a, size_t alen, const char *b, size_t blen)
{
    if (!alen)
        return -(blen != 0);
    if (!blen)
        return 1;
    if (a[0] == '.') {
        if (b[0] != '.')
            return -1;
        if (alen == 1)
            return -(blen != 1);
        if (blen == 1)
            return 1;
        int add = a[1] == '.' && alen == 2, bdd = b[1] == '.' && blen == 2;
        if (add)
            return -!bdd;
        if (bdd)
            return 1;
    } else if (b[0] == '.') {
        return 1;
    }
    size_t ap = file_prefixlen(a, alen), bp = file_prefixlen(b, blen);
    int one_pass = ap == alen && bp == blen;
    int r = verrevcmp(a, ap, b, bp);
    return r || one_pass ? r : verrevcmp(a, alen, b, blen);
}

static int ignored(const struct key *k, int c)
{
    if (k->dictionary && !(isalnum(c) || is_blank(c)))
        return 1;
    return k->ignore_nonprint && !isprint(c);
}

static int compare_text(const struct key *k, const char *a, const char *alim, const char *b,
                        const char *blim);

/* A copy of [p, lim) without the bytes the key ignores, folded with -f. */
static char *filtered(const struct key *k, const char *p, const char *lim, size_t *len)
{
    char *out = tu_xmalloc((size_t)(lim - p) + 1);
    size_t n = 0;
    for (; p < lim; p++) {
        int c = (unsigned char)*p;
        if (ignored(k, c))
            continue;
        out[n++] = (char)(k->fold ? toupper(c) : c);
    }
    out[n] = 0;
    *len = n;
    return out;
}

static int compare_text(const struct key *k, const char *a, const char *alim, const char *b,
                        const char *blim)
{
    if ((k->numeric || k->general || k->human || k->month || k->version) &&
        (k->dictionary || k->ignore_nonprint || k->fold)) {
        /* GNU drops ignored bytes and folds case first, then compares. */
        struct key plain = *k;
        plain.dictionary = plain.ignore_nonprint = plain.fold = 0;
        size_t la, lb;
        char *fa = filtered(k, a, alim, &la), *fb = filtered(k, b, blim, &lb);
        int d = compare_text(&plain, fa, fa + la, fb, fb + lb);
        free(fa);
        free(fb);
        return d;
    }
    if (k->numeric)
        return numcompare(a, alim, b, blim);
    if (k->general)
        return general_compare(a, alim, b, blim);
    if (k->human) {
        int d = unit_order(a, alim) - unit_order(b, blim);
        return d ? d : numcompare(a, alim, b, blim);
    }
    if (k->month)
        return month_of(a, alim) - month_of(b, blim);
    if (k->version)
        return filenvercmp(a, (size_t)(alim - a), b, (size_t)(blim - b));
    if (k->dictionary || k->fold || k->ignore_nonprint) {
        for (;;) {
            while (a < alim && ignored(k, (unsigned char)*a))
                a++;
            while (b < blim && ignored(k, (unsigned char)*b))
                b++;
            if (a == alim || b == blim)
                return (a < alim) - (b < blim);
            int x = (unsigned char)*a++, y = (unsigned char)*b++;
            if (k->fold) {
                x = toupper(x);
                y = toupper(y);
            }
            if (x != y)
                return x - y;
        }
    }
    size_t la = (size_t)(alim - a), lb = (size_t)(blim - b);
    int d = memcmp(a, b, la < lb ? la : lb);
    return d ? d : (la > lb) - (la < lb);
}

/* Compare by the keys only (0: equal for -u). */
static int keycompare(const struct tu_line *x, const struct tu_line *y)
{
    for (size_t i = 0; i < nkeys; i++) {
        const struct key *k = &keys[i];
        const char *a = begfield(x, k), *alim = limfield(x, k);
        const char *b = begfield(y, k), *blim = limfield(y, k);
        if (alim < a)
            alim = a;
        if (blim < b)
            blim = b;
        int d = compare_text(k, a, alim, b, blim);
        if (d)
            return k->reverse ? (d < 0) - (d > 0) : (d > 0) - (d < 0);
    }
    return 0;
}

static int compare(const struct tu_line *x, const struct tu_line *y)
{
    int d = nkeys ? keycompare(x, y) : 0;
    if (nkeys && (d || stable || unique))
        return d;
    size_t n = x->n < y->n ? x->n : y->n;
    d = memcmp(x->p, y->p, n);
    if (!d)
        d = (x->n > y->n) - (x->n < y->n);
    d = (d > 0) - (d < 0);
    return global_opts.reverse ? -d : d;
}

static void merge_sort(struct tu_line *v, struct tu_line *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    merge_sort(v, tmp, h);
    merge_sort(v + h, tmp, n - h);
    if (compare(&v[h - 1], &v[h]) <= 0)
        return;
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = compare(&v[j], &v[i]) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof *v);
}

static int has_ordering(const struct key *k)
{
    return k->skip_sblanks || k->skip_eblanks || k->dictionary || k->fold ||
           k->ignore_nonprint || k->numeric || k->general || k->human || k->month || k->version ||
           k->reverse;
}

/* Ordering letters (from -k or global options); returns the rest of s. */
static const char *set_ordering(const char *s, struct key *k, int blank_end)
{
    for (;; s++) {
        switch (*s) {
        case 'b':
            if (blank_end)
                k->skip_eblanks = 1;
            else
                k->skip_sblanks = 1;
            break;
        case 'd': k->dictionary = 1; k->ignore_nonprint = 0; break; /* d wins over i */
        case 'f': k->fold = 1; break;
        case 'g': k->general = 1; break;
        case 'h': k->human = 1; break;
        case 'i': k->ignore_nonprint = !k->dictionary; break;
        case 'M': k->month = 1; break;
        case 'n': k->numeric = 1; break;
        case 'r': k->reverse = 1; break;
        case 'V': k->version = 1; break;
        default: return s;
        }
    }
}

/* GNU: at most one of n, g, h, M and an ignore option (d or i) per key. */
static void check_compatible(const struct key *k)
{
    if (k->numeric + k->general + k->human + k->month +
            (k->version || k->dictionary || k->ignore_nonprint) <= 1)
        return;
    char opts[16];
    size_t n = 0;
    if (k->dictionary)
        opts[n++] = 'd';
    if (k->fold)
        opts[n++] = 'f';
    if (k->general)
        opts[n++] = 'g';
    if (k->human)
        opts[n++] = 'h';
    if (k->ignore_nonprint)
        opts[n++] = 'i';
    if (k->month)
        opts[n++] = 'M';
    if (k->numeric)
        opts[n++] = 'n';
    if (k->version)
        opts[n++] = 'V';
    opts[n] = 0;
    tu_die(2, "options '-%s' are incompatible", opts);
}

static void bad_spec(const char *why, const char *spec)
{
    tu_die(2, "%s: invalid field specification %s", why, tu_quote(spec));
}

static const char *parse_count(const char *s, size_t *out, const char *what)
{
    if (!isdigit((unsigned char)*s))
        tu_die(2, "%s: invalid count at start of %s", what, tu_quote(s));
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    *out = errno == ERANGE || v > SIZE_MAX ? SIZE_MAX : (size_t)v;
    return end;
}

static void add_key(const char *spec)
{
    struct key k;
    memset(&k, 0, sizeof k);
    const char *s = parse_count(spec, &k.sword, "invalid number at field start");
    if (k.sword-- == 0)
        bad_spec("field number is zero", spec);
    if (*s == '.') {
        s = parse_count(s + 1, &k.schar, "invalid number after '.'");
        if (k.schar-- == 0)
            bad_spec("character offset is zero", spec);
    }
    s = set_ordering(s, &k, 0);
    if (*s == ',') {
        s = parse_count(s + 1, &k.eword, "invalid number after ','");
        if (k.eword-- == 0)
            bad_spec("field number is zero", spec);
        if (*s == '.')
            s = parse_count(s + 1, &k.echar, "invalid number after '.'");
        s = set_ordering(s, &k, 1);
    } else {
        k.eword = SIZE_MAX;
    }
    if (*s)
        bad_spec("stray character in field spec", spec);
    keys = tu_xrealloc(keys, (nkeys + 1) * sizeof *keys);
    keys[nkeys++] = k;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"ignore-leading-blanks", no_argument, 0, 'b'},
        {"check", optional_argument, 0, 'c'},
        {"dictionary-order", no_argument, 0, 'd'},
        {"ignore-case", no_argument, 0, 'f'},
        {"general-numeric-sort", no_argument, 0, 'g'},
        {"human-numeric-sort", no_argument, 0, 'h'},
        {"ignore-nonprinting", no_argument, 0, 'i'},
        {"key", required_argument, 0, 'k'},
        {"month-sort", no_argument, 0, 'M'},
        {"numeric-sort", no_argument, 0, 'n'},
        {"output", required_argument, 0, 'o'},
        {"reverse", no_argument, 0, 'r'},
        {"stable", no_argument, 0, 's'},
        {"field-separator", required_argument, 0, 't'},
        {"unique", no_argument, 0, 'u'},
        {"version-sort", no_argument, 0, 'V'},
        {"zero-terminated", no_argument, 0, 'z'},
        {0, 0, 0, 0},
    };
    const char *optstring = "bcCdfghik:Mnmo:rsS:t:T:uVz";
    tu_init(argv);
    opterr = 0;
    int c, check = 0;
    const char *output = NULL;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'b': case 'd': case 'f': case 'g': case 'h': case 'i': case 'M': case 'n':
        case 'r': case 'V': {
            char letter[2] = {(char)c, 0};
            set_ordering(letter, &global_opts, 0);
            if (c == 'b')
                global_opts.skip_eblanks = 1;
            break;
        }
        case 'c': check = optarg && strcmp(optarg, "quiet") == 0 ? 2 : 1; break;
        case 'C': check = 2; break;
        case 'k': add_key(optarg); break;
        case 'm': case 'S': case 'T': break; /* merge, buffer size, temp dir: no effect here */
        case 'o': output = optarg; break;
        case 's': stable = 1; break;
        case 't':
            if (optarg[0] && optarg[1]) {
                if (strcmp(optarg, "\\0") == 0)
                    tab = 0;
                else
                    tu_die(2, "multi-character tab %s", tu_quote(optarg));
            } else if (!optarg[0]) {
                tu_die(2, "empty tab");
            } else {
                if (tab >= 0 && tab != (unsigned char)optarg[0])
                    tu_die(2, "incompatible tabs");
                tab = (unsigned char)optarg[0];
            }
            break;
        case 'u': unique = 1; break;
        case 'z': delim = 0; break;
        default: tu_bad_option(argv, optstring, 2);
        }
    }
    /* Keys without ordering options take the global ones; no key: the whole line. */
    for (size_t i = 0; i < nkeys; i++) {
        if (!has_ordering(&keys[i])) {
            struct key k = global_opts;
            k.sword = keys[i].sword;
            k.schar = keys[i].schar;
            k.eword = keys[i].eword;
            k.echar = keys[i].echar;
            keys[i] = k;
        }
    }
    if (nkeys == 0 && has_ordering(&global_opts)) {
        keys = tu_xmalloc(sizeof *keys);
        keys[0] = global_opts;
        keys[0].sword = keys[0].schar = keys[0].echar = 0;
        keys[0].eword = SIZE_MAX;
        nkeys = 1;
    }
    for (size_t i = 0; i < nkeys; i++)
        check_compatible(&keys[i]);

    int nfiles = argc - optind;
    char *dash[] = {"-", NULL};
    char **files = nfiles ? argv + optind : dash;
    if (!nfiles)
        nfiles = 1;
    if (check && nfiles > 1)
        tu_die(2, "extra operand %s not allowed with -%c", tu_quote(files[1]), check == 2 ? 'C' : 'c');

    struct tu_buf all = {0};
    for (int i = 0; i < nfiles; i++) {
        FILE *f = tu_open(files[i]);
        if (!f)
            tu_die(2, "cannot read: %s: %s", tu_quotef(files[i], 0), tu_strerror(errno));
        struct stat st;
        size_t before = all.len;
        if ((fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode) && (errno = EISDIR)) ||
            tu_read_all(f, &all) != 0)
            tu_die(2, "read failed: %s: %s", tu_quotef(files[i], 0), tu_strerror(errno));
        tu_close(f);
        if (all.len > before && all.data[all.len - 1] != delim)
            tu_buf_addc(&all, delim);
    }
    struct tu_line *lines;
    size_t n = tu_split_lines(&all, delim, &lines);

    if (check) {
        for (size_t i = 1; i < n; i++) {
            int d = compare(&lines[i - 1], &lines[i]);
            if (d > 0 || (unique && d == 0)) {
                if (check == 1) {
                    fprintf(stderr, "%s: %s:%zu: disorder: ", tu_prog, files[0], i + 1);
                    fwrite(lines[i].p, 1, lines[i].n, stderr);
                    fputc('\n', stderr);
                }
                return 1;
            }
        }
        return 0;
    }

    struct tu_line *tmp = tu_xmalloc(n * sizeof *tmp);
    merge_sort(lines, tmp, n);
    if (output && !freopen(output, "w", stdout))
        tu_die(2, "open failed: %s: %s", tu_quotef(output, 0), tu_strerror(errno));
    for (size_t i = 0; i < n; i++) {
        if (unique && i > 0 && compare(&lines[i - 1], &lines[i]) == 0)
            continue;
        fwrite(lines[i].p, 1, lines[i].n, stdout);
        putchar(delim);
    }
    if (fflush(stdout) != 0 || ferror(stdout))
        tu_die(2, "write failed: %s", tu_strerror(errno));
    return 0;
}
