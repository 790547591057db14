/* cut: print selected parts of lines (GNU coreutils' cut: -b -c -f LIST, -d,
 * -s, -n, -z, --complement, --output-delimiter; GNU's list syntax and
 * messages). -c is -b: in the C locale a character is a byte. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h"

struct range {
    size_t lo, hi; /* 1-based, inclusive; hi SIZE_MAX: to the end */
};

static struct range *ranges;
static size_t nranges;
static int complement;

static _Noreturn void list_error(const char *fmt, const char *arg)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", tu_prog);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    tu_usage(1);
}

static void add_range(size_t lo, size_t hi)
{
    ranges = tu_xrealloc(ranges, (nranges + 1) * sizeof *ranges);
    ranges[nranges].lo = lo;
    ranges[nranges].hi = hi;
    nranges++;
}

/* GNU's set_fields. */
static void parse_list(const char *s, int fields)
{
    const char *zero = fields ? "fields are numbered from 1"
                              : "byte/character positions are numbered from 1";
    size_t value = 0, initial = 1;
    int lhs = 0, rhs = 0, dash = 0;
    for (;;) {
        if (*s == '-') {
            if (dash)
                list_error(fields ? "invalid field range" : "invalid byte or character range", "");
            dash = 1;
            s++;
            if (lhs && !value)
                list_error(zero, "");
            initial = lhs ? value : 1;
            value = 0;
        } else if (*s == ',' || isblank((unsigned char)*s) || *s == 0) {
            if (dash) {
                dash = 0;
                if (!lhs && !rhs)
                    list_error("invalid range with no endpoint: -", "");
                if (!rhs) {
                    add_range(initial, SIZE_MAX);
                } else {
                    if (value < initial)
                        list_error("invalid decreasing range", "");
                    add_range(initial, value);
                }
            } else {
                if (value == 0)
                    list_error(zero, "");
                add_range(value, value);
            }
            value = 0;
            if (*s == 0)
                break;
            s++;
            lhs = rhs = 0;
        } else if (isdigit((unsigned char)*s)) {
            if (dash)
                rhs = 1;
            else
                lhs = 1;
            value = value > (SIZE_MAX - 9) / 10 ? SIZE_MAX - 1 : value * 10 + (size_t)(*s - '0');
            s++;
        } else {
            list_error(fields ? "invalid field value %s" : "invalid byte/character position %s",
                       tu_quote(s));
        }
    }
}

static int compare_ranges(const void *a, const void *b)
{
    const struct range *x = a, *y = b;
    return (x->lo > y->lo) - (x->lo < y->lo);
}

/* As GNU: sort, merge overlapping ranges, and with --complement take the gaps. */
static void normalize_ranges(void)
{
    qsort(ranges, nranges, sizeof *ranges, compare_ranges);
    size_t out = 0;
    for (size_t i = 0; i < nranges; i++) {
        if (out > 0 && ranges[out - 1].hi >= ranges[i].lo) {
            if (ranges[i].hi > ranges[out - 1].hi)
                ranges[out - 1].hi = ranges[i].hi;
        } else {
            ranges[out++] = ranges[i];
        }
    }
    nranges = out;
    if (!complement)
        return;
    struct range *old = ranges;
    size_t n = nranges;
    ranges = NULL;
    nranges = 0;
    size_t next = 1;
    for (size_t i = 0; i < n; i++) {
        if (old[i].lo > next)
            add_range(next, old[i].lo - 1);
        next = old[i].hi == SIZE_MAX ? SIZE_MAX : old[i].hi + 1;
    }
    if (next != SIZE_MAX)
        add_range(next, SIZE_MAX);
    free(old);
}

static int selected(size_t i)
{
    for (size_t r = 0; r < nranges; r++)
        if (ranges[r].lo <= i && i <= ranges[r].hi)
            return 1;
    return 0;
}

static int range_start(size_t i)
{
    for (size_t r = 0; r < nranges; r++)
        if (ranges[r].lo == i)
            return 1;
    return 0;
}

int main(int argc, char **argv)
{
    enum { OPT_COMPLEMENT = 256, OPT_OUTPUT_DELIMITER };
    static const struct option longopts[] = {
        {"bytes", required_argument, 0, 'b'},
        {"characters", required_argument, 0, 'c'},
        {"fields", required_argument, 0, 'f'},
        {"delimiter", required_argument, 0, 'd'},
        {"only-delimited", no_argument, 0, 's'},
        {"zero-terminated", no_argument, 0, 'z'},
        {"complement", no_argument, 0, OPT_COMPLEMENT},
        {"output-delimiter", required_argument, 0, OPT_OUTPUT_DELIMITER},
        {0, 0, 0, 0},
    };
    const char *optstring = "b:c:d:f:nsz";
    tu_init(argv);
    opterr = 0;
    int c, mode = 0, only_delimited = 0, have_delim = 0;
    char delim = '\t', eol = '\n';
    const char *list = NULL, *out_delim = NULL;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
        case 'c':
        case 'f':
            if (mode) {
                tu_warn("only one list may be specified");
                tu_usage(1);
            }
            mode = c == 'c' ? 'b' : c;
            list = optarg;
            break;
        case 'd':
            if (optarg[0] && optarg[1]) {
                tu_warn("the delimiter must be a single character");
                tu_usage(1);
            }
            delim = optarg[0];
            have_delim = 1;
            break;
        case 'n': break;
        case 's': only_delimited = 1; break;
        case 'z': eol = 0; break;
        case OPT_COMPLEMENT: complement = 1; break;
        case OPT_OUTPUT_DELIMITER: out_delim = optarg; break;
        default: tu_bad_option(argv, optstring, 1);
        }
    }
    if (!mode) {
        tu_warn("you must specify a list of bytes, characters, or fields");
        tu_usage(1);
    }
    if (mode == 'b' && have_delim) {
        tu_warn("an input delimiter may be specified only when operating on fields");
        tu_usage(1);
    }
    if (mode == 'b' && only_delimited) {
        tu_warn("suppressing non-delimited lines makes sense\n\tonly when operating on fields");
        tu_usage(1);
    }
    parse_list(list, mode == 'f');
    normalize_ranges();
    char delim_str[2] = {delim, 0};
    size_t out_len = out_delim ? strlen(out_delim) : 1;
    if (!out_delim)
        out_delim = delim_str;

    char *dash[] = {"-", NULL};
    char **files = optind < argc ? argv + optind : dash;
    int status = 0;
    for (; *files; files++) {
        FILE *f = tu_open(*files);
        if (!f) {
            tu_warn_errno(*files);
            status = 1;
            continue;
        }
        /* Line by line, so that cut works on endless input in a pipeline. */
        char *p = NULL;
        size_t cap = 0;
        ssize_t got;
        while ((got = getdelim(&p, &cap, eol, f)) > 0) {
            size_t len = (size_t)got - (p[got - 1] == eol);
            if (mode == 'b') {
                /* --output-delimiter goes before each range but the first printed. */
                int printed = 0;
                for (size_t i = 0; i < len; i++) {
                    if (!selected(i + 1))
                        continue;
                    if (printed && out_delim != delim_str && range_start(i + 1))
                        fwrite(out_delim, 1, out_len, stdout);
                    putchar(p[i]);
                    printed = 1;
                }
            } else {
                if (!memchr(p, delim, len)) {
                    if (!only_delimited) {
                        fwrite(p, 1, len, stdout);
                        putchar(eol);
                    }
                    continue;
                }
                size_t field = 1, start = 0;
                int printed = 0;
                for (size_t i = 0; i <= len; i++) {
                    if (i == len || p[i] == delim) {
                        if (selected(field)) {
                            if (printed)
                                fwrite(out_delim, 1, out_len, stdout);
                            fwrite(p + start, 1, i - start, stdout);
                            printed = 1;
                        }
                        field++;
                        start = i + 1;
                    }
                }
            }
            putchar(eol);
        }
        if (ferror(f)) {
            tu_warn_errno(*files);
            status = 1;
        }
        free(p);
        tu_close(f);
    }
    tu_flush_stdout();
    return status;
}
