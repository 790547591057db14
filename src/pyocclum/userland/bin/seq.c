/* seq: print a sequence of numbers (GNU coreutils' seq: FIRST INCREMENT LAST,
 * -s SEP, -w, -f FORMAT; GNU's precision and width rules; long double). */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h"

struct operand {
    long double value;
    int width;
    int precision; /* INT_MAX: unknown */
};

/* GNU's scan_arg: the value, and the width and precision it was written with. */
static struct operand scan_arg(const char *arg)
{
    struct operand r;
    char *end;
    r.value = strtold(arg, &end);
    if (end == arg || *end || !*arg) {
        tu_warn("invalid floating point argument: %s", tu_quote(arg));
        tu_usage(1);
    }
    if (isnan(r.value)) {
        tu_warn("invalid 'not-a-number' argument: %s", tu_quote(arg));
        tu_usage(1);
    }
    while (isspace((unsigned char)*arg) || *arg == '+')
        arg++;
    r.width = 0;
    r.precision = INT_MAX;
    const char *dot = strchr(arg, '.');
    if (!dot && !strchr(arg, 'p'))
        r.precision = 0;
    if (!arg[strcspn(arg, "xX")] && isfinite(r.value)) {
        long fraction = 0;
        r.width = (int)strlen(arg);
        if (dot) {
            fraction = (long)strcspn(dot + 1, "eE");
            r.precision = (int)fraction;
            r.width += fraction == 0 ? -1 : (dot == arg || !isdigit((unsigned char)dot[-1]));
        }
        const char *e = strchr(arg, 'e');
        if (!e)
            e = strchr(arg, 'E');
        if (e) {
            long exponent = strtol(e + 1, NULL, 10);
            r.precision += exponent < 0 ? (int)-exponent
                                        : -(r.precision < exponent ? r.precision : (int)exponent);
            r.width -= (int)(strlen(arg) - (size_t)(e - arg));
            if (exponent < 0) {
                if (dot) {
                    if (e == dot + 1)
                        r.width++;
                } else {
                    r.width++;
                }
                exponent = -exponent;
            } else {
                if (dot && r.precision == 0 && fraction)
                    r.width--;
                exponent -= fraction < exponent ? fraction : exponent;
            }
            r.width += (int)exponent;
        }
    }
    return r;
}

/* Check a -f format (one %e/f/g/a directive) and make it take a long double. */
static char *long_double_format(const char *fmt)
{
    size_t len = strlen(fmt);
    char *out = tu_xmalloc(len + 2);
    size_t o = 0;
    int seen = 0;
    for (size_t i = 0; i < len; i++) {
        if (fmt[i] != '%') {
            out[o++] = fmt[i];
            continue;
        }
        if (fmt[i + 1] == '%') {
            out[o++] = '%';
            out[o++] = '%';
            i++;
            continue;
        }
        if (seen)
            tu_die(1, "format %s has too many %% directives", tu_quote(fmt));
        seen = 1;
        out[o++] = fmt[i++];
        while (fmt[i] && strchr("-+ #0'", fmt[i]))
            out[o++] = fmt[i++];
        while (isdigit((unsigned char)fmt[i]))
            out[o++] = fmt[i++];
        if (fmt[i] == '.') {
            out[o++] = fmt[i++];
            while (isdigit((unsigned char)fmt[i]))
                out[o++] = fmt[i++];
        }
        if (fmt[i] == 'L')
            i++;
        if (!fmt[i])
            tu_die(1, "format %s ends in %%", tu_quote(fmt));
        if (!strchr("efgaEFGA", fmt[i]))
            tu_die(1, "format %s has unknown %%%c directive", tu_quote(fmt), fmt[i]);
        out[o++] = 'L';
        out[o++] = fmt[i];
    }
    out[o] = 0;
    if (!seen)
        tu_die(1, "format %s has no %% directive", tu_quote(fmt));
    return out;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, 0, 'f'},
        {"separator", required_argument, 0, 's'},
        {"equal-width", no_argument, 0, 'w'},
        {0, 0, 0, 0},
    };
    const char *optstring = "+f:s:w";
    tu_init(argv);
    opterr = 0;
    const char *format = NULL, *separator = "\n";
    int equal_width = 0, c;
    while (optind < argc) {
        const char *a = argv[optind];
        if (a[0] == '-' && (a[1] == '.' || isdigit((unsigned char)a[1])))
            break; /* a negative number */
        if ((c = getopt_long(argc, argv, optstring, longopts, NULL)) == -1)
            break;
        switch (c) {
        case 'f': format = optarg; break;
        case 's': separator = optarg; break;
        case 'w': equal_width = 1; break;
        default: tu_bad_option(argv, optstring, 1);
        }
    }
    int n = argc - optind;
    if (n < 1) {
        tu_warn("missing operand");
        tu_usage(1);
    }
    if (n > 3) {
        tu_warn("extra operand %s", tu_quote(argv[optind + 3]));
        tu_usage(1);
    }
    if (format && equal_width) {
        tu_warn("format string may not be specified when printing equal width strings");
        tu_usage(1);
    }
    struct operand first = {1, 1, 0}, step = {1, 1, 0}, last;
    if (n >= 2)
        first = scan_arg(argv[optind++]);
    if (n == 3) {
        step = scan_arg(argv[optind++]);
        if (step.value == 0) {
            tu_warn("invalid Zero increment value: %s", tu_quote(argv[optind - 1]));
            tu_usage(1);
        }
    }
    last = scan_arg(argv[optind]);

    char *fmt, buf[64];
    if (format) {
        fmt = long_double_format(format);
    } else {
        int prec = first.precision > step.precision ? first.precision : step.precision;
        if (prec != INT_MAX && last.precision != INT_MAX) {
            if (equal_width) {
                int fw = first.width + (prec - first.precision);
                int lw = last.width + (prec - last.precision);
                if (last.precision && prec == 0)
                    lw--;
                if (last.precision == 0 && prec)
                    lw++;
                if (first.precision == 0 && prec)
                    fw++;
                snprintf(buf, sizeof buf, "%%0%d.%dLf", fw > lw ? fw : lw, prec);
            } else {
                snprintf(buf, sizeof buf, "%%.%dLf", prec);
            }
        } else {
            snprintf(buf, sizeof buf, "%%Lg");
        }
        fmt = buf;
    }

    long double x = first.value;
    int out_of_range = step.value < 0 ? x < last.value : last.value < x;
    if (!out_of_range) {
        for (long double i = 1;; i++) {
            long double x0 = x;
            printf(fmt, x);
            x = first.value + i * step.value;
            out_of_range = step.value < 0 ? x < last.value : last.value < x;
            if (out_of_range) {
                /* GNU: print a number just past LAST if it prints as LAST
                 * (and differently from the one before): rounding. */
                char *xs, *x0s;
                int extra = 0;
                if (asprintf(&xs, fmt, x) >= 0 && asprintf(&x0s, fmt, x0) >= 0) {
                    char *end;
                    long double v = strtold(xs, &end);
                    extra = end != xs && v == last.value && strcmp(xs, x0s) != 0;
                    free(x0s);
                }
                free(xs);
                if (!extra)
                    break;
            }
            fputs(separator, stdout);
        }
        putchar('\n');
    }
    tu_flush_stdout();
    return 0;
}
