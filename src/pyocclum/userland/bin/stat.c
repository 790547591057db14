/* stat: display file status (GNU coreutils' stat: the default format, -L,
 * -c/--format and --printf with the common %-sequences, -t). There is no
 * birth time inside (%w is "-", %W 0), and no file system status (-f). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileutil.h"

static unsigned dev_major(dev_t d) { return (unsigned)(((d >> 32) & 0xfffff000u) | ((d >> 8) & 0xfffu)); }
static unsigned dev_minor(dev_t d) { return (unsigned)(((d >> 12) & 0xffffff00u) | (d & 0xffu)); }

static const char *type_name(const struct stat *st) {
    if (S_ISREG(st->st_mode) && st->st_size == 0)
        return "regular empty file";
    return fu_file_type(st->st_mode);
}

/* "2026-12-06 20:15:19.474537430 +0000" (times are UTC inside). */
static void format_time(char *out, size_t n, struct timespec ts) {
    struct tm tm;
    time_t t = ts.tv_sec;
    gmtime_r(&t, &tm);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, n, "%s.%09ld +0000", date, ts.tv_nsec);
}

/* Print one field with the directive's flags/width/precision (SPEC is "%-10"). */
static void put_str(const char *spec, const char *s) {
    char f[64];
    snprintf(f, sizeof f, "%ss", spec);
    printf(f, s);
}

static void put_uint(const char *spec, uintmax_t v, const char *conv) {
    char f[64];
    snprintf(f, sizeof f, "%sj%s", spec, conv);
    printf(f, v);
}

static void put_int(const char *spec, intmax_t v) {
    char f[64];
    snprintf(f, sizeof f, "%sjd", spec);
    printf(f, v);
}

/* %N: the quoted name, and " -> 'target'" for a symlink. */
static void quoted_name(const char *spec, const char *name, const struct stat *st) {
    const char *qname = fu_quote(name);
    char *out = NULL;
    if (S_ISLNK(st->st_mode)) {
        char target[4097];
        ssize_t len = readlink(name, target, sizeof target - 1);
        if (len >= 0) {
            target[len] = 0;
            const char *qtarget = fu_quote(target);
            out = fu_xmalloc(strlen(qname) + strlen(qtarget) + 5);
            sprintf(out, "%s -> %s", qname, qtarget);
        }
    }
    put_str(spec, out ? out : qname);
    free(out);
}

/* %X %Y %Z: seconds, with PRECISION fraction digits (nanoseconds, then zeros). */
static void seconds(const char *spec, struct timespec ts, int precision) {
    if (precision < 0) {
        put_int(spec, (intmax_t)ts.tv_sec);
        return;
    }
    char buf[96], digits[10], width[48];
    snprintf(digits, sizeof digits, "%09ld", ts.tv_nsec);
    int n = snprintf(buf, sizeof buf, "%jd", (intmax_t)ts.tv_sec);
    if (precision > 0) {
        n += snprintf(buf + n, sizeof buf - (size_t)n, ".%.*s", precision < 9 ? precision : 9, digits);
        for (int i = 9; i < precision && n < (int)sizeof buf - 1; i++)
            buf[n++] = '0';
        buf[n] = 0;
    }
    snprintf(width, sizeof width, "%.*s", (int)strcspn(spec, "."), spec);
    put_str(width, buf);
}

static void directive(char conv, char mod, const char *spec, int precision, const char *name,
                      const struct stat *st) {
    char buf[64];
    switch (conv) {
    case 'a': put_uint(spec, st->st_mode & 07777, "o"); break;
    case 'A': fu_mode_string(st->st_mode, buf); put_str(spec, buf); break;
    case 'b': put_uint(spec, (uintmax_t)st->st_blocks, "u"); break;
    case 'B': put_uint(spec, 512, "u"); break;
    case 'd':
        if (mod == 'H')
            put_uint(spec, dev_major(st->st_dev), "u");
        else if (mod == 'L')
            put_uint(spec, dev_minor(st->st_dev), "u");
        else
            put_uint(spec, (uintmax_t)st->st_dev, "u");
        break;
    case 'D': put_uint(spec, (uintmax_t)st->st_dev, "x"); break;
    case 'f': put_uint(spec, st->st_mode, "x"); break;
    case 'F': put_str(spec, type_name(st)); break;
    case 'g': put_uint(spec, st->st_gid, "u"); break;
    case 'G': put_str(spec, fu_group_name(st->st_gid)); break;
    case 'h': put_uint(spec, (uintmax_t)st->st_nlink, "u"); break;
    case 'i': put_uint(spec, (uintmax_t)st->st_ino, "u"); break;
    case 'n': put_str(spec, name); break;
    case 'N': quoted_name(spec, name, st); break;
    case 'o': put_uint(spec, (uintmax_t)st->st_blksize, "u"); break;
    case 'r':
        if (mod == 'H')
            put_uint(spec, dev_major(st->st_rdev), "u");
        else if (mod == 'L')
            put_uint(spec, dev_minor(st->st_rdev), "u");
        else
            put_uint(spec, (uintmax_t)st->st_rdev, "u");
        break;
    case 'R': put_uint(spec, (uintmax_t)st->st_rdev, "x"); break;
    case 's': put_int(spec, (intmax_t)st->st_size); break;
    case 't': put_uint(spec, dev_major(st->st_rdev), "x"); break;
    case 'T': put_uint(spec, dev_minor(st->st_rdev), "x"); break;
    case 'u': put_uint(spec, st->st_uid, "u"); break;
    case 'U': put_str(spec, fu_user_name(st->st_uid)); break;
    case 'w': put_str(spec, "-"); break;
    case 'W': put_int(spec, 0); break;
    case 'x': format_time(buf, sizeof buf, st->st_atim); put_str(spec, buf); break;
    case 'X': seconds(spec, st->st_atim, precision); break;
    case 'y': format_time(buf, sizeof buf, st->st_mtim); put_str(spec, buf); break;
    case 'Y': seconds(spec, st->st_mtim, precision); break;
    case 'z': format_time(buf, sizeof buf, st->st_ctim); put_str(spec, buf); break;
    case 'Z': seconds(spec, st->st_ctim, precision); break;
    default: putchar('?'); break;
    }
}

/* An escape of --printf at *s (just past the backslash); returns the byte. */
static int escape(const char **s) {
    const char *p = *s;
    int c = *p++;
    switch (c) {
    case 'a': c = '\a'; break;
    case 'b': c = '\b'; break;
    case 'e': c = 27; break;
    case 'f': c = '\f'; break;
    case 'n': c = '\n'; break;
    case 'r': c = '\r'; break;
    case 't': c = '\t'; break;
    case 'v': c = '\v'; break;
    case '"': case '\\': break;
    case 'x': {
        int v = 0, n = 0;
        while (n < 2 && ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F'))) {
            v = v * 16 + (*p <= '9' ? *p - '0' : (*p | 32) - 'a' + 10);
            p++;
            n++;
        }
        c = v;
        break;
    }
    default:
        if (c >= '0' && c <= '7') {
            int v = c - '0', n = 1;
            while (n < 3 && *p >= '0' && *p <= '7') {
                v = v * 8 + (*p++ - '0');
                n++;
            }
            c = v;
        } else {
            fu_warn(0, "warning: unrecognized escape '\\%c'", c);
        }
    }
    *s = p;
    return c;
}

static void print_format(const char *fmt, const char *name, const struct stat *st, int escapes) {
    for (const char *p = fmt; *p; p++) {
        if (*p == '\\' && escapes && p[1]) {
            const char *q = p + 1;
            putchar(escape(&q));
            p = q - 1;
            continue;
        }
        if (*p != '%') {
            putchar(*p);
            continue;
        }
        if (p[1] == '%') {
            putchar('%');
            p++;
            continue;
        }
        if (!p[1]) {
            putchar('%');
            continue;
        }
        char spec[48] = "%";
        size_t k = 1;
        const char *q = p + 1;
        while (*q && strchr("-#0 +'", *q) && k < 20)
            spec[k++] = *q++;
        while (*q >= '0' && *q <= '9' && k < 30)
            spec[k++] = *q++;
        int precision = -1;
        if (*q == '.') {
            spec[k++] = *q++;
            precision = 0;
            int any = 0;
            while (*q >= '0' && *q <= '9' && k < 40) {
                precision = precision * 10 + (*q - '0');
                spec[k++] = *q++;
                any = 1;
            }
            if (!any && strchr("XYZ", *q))
                precision = 9; /* "%.Y": all nine digits, as coreutils */
        }
        spec[k] = 0;
        char mod = 0;
        if ((*q == 'H' || *q == 'L') && (q[1] == 'd' || q[1] == 'r'))
            mod = *q++;
        if (!*q) {
            fputs(p, stdout);
            return;
        }
        directive(*q, mod, spec, precision > 60 ? 60 : precision, name, st);
        p = q;
    }
}

static const char default_format[] =
    "  File: %N\n"
    "  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n"
    "Device: %Hd,%Ld\tInode: %-11i Links: %h\n"
    "Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n"
    "Access: %x\nModify: %y\nChange: %z\n Birth: %w\n";
static const char device_format[] =
    "  File: %N\n"
    "  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n"
    "Device: %Hd,%Ld\tInode: %-11i Links: %-5h Device type: %Hr,%Lr\n"
    "Access: (%04a/%10.10A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n"
    "Access: %x\nModify: %y\nChange: %z\n Birth: %w\n";
static const char terse_format[] = "%n %s %b %f %u %g %D %i %h %t %T %X %Y %Z %W %o\n";

static const char usage[] =
    "Usage: %s [OPTION]... FILE...\n"
    "Display file status.\n"
    "\n"
    "  -L, --dereference     follow links\n"
    "  -c  --format=FORMAT   use the specified FORMAT instead of the default\n"
    "      --printf=FORMAT   like --format, but interpret backslash escapes, no newline\n"
    "  -t, --terse           print the information in terse form\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    enum { PRINTF = 256 };
    static const struct option longopts[] = {
        {"dereference", no_argument, 0, 'L'},
        {"format", required_argument, 0, 'c'},
        {"printf", required_argument, 0, PRINTF},
        {"terse", no_argument, 0, 't'},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    int deref = 0, terse = 0, escapes = 0, c;
    const char *format = NULL;
    while ((c = getopt_long(argc, argv, ":Lc:t", longopts, NULL)) != -1) {
        switch (c) {
        case 'L': deref = 1; break;
        case 'c': format = optarg; escapes = 0; break;
        case PRINTF: format = optarg; escapes = 1; break;
        case 't': terse = 1; break;
        default: fu_bad_option(argv, c, 1);
        }
    }
    if (optind >= argc)
        fu_missing_operand(NULL, 1);
    int status = 0;
    for (int i = optind; i < argc; i++) {
        struct stat st;
        if ((deref ? stat(argv[i], &st) : lstat(argv[i], &st)) != 0) {
            fu_warn(errno, "cannot statx %s", fu_quote(argv[i]));
            status = 1;
            continue;
        }
        const char *f = format;
        if (!f)
            f = terse ? terse_format
                : (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) ? device_format : default_format;
        if (!format && !terse) {
            /* The default format shows names as they are ("File: a b -> c"). */
            char *plain = NULL;
            if (S_ISLNK(st.st_mode)) {
                char target[4097];
                ssize_t n = readlink(argv[i], target, sizeof target - 1);
                target[n < 0 ? 0 : n] = 0;
                plain = fu_xmalloc(strlen(argv[i]) + strlen(target) + 5);
                sprintf(plain, "%s -> %s", argv[i], target);
            }
            printf("  File: %s\n", plain ? plain : argv[i]);
            free(plain);
            f = strchr(f, '\n') + 1;
        }
        print_format(f, argv[i], &st, escapes);
        if (format && !escapes)
            putchar('\n'); /* -c ends each file's line */
    }
    fu_flush_stdout(1);
    return status;
}
