/* grep: print lines that match patterns (GNU grep 3 in the C locale:
 * -E -F -G -e -f -i -y -v -w -x -c -l -L -o -q -s -n -b -h -H -m -A -B -C
 * -r -R -a -I -z -Z --include --exclude --exclude-dir --label --color=never;
 * regular expressions from <regex.h>; binary files (with a NUL byte) as GNU:
 * NULs end lines for matching and a match is reported, not printed). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "textutil.h"

enum { MODE_BRE, MODE_ERE, MODE_FIXED };

static int mode = MODE_BRE, icase, invert, word, whole_line, count_only, list_files,
           list_nonmatching, only_matching, quiet, no_messages, line_numbers, byte_offsets,
           with_filename = -1, recursive, follow_links, text_binary, skip_binary, null_after_name;
static long max_count = -1;
static long after_ctx = -1, before_ctx = -1;
static char eol = '\n';
static const char *label = "(standard input)";

static char **patterns;
static size_t npatterns;
static regex_t *regexes;

static char **includes, **excludes, **exclude_dirs;
static size_t nincludes, nexcludes, nexclude_dirs;

static int status_error, any_selected;
static int printed_something; /* for "--" between context groups */

static void add_pattern_list(const char *s, size_t len)
{
    /* Each line of s is a pattern. */
    const char *end = s + len;
    for (;;) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
        patterns = tu_xrealloc(patterns, (npatterns + 1) * sizeof *patterns);
        patterns[npatterns++] = strndup(s, n);
        if (!nl)
            break;
        s = nl + 1;
    }
}

static void add_glob(char ***list, size_t *n, const char *g)
{
    *list = tu_xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = (char *)g;
}

static void compile_patterns(void)
{
    if (mode == MODE_FIXED)
        return;
    regexes = tu_xmalloc(npatterns * sizeof *regexes);
    for (size_t i = 0; i < npatterns; i++) {
        int rc = tu_regcomp(&regexes[i], patterns[i], mode == MODE_ERE, icase);
        if (rc != 0)
            tu_die(2, "%s", tu_regerror(rc));
    }
}

static int is_word_char(int c)
{
    return c == '_' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int word_bounded(const char *line, size_t len, size_t s, size_t e)
{
    return (s == 0 || !is_word_char((unsigned char)line[s - 1])) &&
           (e == len || !is_word_char((unsigned char)line[e]));
}

/* A scratch NUL-terminated copy for regexec. */
static char *scratch;
static size_t scratch_cap;

static const char *terminated(const char *p, size_t n)
{
    if (n + 1 > scratch_cap) {
        scratch_cap = n + 1 > 2 * scratch_cap ? n + 1 : 2 * scratch_cap;
        scratch = tu_xrealloc(scratch, scratch_cap);
    }
    memcpy(scratch, p, n);
    scratch[n] = 0;
    return scratch;
}

/* Leftmost-longest match of pattern i in line[from, limit) (limit < len: the end is
 * not the end of the line). */
static int search_one(size_t i, const char *line, size_t len, size_t from, size_t limit,
                      size_t *ms, size_t *me)
{
    if (mode == MODE_FIXED) {
        const char *pat = patterns[i];
        size_t pl = strlen(pat);
        for (size_t s = from; s + pl <= limit; s++) {
            if (icase ? strncasecmp(line + s, pat, pl) == 0 : memcmp(line + s, pat, pl) == 0) {
                *ms = s;
                *me = s + pl;
                return 1;
            }
        }
        return 0;
    }
    /* regexec stops at a NUL (grep -a on binary data): search the pieces between. */
    for (size_t a = from;;) {
        const char *nul = memchr(line + a, 0, limit - a);
        size_t b = nul ? (size_t)(nul - line) : limit;
        regmatch_t m;
        const char *sub = terminated(line + a, b - a);
        int flags = (a > 0 ? REG_NOTBOL : 0) | (b < len ? REG_NOTEOL : 0);
        if (regexec(&regexes[i], sub, 1, &m, flags) == 0) {
            *ms = a + (size_t)m.rm_so;
            *me = a + (size_t)m.rm_eo;
            return 1;
        }
        if (!nul)
            return 0;
        a = b + 1;
    }
}

/* A match of pattern i at or after from that satisfies -w / -x. */
static int match_one(size_t i, const char *line, size_t len, size_t from, size_t *ms, size_t *me)
{
    size_t s, e;
    while (from <= len && search_one(i, line, len, from, len, &s, &e)) {
        if (whole_line) {
            if (s == 0 && e == len) {
                *ms = s;
                *me = e;
                return 1;
            }
            return 0;
        }
        if (!word) {
            *ms = s;
            *me = e;
            return 1;
        }
        /* -w: as GNU, try shorter matches at the same start, then look further on. */
        for (;;) {
            if (word_bounded(line, len, s, e)) {
                *ms = s;
                *me = e;
                return 1;
            }
            size_t s2, e2;
            if (e > s && search_one(i, line, len, s, e - 1, &s2, &e2) && s2 == s) {
                e = e2;
                continue;
            }
            break;
        }
        from = s + 1;
    }
    return 0;
}

/* Leftmost (then longest) match of any pattern, from offset from. */
static int find_match(const char *line, size_t len, size_t from, size_t *ms, size_t *me)
{
    int found = 0;
    for (size_t i = 0; i < npatterns; i++) {
        size_t s, e;
        if (match_one(i, line, len, from, &s, &e) &&
            (!found || s < *ms || (s == *ms && e > *me))) {
            *ms = s;
            *me = e;
            found = 1;
        }
    }
    return found;
}

/* grep names files as given (no shell quoting, unlike coreutils). */
static void warn_file(const char *name)
{
    tu_warn("%s: %s", name, tu_strerror(errno));
}

static void print_prefix(const char *name, size_t lineno, size_t offset, char sep)
{
    if (with_filename) {
        fputs(name, stdout);
        putchar(null_after_name ? 0 : sep);
    }
    if (line_numbers)
        printf("%zu%c", lineno, sep);
    if (byte_offsets)
        printf("%zu%c", offset, sep);
}

/* Reads lines from a stream, after the first bytes, which were read ahead to see
 * whether the input is binary (GNU looks at its first buffer the same way). */
struct reader {
    FILE *f;
    char ahead[32768];
    size_t ahead_len, ahead_pos;
    int nul_ends_line; /* binary: a NUL ends a line too, as GNU reads binary data */
    int saw_nul;
    char *gl;
    size_t glcap;
};

/* The next line into b (without its end); 0 at the end of the input. */
static int read_line(struct reader *r, struct tu_buf *b, int *terminated)
{
    b->len = 0;
    if (!b->data)
        tu_buf_add(b, "", 0);
    *terminated = 0;
    int any = 0;
    while (r->ahead_pos < r->ahead_len) {
        char c = r->ahead[r->ahead_pos++];
        any = 1;
        if (c == eol || (c == 0 && r->nul_ends_line)) {
            *terminated = 1;
            return 1;
        }
        if (c == 0)
            r->saw_nul = 1;
        tu_buf_addc(b, c);
    }
    if (r->nul_ends_line) {
        int c;
        while ((c = getc(r->f)) != EOF) {
            any = 1;
            if (c == eol || c == 0) {
                *terminated = 1;
                return 1;
            }
            tu_buf_addc(b, (char)c);
        }
        return any;
    }
    ssize_t n = getdelim(&r->gl, &r->glcap, eol, r->f);
    if (n <= 0)
        return any;
    *terminated = r->gl[n - 1] == eol;
    size_t len = (size_t)n - (size_t)*terminated;
    if (memchr(r->gl, 0, len))
        r->saw_nul = 1;
    tu_buf_add(b, r->gl, len);
    return 1;
}

/* Print a selected (sep ':') or context (sep '-') line; with -o only the parts
 * that match, each on its own line, as GNU does for both kinds. */
static void emit(const char *name, size_t lineno, size_t pos, const char *line, size_t len,
                 char sep)
{
    if (!only_matching) {
        print_prefix(name, lineno, pos, sep);
        fwrite(line, 1, len, stdout);
        putchar(eol);
        return;
    }
    size_t from = 0, ms, me;
    while (from <= len && find_match(line, len, from, &ms, &me)) {
        if (me == ms) {
            from = ms + 1;
            continue;
        }
        print_prefix(name, lineno, pos + ms, sep);
        fwrite(line + ms, 1, me - ms, stdout);
        putchar(eol);
        from = me;
    }
}

static void report_file(const char *name, long selected_count);

struct context_line {
    struct tu_buf text;
    size_t lineno, offset;
};

/* Search one input, line by line (so that grep -m/-q/-l stop reading early);
 * returns the number of selected lines. */
static long grep_stream(FILE *f, const char *name)
{
    struct reader *r = tu_xmalloc(sizeof *r);
    r->f = f;
    r->ahead_len = fread(r->ahead, 1, sizeof r->ahead, f);
    r->ahead_pos = 0;
    r->saw_nul = 0;
    r->gl = NULL;
    r->glcap = 0;
    /* With -z a NUL ends a line: in the C locale nothing makes the data binary. */
    int binary = !text_binary && eol != 0 && memchr(r->ahead, 0, r->ahead_len);
    r->nul_ends_line = binary;
    long selected_count = 0;
    if (binary && skip_binary)
        goto done;
    int printing = !(count_only || list_files || list_nonmatching || quiet);
    size_t lineno = 0, last_printed = 0, offset = 0; /* 1-based line numbers; 0: none */
    long after_left = 0;
    size_t ring_n = before_ctx > 0 ? (size_t)before_ctx : 0, ring_used = 0;
    struct context_line *ring = ring_n ? tu_xmalloc(ring_n * sizeof *ring) : NULL;
    for (size_t i = 0; i < ring_n; i++)
        memset(&ring[i], 0, sizeof ring[i]);
    struct tu_buf lb = {0};
    int terminated;
    while (read_line(r, &lb, &terminated)) {
        if (r->saw_nul && !text_binary && eol != 0 && !binary) {
            binary = 1; /* a NUL further on: binary from here, as GNU */
            r->nul_ends_line = 1;
        }
        const char *line = lb.data;
        size_t len = lb.len, pos = offset;
        offset += len + (size_t)terminated;
        lineno++;
        size_t ms, me;
        int matched = find_match(line, len, 0, &ms, &me);
        int selected = matched != invert;
        if (selected && (max_count < 0 || selected_count < max_count)) {
            selected_count++;
            any_selected = 1;
            if (quiet)
                exit(0);
            if (list_files)
                break;
            if (printing) {
                if (binary) {
                    fflush(stdout);
                    fprintf(stderr, "%s: %s: binary file matches\n", tu_prog, name);
                    break;
                }
                /* Context before: the remembered lines not printed yet. */
                size_t first = ring_used;
                for (size_t k = 0; k < ring_used; k++) {
                    if (ring[(lineno - 1 - ring_used + k) % ring_n].lineno > last_printed) {
                        first = k;
                        break;
                    }
                }
                size_t first_ctx = first < ring_used ? lineno - ring_used + first : lineno;
                if ((after_ctx > 0 || before_ctx > 0) && printed_something &&
                    first_ctx != last_printed + 1)
                    fputs("--\n", stdout);
                for (size_t k = first; k < ring_used; k++) {
                    struct context_line *c = &ring[(lineno - 1 - ring_used + k) % ring_n];
                    emit(name, c->lineno, c->offset, c->text.data, c->text.len, '-');
                }
                emit(name, lineno, pos, line, len, ':');
                last_printed = lineno;
                printed_something = 1;
                after_left = after_ctx > 0 ? after_ctx : 0;
            }
        } else if (max_count >= 0 && selected_count >= max_count) {
            /* -m reached: only the trailing context is left, whatever the lines are. */
            if (!printing || after_left == 0)
                break;
            emit(name, lineno, pos, line, len, '-');
            last_printed = lineno;
            after_left--;
        } else if (printing && after_left > 0 && !selected) {
            emit(name, lineno, pos, line, len, '-');
            last_printed = lineno;
            after_left--;
        }
        if (ring_n) {
            struct context_line *c = &ring[(lineno - 1) % ring_n];
            c->text.len = 0;
            tu_buf_add(&c->text, line, len);
            c->lineno = lineno;
            c->offset = pos;
            if (ring_used < ring_n)
                ring_used++;
        }
    }
    for (size_t i = 0; i < ring_n; i++)
        tu_buf_free(&ring[i].text);
    free(ring);
    tu_buf_free(&lb);
    if (ferror(f)) {
        if (!no_messages)
            tu_warn("%s: %s", name, tu_strerror(errno));
        status_error = 1;
    }
done:
    free(r->gl);
    free(r);
    report_file(name, selected_count);
    return selected_count;
}

/* What -c, -l and -L print for a file, once it has been searched. */
static void report_file(const char *name, long selected_count)
{
    if (count_only) {
        if (with_filename) {
            fputs(name, stdout);
            putchar(null_after_name ? 0 : ':');
        }
        printf("%ld\n", selected_count);
    }
    if (list_files && selected_count > 0) {
        fputs(name, stdout);
        putchar(null_after_name ? 0 : '\n');
    }
    if (list_nonmatching && selected_count == 0) {
        fputs(name, stdout);
        putchar(null_after_name ? 0 : '\n');
    }
}

static int glob_listed(char **list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (fnmatch(list[i], name, 0) == 0)
            return 1;
    return 0;
}

static void grep_path(const char *path, int command_line);

static void grep_dir(const char *path, int command_line)
{
    DIR *d = opendir(path);
    if (!d) {
        if (!no_messages)
            warn_file(path);
        status_error = 1;
        return;
    }
    struct dirent *e;
    char **names = NULL;
    size_t n = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        names = tu_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = tu_xstrdup(e->d_name);
    }
    closedir(d);
    for (size_t i = 0; i < n; i++) {
        /* "." given implicitly (grep -r PAT): names without the "./" prefix. */
        size_t plen = strlen(path);
        char *child = tu_xmalloc(plen + strlen(names[i]) + 2);
        if (strcmp(path, ".") == 0 && !command_line)
            strcpy(child, names[i]);
        else
            sprintf(child, "%s%s%s", path, plen && path[plen - 1] == '/' ? "" : "/", names[i]);
        grep_path(child, 0);
        free(child);
        free(names[i]);
    }
    free(names);
}

static void grep_path(const char *path, int command_line)
{
    if (strcmp(path, "-") == 0 && command_line) {
        grep_stream(stdin, label);
        return;
    }
    struct stat st;
    int rc = (recursive && !follow_links && !command_line) ? lstat(path, &st) : stat(path, &st);
    if (!*path) {
        rc = -1;
        errno = ENOENT; /* as Linux (WASI would take the current directory) */
    }
    if (rc != 0) {
        if (!no_messages)
            warn_file(path);
        status_error = 1;
        return;
    }
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (S_ISDIR(st.st_mode)) {
        if (!recursive) {
            /* As GNU: reading it fails, and it counts as a file with no lines. */
            if (!no_messages)
                tu_warn("%s: Is a directory", path);
            status_error = 1;
            report_file(path, 0);
            return;
        }
        if (!command_line && glob_listed(exclude_dirs, nexclude_dirs, base))
            return;
        grep_dir(path, command_line);
        return;
    }
    if (S_ISLNK(st.st_mode))
        return; /* -r does not follow symlinks it finds */
    if (recursive && !command_line && !S_ISREG(st.st_mode))
        return;
    if ((nincludes && !glob_listed(includes, nincludes, base)) ||
        glob_listed(excludes, nexcludes, base))
        return;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (!no_messages)
            warn_file(path);
        status_error = 1;
        return;
    }
    grep_stream(f, path);
    fclose(f);
}

static long parse_num(const char *arg, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end || v < 0 || errno)
        tu_die(2, "%s: %s", arg, what);
    return v;
}

int main(int argc, char **argv)
{
    enum { OPT_INCLUDE = 256, OPT_EXCLUDE, OPT_EXCLUDE_DIR, OPT_LABEL, OPT_COLOR, OPT_NO_ICASE };
    static const struct option longopts[] = {
        {"extended-regexp", no_argument, 0, 'E'},
        {"fixed-strings", no_argument, 0, 'F'},
        {"basic-regexp", no_argument, 0, 'G'},
        {"regexp", required_argument, 0, 'e'},
        {"file", required_argument, 0, 'f'},
        {"ignore-case", no_argument, 0, 'i'},
        {"no-ignore-case", no_argument, 0, OPT_NO_ICASE},
        {"invert-match", no_argument, 0, 'v'},
        {"word-regexp", no_argument, 0, 'w'},
        {"line-regexp", no_argument, 0, 'x'},
        {"count", no_argument, 0, 'c'},
        {"files-with-matches", no_argument, 0, 'l'},
        {"files-without-match", no_argument, 0, 'L'},
        {"only-matching", no_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},
        {"silent", no_argument, 0, 'q'},
        {"no-messages", no_argument, 0, 's'},
        {"line-number", no_argument, 0, 'n'},
        {"byte-offset", no_argument, 0, 'b'},
        {"with-filename", no_argument, 0, 'H'},
        {"no-filename", no_argument, 0, 'h'},
        {"max-count", required_argument, 0, 'm'},
        {"after-context", required_argument, 0, 'A'},
        {"before-context", required_argument, 0, 'B'},
        {"context", required_argument, 0, 'C'},
        {"recursive", no_argument, 0, 'r'},
        {"dereference-recursive", no_argument, 0, 'R'},
        {"text", no_argument, 0, 'a'},
        {"null-data", no_argument, 0, 'z'},
        {"null", no_argument, 0, 'Z'},
        {"include", required_argument, 0, OPT_INCLUDE},
        {"exclude", required_argument, 0, OPT_EXCLUDE},
        {"exclude-dir", required_argument, 0, OPT_EXCLUDE_DIR},
        {"label", required_argument, 0, OPT_LABEL},
        {"color", optional_argument, 0, OPT_COLOR},
        {"colour", optional_argument, 0, OPT_COLOR},
        {0, 0, 0, 0},
    };
    const char *optstring = "0123456789A:B:C:EFGHILRZabce:f:hilm:noqrsvwxyz";
    tu_init(argv);
    opterr = 0;
    int c, have_patterns = 0, matcher_given = 0;
    long digits_ctx = -1;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
            digits_ctx = (digits_ctx < 0 ? 0 : digits_ctx) * 10 + (c - '0');
            break;
        case 'A': after_ctx = parse_num(optarg, "invalid context length argument"); break;
        case 'B': before_ctx = parse_num(optarg, "invalid context length argument"); break;
        case 'C': digits_ctx = parse_num(optarg, "invalid context length argument"); break;
        case 'E':
        case 'F':
        case 'G': {
            int m = c == 'E' ? MODE_ERE : c == 'F' ? MODE_FIXED : MODE_BRE;
            if (matcher_given && m != mode)
                tu_die(2, "conflicting matchers specified");
            mode = m;
            matcher_given = 1;
            break;
        }
        case 'H': with_filename = 1; break;
        case 'I': skip_binary = 1; break;
        case 'L': list_nonmatching = 1; list_files = 0; break;
        case 'R': recursive = follow_links = 1; break;
        case 'Z': null_after_name = 1; break;
        case 'a': text_binary = 1; break;
        case 'b': byte_offsets = 1; break;
        case 'c': count_only = 1; break;
        case 'e': add_pattern_list(optarg, strlen(optarg)); have_patterns = 1; break;
        case 'f': {
            FILE *f = tu_open(optarg);
            struct tu_buf b = {0};
            if (!f || tu_read_all(f, &b) != 0)
                tu_die(2, "%s: %s", optarg, tu_strerror(errno));
            tu_close(f);
            /* Each line is a pattern; an empty file has none. */
            if (b.len > 0)
                add_pattern_list(b.data, b.len - (b.data[b.len - 1] == '\n'));
            tu_buf_free(&b);
            have_patterns = 1;
            break;
        }
        case 'h': with_filename = 0; break;
        case 'i': case 'y': icase = 1; break;
        case OPT_NO_ICASE: icase = 0; break;
        case 'l': list_files = 1; list_nonmatching = 0; break;
        case 'm': max_count = parse_num(optarg, "invalid max count"); break;
        case 'n': line_numbers = 1; break;
        case 'o': only_matching = 1; break;
        case 'q': quiet = 1; break;
        case 'r': recursive = 1; break;
        case 's': no_messages = 1; break;
        case 'v': invert = 1; break;
        case 'w': word = 1; break;
        case 'x': whole_line = 1; break;
        case 'z': eol = 0; break;
        case OPT_INCLUDE: add_glob(&includes, &nincludes, optarg); break;
        case OPT_EXCLUDE: add_glob(&excludes, &nexcludes, optarg); break;
        case OPT_EXCLUDE_DIR: add_glob(&exclude_dirs, &nexclude_dirs, optarg); break;
        case OPT_LABEL: label = optarg; break;
        case OPT_COLOR: break;
        default:
            if (optopt && strchr(optstring, optopt)) {
                tu_warn("option requires an argument -- '%c'", optopt);
            } else if (optopt) {
                tu_warn("invalid option -- '%c'", optopt);
            } else {
                tu_warn("unrecognized option '%s'", argv[optind - 1]);
            }
            fprintf(stderr, "Usage: %s [OPTION]... PATTERNS [FILE]...\n", tu_prog);
            tu_usage(2);
        }
    }
    if (digits_ctx >= 0) {
        if (after_ctx < 0)
            after_ctx = digits_ctx;
        if (before_ctx < 0)
            before_ctx = digits_ctx;
    }
    if (!have_patterns) {
        if (optind >= argc) {
            fprintf(stderr, "Usage: %s [OPTION]... PATTERNS [FILE]...\n", tu_prog);
            tu_usage(2);
        }
        const char *p = argv[optind++];
        add_pattern_list(p, strlen(p));
    }
    if (npatterns == 0) {
        /* No patterns (-f /dev/null) match nothing: GNU inverts an empty one. */
        add_pattern_list("", 0);
        invert = !invert;
        whole_line = word = 0;
    }
    compile_patterns();
    /* No line can be selected: GNU stops at once. */
    if ((max_count == 0 || (npatterns == 1 && !patterns[0][0] && invert && !whole_line && !word)) &&
        !list_nonmatching)
        return 1;

    int nfiles = argc - optind;
    if (with_filename < 0)
        with_filename = nfiles > 1 || recursive;
    if (recursive && nfiles == 1) {
        struct stat st;
        with_filename = with_filename && stat(argv[optind], &st) == 0 && S_ISDIR(st.st_mode);
    }
    if (nfiles == 0) {
        if (recursive)
            grep_dir(".", 0);
        else
            grep_path("-", 1);
    }
    for (int i = optind; i < argc; i++)
        grep_path(argv[i], 1);
    tu_flush_stdout();
    if (status_error && !(quiet && any_selected))
        return 2;
    return any_selected ? 0 : 1;
}
