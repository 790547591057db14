/* date: print the date and time (GNU coreutils' date: +FORMAT with GNU's
 * flags and widths, -u, -d DATE, -r FILE, -R, -I[TIMESPEC], --rfc-3339).
 * Times are shown in UTC: the LibOS has no time zone database (TZ is not
 * read), which is what coreutils shows with TZ=UTC. Setting the clock is
 * not supported. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fileutil.h"

struct out {
    char *p;
    size_t len, cap;
};

static void put(struct out *o, const char *s, size_t n) {
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2 + 64;
        o->p = fu_xrealloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = 0;
}

static void format(struct out *o, const char *fmt, const struct tm *tm, const struct timespec *ts);

/* Default width and pad of a numeric conversion (0: not numeric). */
static int numeric(char c, char *pad) {
    *pad = '0';
    switch (c) {
    case 'd': case 'H': case 'I': case 'm': case 'M': case 'S': case 'U': case 'V':
    case 'W': case 'y': case 'C': case 'g':
        return 2;
    case 'e': case 'k': case 'l':
        *pad = ' ';
        return 2;
    case 'j':
        return 3;
    case 'Y': case 'G': case 's': case 'u': case 'w': case 'q':
        return 1;
    }
    return 0;
}

static void directive(struct out *o, char flag, int width, int colons, char c, const struct tm *tm,
                      const struct timespec *ts) {
    char buf[128];
    char pad;
    int def = numeric(c, &pad);
    if (def) {
        long long v;
        if (c == 's') {
            v = ts->tv_sec;
        } else if (c == 'q') {
            v = tm->tm_mon / 3 + 1;
        } else if (c == 'k') {
            v = tm->tm_hour; /* musl's strftime lacks %k and %l */
        } else if (c == 'l') {
            v = tm->tm_hour % 12 ? tm->tm_hour % 12 : 12;
        } else {
            char f[3] = {'%', c, 0};
            strftime(buf, sizeof buf, f, tm);
            v = strtoll(buf, NULL, 10);
        }
        int neg = v < 0;
        char digits[32];
        snprintf(digits, sizeof digits, "%lld", neg ? -v : v);
        if (flag == '_')
            pad = ' ';
        else if (flag == '0')
            pad = '0';
        int w = width > 0 ? width : def;
        if (flag == '-')
            w = 0;
        int n = (int)strlen(digits) + neg;
        if (neg && pad == '0')
            put(o, "-", 1);
        for (; n < w; n++)
            put(o, &pad, 1);
        if (neg && pad != '0')
            put(o, "-", 1);
        put(o, digits, strlen(digits));
        return;
    }
    const char *s = NULL;
    int swap_lower = 0; /* '#' lowercases these instead of uppercasing */
    switch (c) {
    case 'N': {
        /* WIDTH digits of the fraction (9 by default); GNU's '_' turns the trailing
         * zeros into spaces, and '-' drops them when a width is given. */
        int digits = width > 0 ? (width < 100 ? width : 100) : 9;
        char frac[128];
        snprintf(frac, sizeof frac, "%09ld", ts->tv_nsec);
        for (int i = 9; i < digits; i++)
            frac[i] = '0';
        frac[digits] = 0;
        int end = digits;
        if ((flag == '-' && width > 0) || flag == '_')
            while (end > 1 && frac[end - 1] == '0')
                end--;
        put(o, frac, (size_t)end);
        for (int i = end; flag == '_' && i < digits; i++)
            put(o, " ", 1);
        return;
    }
    case 'z':
        s = colons == 0 ? "+0000" : colons == 1 ? "+00:00" : colons == 2 ? "+00:00:00" : "+00";
        break;
    case 'Z': s = "UTC"; swap_lower = 1; break;
    case 'p': s = tm->tm_hour < 12 ? "AM" : "PM"; swap_lower = 1; break;
    case 'P': s = tm->tm_hour < 12 ? "am" : "pm"; break;
    case 'a': case 'A': case 'b': case 'B': case 'h': {
        char f[3] = {'%', c, 0};
        strftime(buf, sizeof buf, f, tm);
        s = buf;
        break;
    }
    case 'c': case 'D': case 'F': case 'T': case 'R': case 'r': case 'x': case 'X': {
        const char *sub = c == 'c' ? "%a %b %e %H:%M:%S %Y" : c == 'D' || c == 'x' ? "%m/%d/%y"
                        : c == 'F' ? "%Y-%m-%d" : c == 'T' || c == 'X' ? "%H:%M:%S"
                        : c == 'R' ? "%H:%M" : "%I:%M:%S %p";
        struct out tmp = {0};
        format(&tmp, sub, tm, ts);
        snprintf(buf, sizeof buf, "%s", tmp.p ? tmp.p : "");
        free(tmp.p);
        s = buf;
        break;
    }
    case 'n': s = "\n"; break;
    case 't': s = "\t"; break;
    default: return;
    }
    char text[128];
    snprintf(text, sizeof text, "%s", s);
    if (flag == '^' && c != 'P') /* GNU keeps %P lower case */
        for (char *q = text; *q; q++)
            *q = (char)toupper((unsigned char)*q);
    if (flag == '#' && strchr("aAbBhpZ", c)) /* GNU's "swap case": names up, %p and %Z down */
        for (char *q = text; *q; q++)
            *q = (char)(swap_lower ? tolower((unsigned char)*q) : toupper((unsigned char)*q));
    for (int n = (int)strlen(text); flag != '-' && n < width; n++)
        put(o, flag == '0' ? "0" : " ", 1);
    put(o, text, strlen(text));
}

static void format(struct out *o, const char *fmt, const struct tm *tm, const struct timespec *ts) {
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put(o, p, 1);
            continue;
        }
        const char *start = p++;
        char flag = 0;
        while (*p && strchr("-_0^#", *p))
            flag = *p++;
        int width = 0;
        while (isdigit((unsigned char)*p))
            width = width * 10 + (*p++ - '0');
        int colons = 0;
        while (*p == ':')
            colons++, p++;
        if (*p == 'E' || *p == 'O')
            p++;
        if (!*p) {
            put(o, start, strlen(start));
            return;
        }
        if (*p == '%') {
            put(o, "%", 1);
            continue;
        }
        const char *known = "dHImMSUVWyCgekljYGsuwqNzZpPaAbBhcDFTRrxXnt";
        if (!strchr(known, *p) || (colons && *p != 'z')) {
            put(o, start, (size_t)(p - start + 1));
            continue;
        }
        directive(o, flag, width, colons, *p, tm, ts);
    }
}

static const char usage[] =
    "Usage: %s [OPTION]... [+FORMAT]\n"
    "Display the date and time (UTC) in the given FORMAT.\n"
    "\n"
    "  -d, --date=STRING          display time described by STRING, not 'now'\n"
    "  -I[FMT], --iso-8601[=FMT]  output date/time in ISO 8601 format (date, hours, minutes, seconds, ns)\n"
    "  -r, --reference=FILE       display the last modification time of FILE\n"
    "  -R, --rfc-email            output date and time in RFC 5322 format\n"
    "      --rfc-3339=FMT         output date/time in RFC 3339 format (date, seconds, ns)\n"
    "  -u, --utc, --universal     print Coordinated Universal Time (UTC)\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    enum { RFC3339 = 256 };
    static const struct option longopts[] = {
        {"date", required_argument, 0, 'd'},
        {"reference", required_argument, 0, 'r'},
        {"utc", no_argument, 0, 'u'},
        {"universal", no_argument, 0, 'u'},
        {"rfc-email", no_argument, 0, 'R'},
        {"rfc-2822", no_argument, 0, 'R'},
        {"iso-8601", optional_argument, 0, 'I'},
        {"rfc-3339", required_argument, 0, RFC3339},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    const char *date = NULL, *ref = NULL, *fmt = NULL;
    int c;
    while ((c = getopt_long(argc, argv, ":d:r:uRI::", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': date = optarg; break;
        case 'r': ref = optarg; break;
        case 'u': break; /* always UTC */
        case 'R': fmt = "%a, %d %b %Y %H:%M:%S %z"; break;
        case 'I': {
            const char *spec = optarg ? optarg : "date";
            if (strncmp("date", spec, strlen(spec)) == 0 && *spec)
                fmt = "%Y-%m-%d";
            else if (strncmp("hours", spec, strlen(spec)) == 0)
                fmt = "%Y-%m-%dT%H%:z";
            else if (strncmp("minutes", spec, strlen(spec)) == 0)
                fmt = "%Y-%m-%dT%H:%M%:z";
            else if (strncmp("seconds", spec, strlen(spec)) == 0)
                fmt = "%Y-%m-%dT%H:%M:%S%:z";
            else if (strncmp("ns", spec, strlen(spec)) == 0)
                fmt = "%Y-%m-%dT%H:%M:%S,%N%:z";
            else {
                fu_warn(0, "invalid argument %s for '--iso-8601'", fu_quote(spec));
                fputs("Valid arguments are:\n  - 'hours'\n  - 'minutes'\n  - 'date'\n"
                      "  - 'seconds'\n  - 'ns'\n", stderr);
                fu_usage(1);
            }
            break;
        }
        case RFC3339:
            if (strcmp(optarg, "date") == 0)
                fmt = "%Y-%m-%d";
            else if (strcmp(optarg, "seconds") == 0)
                fmt = "%Y-%m-%d %H:%M:%S%:z";
            else if (strcmp(optarg, "ns") == 0)
                fmt = "%Y-%m-%d %H:%M:%S.%N%:z";
            else {
                fu_warn(0, "invalid argument %s for '--rfc-3339'", fu_quote(optarg));
                fputs("Valid arguments are:\n  - 'date'\n  - 'seconds'\n  - 'ns'\n", stderr);
                fu_usage(1);
            }
            break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    if (optind < argc && argv[optind][0] == '+') {
        if (fmt) {
            fu_warn(0, "multiple output formats specified");
            fu_usage(1);
        }
        fmt = argv[optind++] + 1;
    }
    if (optind < argc && (date || ref) && !fmt) {
        fu_warn(0, "the argument %s lacks a leading '+';\n"
                   "when using an option to specify date(s), any non-option\n"
                   "argument must be a format string beginning with '+'", fu_quote(argv[optind]));
        fu_usage(1);
    }
    if (optind < argc) {
        if (date || ref || optind + 1 < argc) {
            fu_warn(0, "extra operand %s", fu_quote(argv[optind + (optind + 1 < argc && !(date || ref))]));
            fu_usage(1);
        }
        fu_die(1, 0, "cannot set date: %s", fu_strerror(EPERM));
    }
    if (date && ref) {
        fu_warn(0, "the options to specify dates for printing are mutually exclusive");
        fu_usage(1);
    }
    struct timespec ts;
    if (date) {
        if (fu_parse_date(date, &ts) != 0)
            fu_die(1, 0, "invalid date %s", fu_quote(date));
    } else if (ref) {
        struct stat st;
        if (stat(ref, &st) != 0)
            fu_die(1, errno, "%s", ref);
        ts = st.st_mtim;
    } else {
        clock_gettime(CLOCK_REALTIME, &ts);
    }
    struct tm tm;
    time_t t = ts.tv_sec;
    if (!gmtime_r(&t, &tm))
        fu_die(1, 0, "time %lld is out of range", (long long)t);
    struct out o = {0};
    format(&o, fmt ? fmt : "%a %b %e %H:%M:%S %Z %Y", &tm, &ts);
    if (o.p)
        fputs(o.p, stdout);
    putchar('\n');
    fu_flush_stdout(1);
    return 0;
}
