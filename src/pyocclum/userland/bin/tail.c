/* tail: the last part of files (GNU coreutils' tail: -n [+]N, -c [+]N,
 * the old -N/+N forms, -q, -v, -z, -f for regular files (polling once a
 * second); "==> NAME <==" headers for several files). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textutil.h"

static char delim = '\n';

/* Print the requested part of the whole input in b. */
static void tail_buf(const struct tu_buf *b, uintmax_t count, int bytes, int from_start)
{
    size_t start;
    if (bytes) {
        if (from_start)
            start = count == 0 ? 0 : (count - 1 >= b->len ? b->len : (size_t)(count - 1));
        else
            start = count >= b->len ? 0 : b->len - (size_t)count;
    } else if (from_start) {
        /* Skip count - 1 lines. */
        start = 0;
        for (uintmax_t skip = count > 0 ? count - 1 : 0; skip > 0 && start < b->len; skip--) {
            const char *nl = memchr(b->data + start, delim, b->len - start);
            start = nl ? (size_t)(nl - b->data) + 1 : b->len;
        }
    } else {
        size_t i = b->len;
        if (count == 0) {
            i = b->len;
        } else {
            if (i > 0 && b->data[i - 1] == delim)
                i--; /* the last line's own delimiter */
            while (i > 0) {
                if (b->data[i - 1] == delim && --count == 0)
                    break;
                i--;
            }
        }
        start = i;
    }
    fwrite(b->data + start, 1, b->len - start, stdout);
}

static int parse_amount(const char *arg, uintmax_t *n, int *from_start)
{
    *from_start = 0;
    if (*arg == '+') {
        *from_start = 1;
        arg++;
    } else if (*arg == '-') {
        arg++;
    }
    return tu_parse_count(arg, n);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"bytes", required_argument, 0, 'c'},
        {"lines", required_argument, 0, 'n'},
        {"follow", no_argument, 0, 'f'},
        {"quiet", no_argument, 0, 'q'},
        {"silent", no_argument, 0, 'q'},
        {"verbose", no_argument, 0, 'v'},
        {"zero-terminated", no_argument, 0, 'z'},
        {0, 0, 0, 0},
    };
    const char *optstring = "c:n:fFqvz";
    tu_init(argv);
    uintmax_t count = 10;
    int bytes = 0, from_start = 0, headers = -1, follow = 0;

    /* The old forms: tail -N[bcl] / +N[bcl] as the first argument. */
    if (argc > 1 && (argv[1][0] == '-' || argv[1][0] == '+') && argv[1][1] >= '0' &&
        argv[1][1] <= '9') {
        char *end;
        from_start = argv[1][0] == '+';
        count = strtoumax(argv[1] + 1, &end, 10);
        if (*end == 'c' || *end == 'b') {
            bytes = 1;
            if (*end == 'b')
                count *= 512;
            end++;
        } else if (*end == 'l') {
            end++;
        }
        if (*end == 'f') {
            follow = 1;
            end++;
        }
        if (*end)
            tu_die(1, "invalid number of lines: %s", tu_quote(argv[1] + 1));
        argv[1] = argv[0];
        argv++;
        argc--;
    }

    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
        case 'n':
            bytes = c == 'c';
            if (parse_amount(optarg, &count, &from_start) != 0)
                tu_die(1, "invalid number of %s: %s", bytes ? "bytes" : "lines", tu_quote(optarg));
            break;
        case 'f':
        case 'F': follow = 1; break;
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
    FILE **followed = tu_xmalloc((size_t)nfiles * sizeof *followed);
    for (int i = 0; i < nfiles; i++) {
        const char *name = files[i];
        const char *shown = strcmp(name, "-") == 0 ? "standard input" : name;
        followed[i] = NULL;
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
        struct tu_buf b = {0};
        int rc;
        if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            rc = -1;
        } else {
            rc = tu_read_all(f, &b);
        }
        if (rc != 0) {
            tu_warn("error reading %s: %s", tu_quotef(shown, 1), tu_strerror(errno));
            status = 1;
        } else {
            tail_buf(&b, count, bytes, from_start);
        }
        tu_buf_free(&b);
        if (follow && rc == 0 && f != stdin && S_ISREG(st.st_mode))
            followed[i] = f;
        else
            tu_close(f);
    }
    tu_flush_stdout();
    /* -f: print what is appended to the regular files, forever. */
    int last = -1, any = 0;
    for (int i = 0; i < nfiles; i++)
        any |= followed[i] != NULL;
    while (follow && any) {
        for (int i = 0; i < nfiles; i++) {
            if (!followed[i])
                continue;
            char chunk[4096];
            size_t n;
            clearerr(followed[i]);
            while ((n = fread(chunk, 1, sizeof chunk, followed[i])) > 0) {
                if (headers && last != i)
                    printf("\n==> %s <==\n", files[i]);
                last = i;
                fwrite(chunk, 1, n, stdout);
            }
        }
        tu_flush_stdout();
        sleep(1);
    }
    return status;
}
