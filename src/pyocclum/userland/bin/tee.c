/* tee: copy standard input to standard output and files (GNU coreutils' tee:
 * -a, -i, -p, --output-error). A file that cannot be opened or written is
 * reported and skipped; the exit status is then 1. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "textutil.h"

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"append", no_argument, 0, 'a'},
        {"ignore-interrupts", no_argument, 0, 'i'},
        {"output-error", optional_argument, 0, 'O'},
        {0, 0, 0, 0},
    };
    const char *optstring = "aip";
    tu_init(argv);
    opterr = 0;
    int c, append = 0, ignore_pipe = 0;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case 'a': append = 1; break;
        case 'i': signal(SIGINT, SIG_IGN); break;
        case 'p':
        case 'O': ignore_pipe = 1; break;
        default: tu_bad_option(argv, optstring, 1);
        }
    }
    if (ignore_pipe)
        signal(SIGPIPE, SIG_IGN);
    int nfiles = argc - optind;
    int *fds = tu_xmalloc((size_t)(nfiles + 1) * sizeof *fds);
    const char **names = tu_xmalloc((size_t)(nfiles + 1) * sizeof *names);
    int status = 0;
    fds[0] = 1;
    names[0] = "standard output";
    for (int i = 0; i < nfiles; i++) {
        const char *name = argv[optind + i];
        names[i + 1] = name; /* "-" is a file named "-", as in GNU tee */
        FILE *f = fopen(name, append ? "a" : "w");
        fds[i + 1] = f ? fileno(f) : -1;
        if (!f) {
            tu_warn_errno(name);
            status = 1;
        }
    }
    char buf[65536];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            tu_warn("read error: %s", tu_strerror(errno));
            status = 1;
            break;
        }
        if (n == 0)
            break;
        for (int i = 0; i <= nfiles; i++) {
            if (fds[i] >= 0 && write_all(fds[i], buf, (size_t)n) != 0) {
                if (!(ignore_pipe && errno == EPIPE))
                    tu_warn_errno(names[i]);
                status = 1;
                fds[i] = -1;
            }
        }
    }
    return status;
}
