/* uniq: report or omit repeated adjacent lines (GNU coreutils' uniq:
 * -c -d -D -u -i -f N -s N -w N -z, [INPUT [OUTPUT]]). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "textutil.h"

static int count, fold;
/* GNU's three switches: -d clears unique, -u clears first_repeated, -D sets later_repeated. */
static int output_unique = 1, output_first_repeated = 1, output_later_repeated;
static uintmax_t skip_fields, skip_chars, check_chars = UINTMAX_MAX;
static char delim = '\n';

/* The part of a line that is compared. */
static void compared_part(const char *p, size_t n, const char **s, size_t *len)
{
    const char *lim = p + n;
    for (uintmax_t f = 0; f < skip_fields; f++) {
        while (p < lim && isblank((unsigned char)*p))
            p++;
        while (p < lim && !isblank((unsigned char)*p))
            p++;
    }
    for (uintmax_t c = 0; c < skip_chars && p < lim; c++)
        p++;
    size_t left = (size_t)(lim - p);
    *s = p;
    *len = check_chars < left ? (size_t)check_chars : left;
}

static int same(const char *a, size_t an, const char *b, size_t bn)
{
    const char *x, *y;
    size_t xn, yn;
    compared_part(a, an, &x, &xn);
    compared_part(b, bn, &y, &yn);
    if (xn != yn)
        return 0;
    return fold ? strncasecmp(x, y, xn) == 0 : memcmp(x, y, xn) == 0;
}

/* GNU's writeline: linecount is how many lines before this one matched. */
static void put_line(const char *p, size_t n, int match, uintmax_t linecount)
{
    if (!(linecount == 0 ? output_unique : !match ? output_first_repeated : output_later_repeated))
        return;
    if (count)
        printf("%7ju ", linecount + 1);
    fwrite(p, 1, n, stdout);
    putchar(delim);
}

static uintmax_t parse_number(const char *arg, const char *what)
{
    uintmax_t v;
    if (tu_parse_count(arg, &v) != 0 || strpbrk(arg, "bKMGTPEZY"))
        tu_die(1, "%s: %s", arg, what);
    return v;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"count", no_argument, 0, 'c'},
        {"repeated", no_argument, 0, 'd'},
        {"all-repeated", optional_argument, 0, 'D'},
        {"skip-fields", required_argument, 0, 'f'},
        {"ignore-case", no_argument, 0, 'i'},
        {"skip-chars", required_argument, 0, 's'},
        {"unique", no_argument, 0, 'u'},
        {"check-chars", required_argument, 0, 'w'},
        {"zero-terminated", no_argument, 0, 'z'},
        {0, 0, 0, 0},
    };
    const char *optstring = "cdDf:is:uw:z";
    tu_init(argv);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'c': count = 1; break;
        case 'd': output_unique = 0; break;
        case 'D': output_unique = 0; output_later_repeated = 1; break;
        case 'f': skip_fields = parse_number(optarg, "invalid number of fields to skip"); break;
        case 'i': fold = 1; break;
        case 's': skip_chars = parse_number(optarg, "invalid number of bytes to skip"); break;
        case 'u': output_first_repeated = 0; break;
        case 'w': check_chars = parse_number(optarg, "invalid number of bytes to compare"); break;
        case 'z': delim = 0; break;
        default: tu_bad_option(argv, optstring, 1);
        }
    }
    if (argc - optind > 2) {
        tu_warn("extra operand %s", tu_quote(argv[optind + 2]));
        tu_usage(1);
    }
    if (count && output_later_repeated) {
        tu_warn("printing all duplicated lines and repeat counts is meaningless");
        tu_usage(1);
    }
    const char *in = optind < argc ? argv[optind] : "-";
    FILE *f = tu_open(in);
    if (!f)
        tu_die(1, "%s: %s", tu_quotef(in, 0), tu_strerror(errno));
    if (optind + 1 < argc && strcmp(argv[optind + 1], "-") != 0 &&
        !freopen(argv[optind + 1], "w", stdout))
        tu_die(1, "%s: %s", tu_quotef(argv[optind + 1], 0), tu_strerror(errno));

    /* GNU's loop, line by line: a line is written when its group ends, or at
     * once with -D. */
    char *prev = NULL, *cur = NULL;
    size_t prev_cap = 0, cur_cap = 0, prev_len = 0;
    uintmax_t match_count = 0;
    ssize_t got;
    int have_prev = 0;
    while ((got = getdelim(&cur, &cur_cap, delim, f)) > 0) {
        size_t len = (size_t)got - (cur[got - 1] == delim);
        if (!have_prev) {
            have_prev = 1;
        } else {
            int match = same(prev, prev_len, cur, len);
            match_count += (uintmax_t)match;
            if (!(!match || output_later_repeated))
                continue;
            put_line(prev, prev_len, match, match_count);
            if (!match)
                match_count = 0;
        }
        /* The current line becomes the previous one. */
        char *t = prev;
        size_t tc = prev_cap;
        prev = cur;
        prev_cap = cur_cap;
        prev_len = len;
        cur = t;
        cur_cap = tc;
    }
    if (ferror(f))
        tu_die(1, "error reading %s", tu_quotef(in, 1));
    if (have_prev)
        put_line(prev, prev_len, 0, match_count);
    tu_flush_stdout();
    return 0;
}
