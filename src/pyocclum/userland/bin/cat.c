/* cat: concatenate files (GNU coreutils' cat: -A -b -e -E -n -s -t -T -u -v,
 * line numbers continue across files). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "textutil.h"

static int number, number_nonblank, squeeze, show_ends, show_tabs, show_nonprinting;
static unsigned long line_no;
/* State carried across files, as GNU does: at start of a line? blank lines seen. */
static int at_line_start = 1, blank_run;

static void put_visible(int c)
{
    if (show_nonprinting) {
        int high = c >= 128;
        if (high) {
            fputs("M-", stdout);
            c -= 128;
        }
        /* A plain tab or newline stays (unless -T); M-^I and M-^J do not. */
        if (c < 32 && (high || (c != '\t' && c != '\n'))) {
            putchar('^');
            putchar(c + 64);
            return;
        }
        if (c == 127) {
            fputs("^?", stdout);
            return;
        }
    }
    if (c == '\t' && show_tabs) {
        fputs("^I", stdout);
        return;
    }
    putchar(c);
}

static int cat_stream(FILE *f)
{
    int c;
    while ((c = getc(f)) != EOF) {
        if (c == '\n') {
            if (at_line_start) {
                blank_run++;
                if (squeeze && blank_run > 1)
                    continue;
                if (number && !number_nonblank)
                    printf("%6lu\t", ++line_no);
            }
            if (show_ends)
                putchar('$');
            putchar('\n');
            at_line_start = 1;
            continue;
        }
        if (at_line_start) {
            if (number)
                printf("%6lu\t", ++line_no);
            at_line_start = 0;
            blank_run = 0;
        }
        put_visible(c);
    }
    return ferror(f) ? -1 : 0;
}

static int plain_copy(FILE *f)
{
    char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stdout);
    return ferror(f) ? -1 : 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"show-all", no_argument, 0, 'A'},
        {"number-nonblank", no_argument, 0, 'b'},
        {"show-ends", no_argument, 0, 'E'},
        {"number", no_argument, 0, 'n'},
        {"squeeze-blank", no_argument, 0, 's'},
        {"show-tabs", no_argument, 0, 'T'},
        {"show-nonprinting", no_argument, 0, 'v'},
        {0, 0, 0, 0},
    };
    const char *optstring = "AbeEnstTuv";
    tu_init(argv);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'A': show_nonprinting = show_ends = show_tabs = 1; break;
        case 'b': number = number_nonblank = 1; break;
        case 'e': show_nonprinting = show_ends = 1; break;
        case 'E': show_ends = 1; break;
        case 'n': number = 1; break;
        case 's': squeeze = 1; break;
        case 't': show_nonprinting = show_tabs = 1; break;
        case 'T': show_tabs = 1; break;
        case 'u': break;
        case 'v': show_nonprinting = 1; break;
        default: tu_bad_option(argv, optstring, 1);
        }
    }
    int plain = !(number || squeeze || show_ends || show_tabs || show_nonprinting);
    static char *dash[] = {"-", NULL};
    char **files = optind < argc ? argv + optind : dash;
    int status = 0;
    for (; *files; files++) {
        FILE *f = tu_open(*files);
        if (!f) {
            tu_warn_errno(*files);
            status = 1;
            continue;
        }
        struct stat st;
        if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            tu_warn_errno(*files);
            status = 1;
            tu_close(f);
            continue;
        }
        if ((plain ? plain_copy(f) : cat_stream(f)) != 0) {
            tu_warn_errno(*files);
            status = 1;
        }
        tu_close(f);
    }
    tu_flush_stdout();
    return status;
}
