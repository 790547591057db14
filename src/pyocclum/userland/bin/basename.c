/* basename: strip the directory and a suffix from names (GNU coreutils'
 * basename: NAME [SUFFIX], -a, -s SUFFIX, -z). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "textutil.h"

/* The start of the last component (GNU's last_component). */
static const char *last_component(const char *name)
{
    const char *base = name;
    int last_was_slash = 0;
    while (*base == '/')
        base++;
    for (const char *p = base; *p; p++) {
        if (*p == '/')
            last_was_slash = 1;
        else if (last_was_slash) {
            base = p;
            last_was_slash = 0;
        }
    }
    return base;
}

static void perform(const char *s, const char *suffix, char end)
{
    const char *base = last_component(s);
    size_t len;
    if (!*base) {
        /* A root ("/", "//"...) or the empty string. */
        base = s;
        len = strlen(s) > 0 ? 1 : 0;
    } else {
        len = strlen(base);
        while (len > 1 && base[len - 1] == '/')
            len--;
    }
    if (suffix && base[0] != '/') {
        size_t sl = strlen(suffix);
        if (sl < len && memcmp(base + len - sl, suffix, sl) == 0)
            len -= sl;
    }
    fwrite(base, 1, len, stdout);
    putchar(end);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"multiple", no_argument, 0, 'a'},
        {"suffix", required_argument, 0, 's'},
        {"zero", no_argument, 0, 'z'},
        {0, 0, 0, 0},
    };
    const char *optstring = "+as:z";
    tu_init(argv);
    opterr = 0;
    int c, multiple = 0;
    char end = '\n';
    const char *suffix = NULL;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'a': multiple = 1; break;
        case 's': suffix = optarg; multiple = 1; break;
        case 'z': end = 0; break;
        default: tu_bad_option(argv, optstring, 1);
        }
    }
    if (optind >= argc) {
        tu_warn("missing operand");
        tu_usage(1);
    }
    if (multiple) {
        for (int i = optind; i < argc; i++)
            perform(argv[i], suffix, end);
    } else {
        if (argc - optind > 2) {
            tu_warn("extra operand %s", tu_quote(argv[optind + 2]));
            tu_usage(1);
        }
        perform(argv[optind], optind + 1 < argc ? argv[optind + 1] : NULL, end);
    }
    tu_flush_stdout();
    return 0;
}
