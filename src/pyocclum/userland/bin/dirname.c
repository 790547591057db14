/* dirname: strip the last component from names (GNU coreutils' dirname:
 * several names, -z). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "textutil.h"

/* GNU's dir_len: the length of the directory part. */
static size_t dir_len(const char *file)
{
    size_t prefix = file[0] == '/';
    const char *base = file;
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
    size_t len = (size_t)(base - file);
    for (; prefix < len; len--)
        if (file[len - 1] != '/')
            break;
    return len;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"zero", no_argument, 0, 'z'},
        {0, 0, 0, 0},
    };
    const char *optstring = "z";
    tu_init(argv);
    opterr = 0;
    int c;
    char end = '\n';
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        if (c == 'z')
            end = 0;
        else
            tu_bad_option(argv, optstring, 1);
    }
    if (optind >= argc) {
        tu_warn("missing operand");
        tu_usage(1);
    }
    for (int i = optind; i < argc; i++) {
        size_t len = dir_len(argv[i]);
        if (len == 0)
            fputs(".", stdout);
        else
            fwrite(argv[i], 1, len, stdout);
        putchar(end);
    }
    tu_flush_stdout();
    return 0;
}
