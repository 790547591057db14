/* echo: print the arguments (GNU coreutils' echo: -n, -e, -E; options are
 * recognized only before the first operand and only if every letter is one
 * of n, e, E). */
#include <stdio.h>
#include <string.h>

#include "textutil.h"

static int is_option(const char *a)
{
    if (a[0] != '-' || a[1] == 0)
        return 0;
    return strspn(a + 1, "neE") == strlen(a + 1);
}

int main(int argc, char **argv)
{
    tu_init(argv);
    int newline = 1, escapes = 0, i = 1;
    for (; i < argc && is_option(argv[i]); i++) {
        for (const char *p = argv[i] + 1; *p; p++) {
            if (*p == 'n')
                newline = 0;
            else if (*p == 'e')
                escapes = 1;
            else
                escapes = 0;
        }
    }
    for (int first = 1; i < argc; i++, first = 0) {
        if (!first)
            putchar(' ');
        if (!escapes) {
            fputs(argv[i], stdout);
            continue;
        }
        for (const char *s = argv[i]; *s; ) {
            int c = (unsigned char)*s++;
            if (c == '\\' && *s) {
                int out;
                if (*s == 'c') {
                    tu_flush_stdout();
                    return 0;
                }
                if (tu_escape(&s, 1, &out))
                    c = out;
            }
            putchar(c);
        }
    }
    if (newline)
        putchar('\n');
    tu_flush_stdout();
    return 0;
}
