/* wc: count lines, words, characters, bytes and the longest line
 * (GNU coreutils 9 wc in the C locale: -l -w -m -c -L, a total line for
 * several files, GNU's column width rule). */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "textutil.h"

struct counts {
    uintmax_t lines, words, chars, bytes, maxlen;
};

static int print_lines, print_words, print_chars, print_bytes, print_maxlen;
static int width;

static int count_stream(FILE *f, struct counts *c)
{
    unsigned char buf[65536];
    size_t n;
    uintmax_t linepos = 0;
    int in_word = 0;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        c->bytes += n;
        for (size_t i = 0; i < n; i++) {
            int ch = buf[i];
            switch (ch) {
            case '\n':
                c->lines++;
                /* fall through */
            case '\r':
            case '\f':
                if (linepos > c->maxlen)
                    c->maxlen = linepos;
                linepos = 0;
                c->words += in_word;
                in_word = 0;
                break;
            case '\t':
                linepos += 8 - linepos % 8;
                c->words += in_word;
                in_word = 0;
                break;
            case ' ':
                linepos++;
                /* fall through */
            case '\v':
                c->words += in_word;
                in_word = 0;
                break;
            default:
                if (isprint(ch)) {
                    linepos++;
                    in_word = 1;
                }
                break;
            }
        }
    }
    if (linepos > c->maxlen)
        c->maxlen = linepos;
    c->words += in_word;
    c->chars = c->bytes; /* the C locale: one byte, one character */
    return ferror(f) ? -1 : 0;
}

static void print_counts(const struct counts *c, const char *name)
{
    const char *sep = "";
    uintmax_t values[5] = {c->lines, c->words, c->chars, c->bytes, c->maxlen};
    int on[5] = {print_lines, print_words, print_chars, print_bytes, print_maxlen};
    for (int i = 0; i < 5; i++) {
        if (!on[i])
            continue;
        printf("%s%*ju", sep, width, values[i]);
        sep = " ";
    }
    if (name)
        printf(" %s", name);
    putchar('\n');
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bytes", no_argument, 0, 'c'},
        {"chars", no_argument, 0, 'm'},
        {"lines", no_argument, 0, 'l'},
        {"words", no_argument, 0, 'w'},
        {"max-line-length", no_argument, 0, 'L'},
        {0, 0, 0, 0},
    };
    const char *optstring = "clLmw";
    tu_init(argv);
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'c': print_bytes = 1; break;
        case 'm': print_chars = 1; break;
        case 'l': print_lines = 1; break;
        case 'w': print_words = 1; break;
        case 'L': print_maxlen = 1; break;
        default: tu_bad_option(argv, optstring, 1);
        }
    }
    if (!(print_lines || print_words || print_chars || print_bytes || print_maxlen))
        print_lines = print_words = print_bytes = 1;
    int ncounts = print_lines + print_words + print_chars + print_bytes + print_maxlen;

    int nfiles = argc - optind;
    char *dash[] = {"-", NULL};
    char **files = nfiles ? argv + optind : dash;
    int named = nfiles > 0;
    if (!nfiles)
        nfiles = 1;

    /* GNU's width: digits of the total size of the regular files, at least 7
     * if any input is not a regular file; 1 for one count of one input. */
    width = 1;
    if (!(nfiles == 1 && ncounts == 1)) {
        int minimum = 1;
        uintmax_t total = 0;
        for (int i = 0; i < nfiles; i++) {
            struct stat st;
            int ok = strcmp(files[i], "-") == 0 ? fstat(0, &st) : stat(files[i], &st);
            if (ok != 0 || !files[i][0])
                continue;
            if (S_ISREG(st.st_mode))
                total += (uintmax_t)st.st_size;
            else
                minimum = 7;
        }
        for (; total >= 10; total /= 10)
            width++;
        if (width < minimum)
            width = minimum;
    }

    struct counts sum = {0, 0, 0, 0, 0};
    int status = 0;
    for (int i = 0; i < nfiles; i++) {
        struct counts one = {0, 0, 0, 0, 0};
        if (!files[i][0]) {
            tu_warn("invalid zero-length file name");
            status = 1;
            continue;
        }
        FILE *f = tu_open(files[i]);
        if (!f) {
            tu_warn_errno(files[i]);
            status = 1;
            continue;
        }
        struct stat st;
        if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            tu_warn_errno(files[i]);
            status = 1;
        } else if (count_stream(f, &one) != 0) {
            tu_warn_errno(files[i]);
            status = 1;
        }
        tu_close(f);
        print_counts(&one, named ? files[i] : NULL);
        sum.lines += one.lines;
        sum.words += one.words;
        sum.chars += one.chars;
        sum.bytes += one.bytes;
        if (one.maxlen > sum.maxlen)
            sum.maxlen = one.maxlen;
    }
    if (nfiles > 1)
        print_counts(&sum, "total");
    tu_flush_stdout();
    return status;
}
