/* head: the first part of files (GNU coreutils' head: -n [-]N, -c [-]N,
 * the old -N form, -q, -v, -z; "==> NAME <==" headers for several files). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "textutil.h"

static char delim = '\n';

/* Copy the first count lines (or bytes); stops reading once done. */
static int head_first(FILE *f, uintmax_t count, int bytes)
{
    int c;
    while (count > 0 && (c = getc(f)) != EOF) {
        putchar(c);
        if (bytes || c == delim)
            count--;
    }
    return ferror(f) ? -1 : 0;
}

/* Copy all but the last count lines (or bytes). */
static int head_all_but(FILE *f, uintmax_t count, int bytes)
{
    struct tu_buf b = {0};
    if (tu_read_all(f, &b) != 0) {
        tu_buf_free(&b);
        return -1;
    }
    size_t end = b.len;
    if (bytes) {
        end = count >= b.len ? 0 : b.len - (size_t)count;
    } else {
        /* Walk back over count line ends (a last line without one counts). */
        size_t i = b.len;
        if (i > 0 && b.data[i - 1] != delim && count > 0) {
            while (i > 0 && b.data[i - 1] != delim)
                i--;
            count--;
        }
        while (count > 0 && i > 0) {
            i--; /* the delimiter */
            while (i > 0 && b.data[i - 1] != delim)
                i--;
            count--;
        }
        end = i;
    }
    fwrite(b.data, 1, end, stdout);
    tu_buf_free(&b);
    return 0;
}

static int parse_amount(const char *arg, uintmax_t *n, int *all_but)
{
    *all_but = 0;
    if (*arg == '-') {
        *all_but = 1;
        arg++;
    } else if (*arg == '+') {
        arg++;
    }
    return tu_parse_count(arg, n);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bytes", required_argument, 0, 'c'},
        {"lines", required_argument, 0, 'n'},
        {"quiet", no_argument, 0, 'q'},
        {"silent", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"zero-terminated", no_argument, 0, 'z'},
        {0, 0, 0, 0},
    };
    const char *optstring = "c:n:qvz";
    tu_init(argv);
    uintmax_t count = 10;
    int bytes = 0, all_but = 0, headers = -1;

    /* The old form: head -N[bcklmq...] as the first argument. */
    if (argc > 1 && argv[1][0] == '-' && argv[1][1] >= '0' && argv[1][1] <= '9') {
        const char *legacy = argv[1] + 1;
        argv[1] = argv[0];
        argv++;
        argc--;
        char *end;
        count = strtoumax(legacy, &end, 10);
        for (; *end; end++) {
            if (*end == 'c')
                bytes = 1;
            else if (*end == 'l')
                bytes = 0;
            else if (*end == 'q')
                headers = 0;
            else if (*end == 'v')
                headers = 1;
            else if (*end == 'z')
                delim = 0;
            else {
                tu_warn("invalid option -- '%c'", *end);
                tu_usage(1);
            }
        }
    }

    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
        case 'n':
            bytes = c == 'c';
            if (parse_amount(optarg, &count, &all_but) != 0)
                tu_die(1, "invalid number of %s: %s", bytes ? "bytes" : "lines", tu_quote(optarg));
            break;
        case 'q': headers = 0; break;
        case 'v': headers = 1; break;
        case 'z': delim = 0; break;
        default: tu_bad_option(argv, optstring, 1);
        }
    }
    int nfiles = argc - optind;
    char *dash[] = {"-", NULL};
    char **files = nfiles ? argv + optind : dash;
    if (!nfiles)
        nfiles = 1;
    if (headers < 0)
        headers = nfiles > 1;

    int status = 0, first = 1;
    for (int i = 0; i < nfiles; i++) {
        const char *name = files[i];
        const char *shown = strcmp(name, "-") == 0 ? "standard input" : name;
        FILE *f = tu_open(name);
        if (!f) {
            tu_warn("cannot open %s for reading: %s", tu_quotef(name, 1), tu_strerror(errno));
            status = 1;
            continue;
        }
        if (headers) {
            printf("%s==> %s <==\n", first ? "" : "\n", shown);
            first = 0;
        }
        struct stat st;
        int rc;
        if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            rc = -1;
        } else {
            rc = all_but ? head_all_but(f, count, bytes) : head_first(f, count, bytes);
        }
        if (rc != 0) {
            tu_warn("error reading %s: %s", tu_quotef(shown, 1), tu_strerror(errno));
            status = 1;
        }
        tu_close(f);
    }
    tu_flush_stdout();
    return status;
}
