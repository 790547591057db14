/* touch: change file timestamps, creating missing files (GNU coreutils' touch:
 * -a, -m, -c, -h, -d DATE, -r FILE, -t STAMP). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileutil.h"

/* -t [[CC]YY]MMDDhhmm[.ss] as POSIX defines it (times are UTC, see fu_parse_date). */
static int parse_stamp(const char *s, struct timespec *out) {
    const char *dot = strchr(s, '.');
    size_t n = dot ? (size_t)(dot - s) : strlen(s);
    int f[7] = {0}, nf = (int)n / 2;
    if ((n != 8 && n != 10 && n != 12) || (dot && strlen(dot) != 3))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return -1;
    for (int i = 0; i < nf; i++)
        f[i] = (s[2 * i] - '0') * 10 + (s[2 * i + 1] - '0');
    int year, k = 0;
    if (n == 12) {
        year = f[0] * 100 + f[1];
        k = 2;
    } else if (n == 10) {
        year = f[0] < 69 ? 2000 + f[0] : 1900 + f[0];
        k = 1;
    } else {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        year = tm.tm_year + 1900;
    }
    int mon = f[k], mday = f[k + 1], hour = f[k + 2], min = f[k + 3], sec = 0;
    if (dot) {
        if (dot[1] < '0' || dot[1] > '9' || dot[2] < '0' || dot[2] > '9')
            return -1;
        sec = (dot[1] - '0') * 10 + (dot[2] - '0');
    }
    if (mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 23 || min > 59 || sec > 60)
        return -1;
    out->tv_sec = (time_t)fu_timegm(year, mon, mday, hour, min, sec);
    out->tv_nsec = 0;
    return 0;
}

static const char usage[] =
    "Usage: %s [OPTION]... FILE...\n"
    "Update the access and modification times of each FILE to the current time.\n"
    "\n"
    "  -a                     change only the access time\n"
    "  -c, --no-create        do not create any files\n"
    "  -d, --date=STRING      parse STRING and use it instead of current time\n"
    "  -h, --no-dereference   affect each symbolic link instead of any referenced file\n"
    "  -m                     change only the modification time\n"
    "  -r, --reference=FILE   use this file's times instead of current time\n"
    "  -t STAMP               use [[CC]YY]MMDDhhmm[.ss] instead of current time\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"no-create", no_argument, 0, 'c'},
        {"date", required_argument, 0, 'd'},
        {"reference", required_argument, 0, 'r'},
        {"no-dereference", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    int only_a = 0, only_m = 0, no_create = 0, have_time = 0, no_deref = 0, c;
    struct timespec times[2];
    const char *ref = NULL;
    while ((c = getopt_long(argc, argv, ":acd:fhmr:t:", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': only_a = 1; break;
        case 'm': only_m = 1; break;
        case 'c': no_create = 1; break;
        case 'h': no_deref = 1; break; /* the link itself; never creates (a missing one is an error) */
        case 'f': break; /* ignored, as coreutils does */
        case 'd':
            if (fu_parse_date(optarg, &times[0]) != 0)
                fu_die(1, 0, "invalid date format %s", fu_quote(optarg));
            times[1] = times[0];
            have_time = 1;
            break;
        case 't':
            if (parse_stamp(optarg, &times[0]) != 0)
                fu_die(1, 0, "invalid date format %s", fu_quote(optarg));
            times[1] = times[0];
            have_time = 1;
            break;
        case 'r': ref = optarg; break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    if (ref) {
        struct stat st;
        if ((no_deref ? lstat(ref, &st) : stat(ref, &st)) != 0)
            fu_die(1, errno, "failed to get attributes of %s", fu_quote(ref));
        times[0] = st.st_atim;
        times[1] = st.st_mtim;
        have_time = 1;
    }
    if (!have_time) {
        times[0].tv_sec = times[1].tv_sec = 0;
        times[0].tv_nsec = times[1].tv_nsec = UTIME_NOW;
    }
    if (only_a && !only_m)
        times[1].tv_nsec = UTIME_OMIT;
    if (only_m && !only_a)
        times[0].tv_nsec = UTIME_OMIT;
    if (optind >= argc) {
        fu_warn(0, "missing file operand");
        fu_usage(1);
    }
    int status = 0;
    for (int i = optind; i < argc; i++) {
        const char *name = argv[i];
        if (strcmp(name, "-") == 0) {
            if (futimens(STDOUT_FILENO, times) != 0 && errno != EBADF) {
                fu_warn(errno, "setting times of %s", fu_quote("standard output"));
                status = 1;
            }
            continue;
        }
        if (!no_create && !no_deref) {
            int fd = open(name, O_WRONLY | O_CREAT | O_NONBLOCK, 0666);
            if (fd >= 0) {
                close(fd);
            } else if (errno != EISDIR) {
                struct stat st;
                int e = errno;
                if (stat(name, &st) != 0) {
                    fu_warn(e, "cannot touch %s", fu_quote(name));
                    status = 1;
                    continue;
                }
            }
        }
        if (utimensat(AT_FDCWD, name, times, no_deref ? AT_SYMLINK_NOFOLLOW : 0) != 0) {
            if (no_create && errno == ENOENT)
                continue;
            fu_warn(errno, "setting times of %s", fu_quote(name));
            status = 1;
        }
    }
    return status;
}
