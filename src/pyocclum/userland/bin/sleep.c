/* sleep: pause for the sum of its arguments (GNU coreutils' sleep: fractions,
 * exponents and the suffixes s, m, h, d). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileutil.h"

/* One interval in seconds, or -1 if malformed. */
static double interval(const char *s) {
    char *end;
    errno = 0;
    if (!*s || strchr(" \t\n", *s))
        return -1;
    double v = strtod(s, &end);
    if (end == s || v < 0 || isnan(v))
        return -1;
    /* strtod also takes hex floats and inf; coreutils' xstrtod does too. */
    if (*end && end[1])
        return -1;
    switch (*end) {
    case 0:
    case 's': break;
    case 'm': v *= 60; break;
    case 'h': v *= 3600; break;
    case 'd': v *= 86400; break;
    default: return -1;
    }
    return v;
}

static const char usage[] =
    "Usage: %s NUMBER[SUFFIX]...\n"
    "Pause for NUMBER seconds (SUFFIX s, m, h or d); the arguments are summed.\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    /* Options as GNU getopt sees them (it permutes: any "-x" before "--"). */
    char **ops = fu_xmalloc((size_t)argc * sizeof *ops);
    int nops = 0, dashdash = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!dashdash && strcmp(a, "--") == 0) {
            dashdash = 1;
            continue;
        }
        if (!dashdash && a[0] == '-' && a[1]) {
            if (a[1] == '-')
                fu_warn(0, "unrecognized option '%s'", a);
            else
                fu_warn(0, "invalid option -- '%c'", a[1]);
            fu_usage(1);
        }
        ops[nops++] = argv[i];
    }
    if (nops == 0) {
        fu_warn(0, "missing operand");
        fu_usage(1);
    }
    double total = 0;
    int bad = 0;
    for (int i = 0; i < nops; i++) {
        double v = interval(ops[i]);
        if (v < 0) {
            fu_warn(0, "invalid time interval %s", fu_quote(ops[i]));
            bad = 1;
            continue;
        }
        total += v;
    }
    if (bad)
        fu_usage(1);
    struct timespec ts;
    if (total >= 1e18) {
        ts.tv_sec = (time_t)1e18;
        ts.tv_nsec = 0;
    } else {
        ts.tv_sec = (time_t)total;
        ts.tv_nsec = (long)ceil((total - (double)ts.tv_sec) * 1e9);
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
    }
    while (nanosleep(&ts, &ts) != 0) {
        if (errno != EINTR)
            fu_die(1, errno, "cannot read realtime clock");
    }
    return 0;
}
