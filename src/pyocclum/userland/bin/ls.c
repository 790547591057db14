/* ls: list directory contents (GNU coreutils' ls: -a, -A, -l, -g, -o, -n, -1, -C, -x,
 * -w COLS, -R, -d, -h, -s, -t, -c, -u, -S, -U, -r, -i, -F, -p, -L). As coreutils: columns on a
 * terminal (width $COLUMNS or 80), one name per line otherwise. Names are printed as
 * they are (coreutils quotes unusual ones on a terminal), and times in UTC. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileutil.h"

enum { SORT_NAME, SORT_TIME, SORT_SIZE, SORT_NONE };
enum { ALL_NONE, ALL_DOTS, ALL_ALMOST };

enum { FMT_ONE, FMT_LONG, FMT_COLUMNS, FMT_ACROSS };
static int show_all = ALL_NONE, long_format, recursive, list_dirs, human, reverse, sort_by = SORT_NAME;
static int format = -1;          /* FMT_*; -1 until the options say */
static size_t line_length = 80;  /* for -C and -x */
static int tab_size = 8;         /* columns are padded with tabs, none with -w 0 */
static int show_inode, classify, slash_only, deref, no_owner, no_group, numeric_ids;
static int show_blocks;          /* -s */
enum { TIME_MTIME, TIME_CTIME, TIME_ATIME };
static int time_kind = TIME_MTIME; /* -c, -u: which time -l shows and -t sorts by */
static int status;
static struct timespec now;

struct entry {
    char *name;  /* as shown */
    char *path;  /* to stat and read */
    struct stat st;
    int ok;      /* st is valid */
    char *target;         /* symlink target (long format) */
    struct stat target_st;
    int target_ok;
};

static struct timespec shown_time(const struct stat *st) {
    return time_kind == TIME_CTIME ? st->st_ctim : time_kind == TIME_ATIME ? st->st_atim
                                                                            : st->st_mtim;
}

static int compare(const void *pa, const void *pb) {
    const struct entry *a = pa, *b = pb;
    int r = 0;
    if (sort_by == SORT_TIME) {
        struct timespec ta = shown_time(&a->st), tb = shown_time(&b->st);
        if (ta.tv_sec != tb.tv_sec)
            r = ta.tv_sec < tb.tv_sec ? 1 : -1;
        else if (ta.tv_nsec != tb.tv_nsec)
            r = ta.tv_nsec < tb.tv_nsec ? 1 : -1;
    } else if (sort_by == SORT_SIZE) {
        if (a->st.st_size != b->st.st_size)
            r = a->st.st_size < b->st.st_size ? 1 : -1;
    }
    if (r == 0)
        r = strcmp(a->name, b->name);
    return reverse ? -r : r;
}

static void sort_entries(struct entry *v, size_t n) {
    if (sort_by != SORT_NONE)
        qsort(v, n, sizeof *v, compare);
}

/* GNU's human-readable size: powers of 1024, rounded up, one decimal below 10. */
static void human_size(unsigned long long n, char *out, size_t size) {
    static const char units[] = "KMGTPEZY";
    if (n < 1024) {
        snprintf(out, size, "%llu", n);
        return;
    }
    unsigned long long div = 1024;
    int u = 0;
    while (n / div >= 1024 && u < 7) {
        div *= 1024;
        u++;
    }
    if (n / div < 10) {
        unsigned long long tenths = (n * 10 + div - 1) / div;
        if (tenths < 100) {
            snprintf(out, size, "%llu.%llu%c", tenths / 10, tenths % 10, units[u]);
            return;
        }
        snprintf(out, size, "%llu%c", tenths / 10, units[u]);
        return;
    }
    unsigned long long whole = (n + div - 1) / div;
    if (whole >= 1024 && u < 7) {
        snprintf(out, size, "1.0%c", units[u + 1]);
        return;
    }
    snprintf(out, size, "%llu%c", whole, units[u]);
}

static void size_text(const struct entry *e, char *out, size_t n) {
    if (S_ISCHR(e->st.st_mode) || S_ISBLK(e->st.st_mode)) {
        snprintf(out, n, "%u, %u", (unsigned)((e->st.st_rdev >> 8) & 0xfff),
                 (unsigned)((e->st.st_rdev & 0xff) | ((e->st.st_rdev >> 12) & 0xfff00)));
    } else if (human) {
        human_size((unsigned long long)e->st.st_size, out, n);
    } else {
        snprintf(out, n, "%lld", (long long)e->st.st_size);
    }
}

static char indicator(mode_t m) {
    if (S_ISDIR(m))
        return '/';
    if (slash_only)
        return 0;
    if (S_ISLNK(m))
        return '@';
    if (S_ISFIFO(m))
        return '|';
    if (S_ISSOCK(m))
        return '=';
    if (S_ISREG(m) && (m & (S_IXUSR | S_IXGRP | S_IXOTH)))
        return '*';
    return 0;
}

static const char *owner(uid_t u) {
    static char buf[24];
    if (numeric_ids) {
        snprintf(buf, sizeof buf, "%u", (unsigned)u);
        return buf;
    }
    return fu_user_name(u);
}

static const char *group(gid_t g) {
    static char buf[24];
    if (numeric_ids) {
        snprintf(buf, sizeof buf, "%u", (unsigned)g);
        return buf;
    }
    return fu_group_name(g);
}

struct widths {
    int ino, nlink, owner, group, size, blocks;
};

/* -s: the blocks an entry takes, in KiB (or -h units). */
static void blocks_text(const struct entry *e, char *out, size_t n) {
    unsigned long long b = (unsigned long long)e->st.st_blocks;
    if (human)
        human_size(b * 512, out, n);
    else
        snprintf(out, n, "%llu", (b + 1) / 2);
}

/* Column widths over V (and W, if not NULL: the command line's directories count
 * for the widths of its files, as in coreutils). */
static struct widths measure(const struct entry *v, size_t n, const struct entry *w, size_t nw) {
    struct widths out = {0};
    char buf[64];
    for (size_t j = 0; j < n + nw; j++) {
        const struct entry *e = j < n ? &v[j] : &w[j - n];
        if (!e->ok)
            continue;
        int k;
        k = snprintf(buf, sizeof buf, "%llu", (unsigned long long)e->st.st_ino);
        out.ino = k > out.ino ? k : out.ino;
        k = snprintf(buf, sizeof buf, "%lu", (unsigned long)e->st.st_nlink);
        out.nlink = k > out.nlink ? k : out.nlink;
        k = (int)strlen(owner(e->st.st_uid));
        out.owner = k > out.owner ? k : out.owner;
        k = (int)strlen(group(e->st.st_gid));
        out.group = k > out.group ? k : out.group;
        size_text(e, buf, sizeof buf);
        k = (int)strlen(buf);
        out.size = k > out.size ? k : out.size;
        blocks_text(e, buf, sizeof buf);
        k = (int)strlen(buf);
        out.blocks = k > out.blocks ? k : out.blocks;
    }
    return out;
}

static void print_columns(struct entry *v, size_t n, struct widths wd);
static size_t print_one(const struct entry *e, struct widths wd);

static void print_entries(struct entry *v, size_t n, int with_total, struct widths wd) {
    unsigned long long blocks = 0;
    char buf[64];
    for (size_t i = 0; i < n; i++) {
        if (!v[i].ok)
            continue;
        blocks += (unsigned long long)v[i].st.st_blocks;
    }
    if (with_total && (long_format || show_blocks)) {
        if (human)
            human_size(blocks * 512, buf, sizeof buf);
        else
            snprintf(buf, sizeof buf, "%llu", (blocks + 1) / 2);
        printf("total %s\n", buf);
    }
    if (format == FMT_COLUMNS || format == FMT_ACROSS) {
        print_columns(v, n, wd);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        print_one(&v[i], wd);
        putchar('\n');
    }
}

/* One entry without its newline; returns the width of a short-format entry. */
static size_t print_one(const struct entry *e, struct widths wd) {
    int w_ino = wd.ino, w_nlink = wd.nlink, w_owner = wd.owner, w_group = wd.group,
        w_size = wd.size;
    char buf[64];
    size_t width = 0;
    {
        if (show_inode) {
            width += (size_t)w_ino + 1;
            if (e->ok)
                printf("%*llu ", w_ino, (unsigned long long)e->st.st_ino);
            else
                printf("%*s ", w_ino, "?");
        }
        if (show_blocks) {
            width += (size_t)wd.blocks + 1;
            if (e->ok)
                blocks_text(e, buf, sizeof buf);
            printf("%*s ", wd.blocks, e->ok ? buf : "?");
        }
        if (long_format && !e->ok) {
            /* What could not be stat'ed: its type if known, "?" for the rest. */
            char mode[11];
            fu_mode_string(e->st.st_mode, mode);
            if (!e->st.st_mode)
                mode[0] = '?';
            memset(mode + 1, '?', 9);
            printf("%s %*s ", mode, w_nlink, "?");
            if (!no_owner)
                printf("%-*s ", w_owner, "?");
            if (!no_group)
                printf("%-*s ", w_group, "?");
            printf("%*s %12s ", w_size, "?", "?");
        } else if (long_format) {
            char mode[11];
            fu_mode_string(e->st.st_mode, mode);
            printf("%s %*lu ", mode, w_nlink, (unsigned long)e->st.st_nlink);
            if (!no_owner)
                printf("%-*s ", w_owner, owner(e->st.st_uid));
            if (!no_group)
                printf("%-*s ", w_group, group(e->st.st_gid));
            size_text(e, buf, sizeof buf);
            printf("%*s ", w_size, buf);
            struct tm tm;
            struct timespec when = shown_time(&e->st);
            time_t t = when.tv_sec;
            gmtime_r(&t, &tm);
            long long age = (long long)now.tv_sec - (long long)t;
            int recent = age < 31556952 / 2 &&
                         (t < now.tv_sec || (t == now.tv_sec && when.tv_nsec <= now.tv_nsec));
            strftime(buf, sizeof buf, recent ? "%b %e %H:%M" : "%b %e  %Y", &tm);
            printf("%s ", buf);
        }
        fputs(e->name, stdout);
        width += strlen(e->name);
        if (long_format && e->target) {
            printf(" -> %s", e->target);
            if (classify && e->target_ok) {
                char c = indicator(e->target_st.st_mode);
                if (c)
                    putchar(c);
            }
        } else if (classify && e->ok) {
            char c = indicator(e->st.st_mode);
            if (c) {
                putchar(c);
                width++;
            }
        }
    }
    return width;
}

/* The width print_one gives E in a short format. */
static size_t entry_width(const struct entry *e, struct widths wd) {
    size_t w = strlen(e->name) + (show_inode ? (size_t)wd.ino + 1 : 0) +
               (show_blocks ? (size_t)wd.blocks + 1 : 0);
    if (classify && e->ok && indicator(e->st.st_mode))
        w++;
    return w;
}

/* Pad from column FROM to column TO with tabs and spaces, as coreutils. */
static void indent(size_t from, size_t to) {
    while (from < to) {
        if (tab_size && to / tab_size > (from + 1) / tab_size) {
            putchar('\t');
            from += tab_size - from % tab_size;
        } else {
            putchar(' ');
            from++;
        }
    }
}

/* -C (down the columns) and -x (across): as many columns as fit in line_length,
 * each as wide as its widest entry plus two (coreutils' calculate_columns). */
static void print_columns(struct entry *v, size_t n, struct widths wd) {
    if (n == 0)
        return;
    int by_columns = format == FMT_COLUMNS;
    size_t max_cols = line_length / 3 ? line_length / 3 : 1;
    if (max_cols > n)
        max_cols = n;
    size_t *widths = fu_xmalloc(n * sizeof *widths);
    for (size_t i = 0; i < n; i++)
        widths[i] = entry_width(&v[i], wd);
    size_t cols = 1, *best = NULL;
    for (size_t c = max_cols; c >= 1; c--) {
        size_t rows = (n + c - 1) / c;
        size_t *col = fu_xmalloc(c * sizeof *col);
        for (size_t k = 0; k < c; k++)
            col[k] = 3;
        size_t line = c * 3;
        for (size_t i = 0; i < n; i++) {
            size_t idx = by_columns ? i / rows : i % c;
            size_t real = widths[i] + (idx == c - 1 ? 0 : 2);
            if (col[idx] < real) {
                line += real - col[idx];
                col[idx] = real;
            }
        }
        if (line < line_length || c == 1) {
            cols = c;
            best = col;
            break;
        }
        free(col);
    }
    if (by_columns) {
        size_t rows = (n + cols - 1) / cols;
        for (size_t row = 0; row < rows; row++) {
            size_t pos = 0, col = 0;
            for (size_t i = row;;) {
                size_t w = print_one(&v[i], wd);
                size_t max = best[col++];
                i += rows;
                if (i >= n)
                    break;
                indent(pos + w, pos + max);
                pos += max;
            }
            putchar('\n');
        }
    } else {
        size_t pos = 0, w = print_one(&v[0], wd), max = best[0];
        for (size_t i = 1; i < n; i++) {
            size_t col = i % cols;
            if (col == 0) {
                putchar('\n');
                pos = 0;
            } else {
                indent(pos + w, pos + max);
                pos += max;
            }
            w = print_one(&v[i], wd);
            max = best[col];
        }
        putchar('\n');
    }
    free(best);
    free(widths);
}

/* Stat E (following a symlink if FOLLOW). On failure, e->ok is 0 and e->st.st_mode
 * holds at most the type lstat saw, for the "l?????????" line; returns the errno. */
static int fill(struct entry *e, int follow) {
    int err = 0;
    e->ok = (follow ? stat(e->path, &e->st) : lstat(e->path, &e->st)) == 0;
    if (!e->ok) {
        err = errno;
        struct stat l;
        memset(&e->st, 0, sizeof e->st);
        if (lstat(e->path, &l) == 0)
            e->st.st_mode = l.st_mode & S_IFMT;
    }
    e->target = NULL;
    e->target_ok = 0;
    if (e->ok && long_format && S_ISLNK(e->st.st_mode)) {
        char t[4097];
        ssize_t k = readlink(e->path, t, sizeof t - 1);
        if (k >= 0) {
            t[k] = 0;
            e->target = fu_xstrdup(t);
            e->target_ok = stat(e->path, &e->target_st) == 0;
        }
    }
    return err;
}

static void free_entries(struct entry *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        free(v[i].path);
        free(v[i].target);
    }
    free(v);
}

static void list_dir(const char *dir, int header, int *first);

static void list_dir(const char *dir, int header, int *first) {
    DIR *d = opendir(dir);
    if (!d) {
        fu_warn(errno, "cannot open directory %s", fu_quote(dir));
        status = 2;
        return;
    }
    struct entry *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int saw_dot = 0, saw_dotdot = 0;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        int dot = strcmp(name, ".") == 0, dotdot = strcmp(name, "..") == 0;
        saw_dot |= dot;
        saw_dotdot |= dotdot;
        if (name[0] == '.' && (show_all == ALL_NONE || (show_all == ALL_ALMOST && (dot || dotdot))))
            continue;
        if (n == cap)
            v = fu_xrealloc(v, (cap = cap * 2 + 16) * sizeof *v);
        v[n].name = fu_xstrdup(name);
        /* Entries of "." are named without "./" in messages, as coreutils does. */
        v[n].path = strcmp(dir, ".") == 0 ? fu_xstrdup(name) : fu_join(dir, name);
        int err = fill(&v[n], deref);
        /* coreutils stats only what the format needs: a plain "ls -L" lists a
         * dangling link without a word. */
        int need_stat = long_format || classify || show_inode || show_blocks || recursive ||
                        sort_by == SORT_TIME || sort_by == SORT_SIZE;
        if (err && !need_stat) {
            fill(&v[n], 0);
            err = 0;
        }
        if (err) {
            fu_warn(err, "cannot access %s", fu_quote(v[n].path));
            status = status ? status : 1;
        }
        n++;
    }
    closedir(d);
    /* "." and ".." are listed with -a even if the file system does not report them. */
    for (int k = 0; show_all == ALL_DOTS && k < 2; k++) {
        if (k == 0 ? saw_dot : saw_dotdot)
            continue;
        if (n == cap)
            v = fu_xrealloc(v, (cap = cap * 2 + 16) * sizeof *v);
        v[n].name = fu_xstrdup(k == 0 ? "." : "..");
        v[n].path = fu_join(dir, v[n].name);
        fill(&v[n], deref);
        n++;
    }
    sort_entries(v, n);
    if (header) {
        if (!*first)
            putchar('\n');
        printf("%s:\n", dir);
    }
    *first = 0;
    print_entries(v, n, 1, measure(v, n, NULL, 0));
    if (recursive) {
        for (size_t i = 0; i < n; i++) {
            if (!v[i].ok || !S_ISDIR(v[i].st.st_mode))
                continue;
            if (strcmp(v[i].name, ".") == 0 || strcmp(v[i].name, "..") == 0)
                continue;
            char *sub = fu_join(dir, v[i].name); /* "./d" under ".", as coreutils */
            list_dir(sub, 1, first);
            free(sub);
        }
    }
    free_entries(v, n);
}

static const char usage[] =
    "Usage: %s [OPTION]... [FILE]...\n"
    "List information about the FILEs (the current directory by default).\n"
    "\n"
    "  -a, --all              do not ignore entries starting with .\n"
    "  -A, --almost-all       do not list implied . and ..\n"
    "  -c                     with -lt: sort by, and show, ctime; with -l: show ctime;\n"
    "                         otherwise: sort by ctime, newest first\n"
    "  -C                     list entries by columns\n"
    "  -d, --directory        list directories themselves, not their contents\n"
    "  -F, --classify         append indicator (one of */=@|) to entries\n"
    "  -g                     like -l, but do not list owner\n"
    "  -h, --human-readable   with -l, print sizes like 1K 234M 2G\n"
    "  -i, --inode            print the index number of each file\n"
    "  -l                     use a long listing format\n"
    "  -L, --dereference      show information for the file a symbolic link references\n"
    "  -n, --numeric-uid-gid  like -l, but list numeric user and group IDs\n"
    "  -o                     like -l, but do not list group information\n"
    "  -p                     append / indicator to directories\n"
    "  -r, --reverse          reverse order while sorting\n"
    "  -R, --recursive        list subdirectories recursively\n"
    "  -s, --size             print the allocated size of each file, in blocks\n"
    "  -S                     sort by file size, largest first\n"
    "  -t                     sort by modification time, newest first\n"
    "  -u                     like -c, with the access time\n"
    "  -U                     do not sort; list entries in directory order\n"
    "  -w, --width=COLS       set output width to COLS; 0 means no limit\n"
    "  -x                     list entries by lines instead of by columns\n"
    "  -1                     list one file per line\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    static const struct option longopts[] = {
        {"all", no_argument, 0, 'a'},
        {"almost-all", no_argument, 0, 'A'},
        {"recursive", no_argument, 0, 'R'},
        {"directory", no_argument, 0, 'd'},
        {"human-readable", no_argument, 0, 'h'},
        {"reverse", no_argument, 0, 'r'},
        {"inode", no_argument, 0, 'i'},
        {"size", no_argument, 0, 's'},
        {"classify", no_argument, 0, 'F'},
        {"dereference", no_argument, 0, 'L'},
        {"numeric-uid-gid", no_argument, 0, 'n'},
        {"width", required_argument, 0, 'w'},
        {0, 0, 0, 0},
    };
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    opterr = 0;
    int c, width_given = 0, sort_given = 0;
    while ((c = getopt_long(argc, argv, ":aAlgon1CxRdhtcusSUriFpLw:", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': show_all = ALL_DOTS; break;
        case 'A': show_all = ALL_ALMOST; break;
        case 'l': format = FMT_LONG; break;
        case 'g': format = FMT_LONG; no_owner = 1; break;
        case 'o': format = FMT_LONG; no_group = 1; break;
        case 'n': format = FMT_LONG; numeric_ids = 1; break;
        case '1': format = FMT_ONE; break;
        case 'C': format = FMT_COLUMNS; break;
        case 'x': format = FMT_ACROSS; break;
        case 'w': {
            width_given = 1;
            uintmax_t w;
            if (fu_parse_uint(optarg, &w) != 0)
                fu_die(2, 0, "invalid line width: %s", fu_quote(optarg));
            line_length = w ? (size_t)w : SIZE_MAX;
            tab_size = w ? 8 : 0;
            break;
        }
        case 'R': recursive = 1; break;
        case 'd': list_dirs = 1; break;
        case 'h': human = 1; break;
        case 't': sort_by = SORT_TIME; sort_given = 1; break;
        case 'c': time_kind = TIME_CTIME; break;
        case 'u': time_kind = TIME_ATIME; break;
        case 's': show_blocks = 1; break;
        case 'S': sort_by = SORT_SIZE; sort_given = 1; break;
        case 'U': sort_by = SORT_NONE; sort_given = 1; break;
        case 'r': reverse = 1; break;
        case 'i': show_inode = 1; break;
        case 'F': classify = 1; slash_only = 0; break;
        case 'p': classify = 1; slash_only = 1; break;
        case 'L': deref = 1; break;
        default: fu_bad_option(argv, c, 2);
        }
    }
    /* Columns on a terminal, one per line otherwise (coreutils); $COLUMNS sets the width. */
    if (format < 0)
        format = isatty(STDOUT_FILENO) ? FMT_COLUMNS : FMT_ONE;
    long_format = format == FMT_LONG;
    /* -c and -u sort by that time unless -l shows it (then -t must ask), as coreutils. */
    if (time_kind != TIME_MTIME && !long_format && !sort_given)
        sort_by = SORT_TIME;
    const char *env_cols = getenv("COLUMNS");
    uintmax_t cols;
    if (!width_given && env_cols && fu_parse_uint(env_cols, &cols) == 0 && cols > 0)
        line_length = (size_t)cols;
    clock_gettime(CLOCK_REALTIME, &now);
    char *dot[] = {".", NULL};
    char **args = optind < argc ? argv + optind : dot;
    size_t nargs = optind < argc ? (size_t)(argc - optind) : 1;

    /* Command-line symlinks to directories are followed unless -l, -d or -F
     * (coreutils' --dereference-command-line-symlink-to-dir). */
    int follow_args = deref || !(long_format || list_dirs || classify);
    struct entry *files = fu_xmalloc(nargs * sizeof *files);
    struct entry *dirs = fu_xmalloc(nargs * sizeof *dirs);
    size_t nfiles = 0, ndirs = 0;
    for (size_t i = 0; i < nargs; i++) {
        struct entry e = {.name = fu_xstrdup(args[i]), .path = fu_xstrdup(args[i])};
        struct stat st;
        if (lstat(args[i], &st) != 0) {
            fu_warn(errno, "cannot access %s", fu_quote(args[i]));
            status = 2;
            free(e.name);
            free(e.path);
            continue;
        }
        int follow = deref || (follow_args && S_ISLNK(st.st_mode));
        int err = fill(&e, follow);
        if (err && !deref) {
            fill(&e, 0); /* a dangling link named on the command line is listed as a link */
        } else if (err) {
            fu_warn(err, "cannot access %s", fu_quote(args[i]));
            status = 2;
            free(e.name);
            free(e.path);
            free(e.target);
            continue;
        }
        if (S_ISDIR(e.st.st_mode) && !list_dirs)
            dirs[ndirs++] = e;
        else
            files[nfiles++] = e;
    }
    sort_entries(files, nfiles);
    sort_entries(dirs, ndirs);
    int first = 1;
    if (nfiles) {
        print_entries(files, nfiles, 0, measure(files, nfiles, dirs, ndirs));
        first = 0;
    }
    int headers = recursive || nargs > 1;
    for (size_t i = 0; i < ndirs; i++)
        list_dir(dirs[i].path, headers, &first);
    free_entries(files, nfiles);
    free_entries(dirs, ndirs);
    fu_flush_stdout(2);
    return status;
}
