/* xargs: build and run command lines from standard input (GNU findutils'
 * xargs: -0 -a -d -E -e -I -i -L -l -n -P -r -s -t -x; blanks, quotes and
 * backslashes split the input unless -0/-d; commands are started with
 * posix_spawnp with standard input from /dev/null (the input file's, with -a);
 * exit 123 if a command failed, 124 if one exited 255, 125 if one was killed,
 * 126 if it could not run, 127 if it was not found). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "textutil.h"

extern char **environ;

static FILE *input;
static int delim = -1;       /* -1: blanks and quotes; otherwise the one delimiter */
static const char *eof_str;  /* -E */
static const char *replace;  /* -I */
static long max_args, max_lines, max_procs = 1;
static size_t max_chars = 128 * 1024;
static int trace, no_run_if_empty, exit_if_too_long, stdin_from_file;
static int status, running, eof_seen, unmatched_quote, warned_nul;
static size_t item_len; /* bytes in the last item read (a NUL inside counts, as GNU) */
static size_t max_item = SIZE_MAX; /* longest item that fits in a command line */
static int item_overflow;          /* the item being read is longer */

static char **init_args;
static int ninit;

/* Add a byte of an item split by blanks and quotes. */
static void add_byte(struct tu_buf *b, int c)
{
    if (b->len >= max_item) {
        item_overflow = 1; /* GNU's line buffer is full: the item cannot fit */
        return;
    }
    if (c == 0 && !warned_nul) {
        /* GNU: the argument ends there (a C string), with this warning once. */
        tu_warn("WARNING: a NUL character occurred in the input.  It cannot be passed "
                "through in the argument list.  Did you mean to use the --null option?");
        warned_nul = 1;
    }
    tu_buf_addc(b, (char)c);
}

/* One input item; *line_end set when it ended a (non-continued) line. */
static char *read_item(int *line_end)
{
    struct tu_buf b = {0};
    int c;
    *line_end = 0;
    if (eof_seen)
        return NULL;
    if (delim >= 0) {
        while ((c = getc(input)) != EOF && c != delim)
            tu_buf_addc(&b, (char)c);
        if (c == EOF && b.len == 0) {
            tu_buf_free(&b);
            return NULL;
        }
        if (!b.data)
            tu_buf_add(&b, "", 0);
        *line_end = 1;
        item_len = b.len;
        return b.data;
    }
    /* Skip the blanks and newlines before the item. */
    for (;;) {
        c = getc(input);
        if (c == EOF) {
            tu_buf_free(&b);
            return NULL;
        }
        if (c == '\n' && replace)
            continue;
        if (c == ' ' || c == '\t' || c == '\n')
            continue;
        break;
    }
    int quote = 0, prev = -1; /* prev: the last byte read (an escaped one too) */
    for (;;) {
        if (quote) {
            if (c == EOF && b.len >= max_item) {
                /* GNU stores the item's NUL first: no room, the item is too long. */
                item_overflow = 1;
                break;
            }
            if (c == EOF || c == '\n') {
                /* GNU runs the command with the items before it, then fails. */
                unmatched_quote = quote;
                eof_seen = 1;
                tu_buf_free(&b);
                return NULL;
            }
            if (c == quote)
                quote = 0;
            else
                add_byte(&b, c);
        } else if (c == EOF) {
            break;
        } else if (c == '\n') {
            /* A line ending in a blank (even an escaped one) goes on (-L). */
            *line_end = !(prev == ' ' || prev == '\t');
            break;
        } else if ((c == ' ' || c == '\t') && !replace) {
            /* A blank before the newline continues the line (-L). */
            int d;
            while ((d = getc(input)) == ' ' || d == '\t')
                ;
            if (d != '\n' && d != EOF)
                ungetc(d, input);
            else if (d == '\n')
                ungetc(' ', input); /* eaten by the next skip, no line end */
            break;
        } else if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '\\') {
            c = getc(input);
            if (c == EOF)
                break;
            add_byte(&b, c);
        } else {
            add_byte(&b, c);
        }
        if (item_overflow)
            break;
        prev = c;
        c = getc(input);
    }
    if (!b.data)
        tu_buf_add(&b, "", 0);
    if (eof_str && strcmp(b.data, eof_str) == 0) {
        eof_seen = 1;
        tu_buf_free(&b);
        return NULL;
    }
    item_len = b.len;
    return b.data;
}

static void wait_one(void);

/* Report and exit 1 once the commands already started have ended (as GNU). */
static _Noreturn void fail(const char *msg)
{
    while (running > 0)
        wait_one();
    tu_die(1, "%s", msg);
}

static void check_child(int wstatus, const char *name)
{
    if (WIFSIGNALED(wstatus)) {
        tu_warn("%s: terminated by signal %d", name, WTERMSIG(wstatus));
        exit(125);
    }
    int code = WEXITSTATUS(wstatus);
    if (code == 255) {
        tu_warn("%s: exited with status 255; aborting", name);
        exit(124);
    }
    if (code != 0)
        status = 123;
}

static void wait_one(void)
{
    int ws;
    pid_t pid;
    while ((pid = wait(&ws)) < 0 && errno == EINTR)
        ;
    if (pid > 0) {
        running--;
        check_child(ws, init_args[0]);
    }
}

static void run(char **argv)
{
    if (trace) {
        for (int i = 0; argv[i]; i++)
            fprintf(stderr, "%s%s", i ? " " : "", tu_shell_quote(argv[i], 0, 0));
        fputc('\n', stderr);
    }
    while (running >= max_procs && max_procs > 0)
        wait_one();
    fflush(stdout);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (!stdin_from_file)
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (err != 0) {
        errno = err;
        tu_warn_errno(argv[0]);
        while (running > 0)
            wait_one();
        exit(err == ENOENT ? 127 : 126);
    }
    running++;
}

/* Replace every occurrence of replace in s with item (all its len bytes: a NUL in
 * it ends the argument there, as in GNU). */
static char *substitute(const char *s, const char *item, size_t len)
{
    struct tu_buf b = {0};
    size_t rl = strlen(replace);
    const char *p;
    while ((p = strstr(s, replace)) != NULL && rl > 0) {
        tu_buf_add(&b, s, (size_t)(p - s));
        tu_buf_add(&b, item, len);
        s = p + rl;
    }
    tu_buf_add(&b, s, strlen(s));
    return b.data;
}

static long parse_positive(const char *arg, char opt)
{
    char *end;
    long v = strtol(arg, &end, 10);
    if (end == arg || *end) {
        tu_warn("invalid number \"%s\" for -%c option", arg, opt);
        tu_usage(1);
    }
    if (v < 1 && opt != 'P') {
        tu_warn("value %s for -%c option should be >= 1", arg, opt);
        tu_usage(1);
    }
    return v;
}

static int unescape_delim(const char *s)
{
    if (s[0] && !s[1])
        return (unsigned char)s[0];
    if (s[0] == '\\' && s[1] == '\\')
        return '\\';
    if (s[0] == '\\') {
        const char *p = s + 1;
        int out;
        if (tu_escape(&p, 0, &out) && !*p)
            return out;
    }
    tu_die(1, "Invalid input delimiter specification %s: the delimiter must be either a single "
              "character or an escape sequence starting with \\.", s);
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"null", no_argument, 0, '0'},
        {"arg-file", required_argument, 0, 'a'},
        {"delimiter", required_argument, 0, 'd'},
        {"eof", optional_argument, 0, 'e'},
        {"replace", optional_argument, 0, 'i'},
        {"max-lines", optional_argument, 0, 'l'},
        {"max-args", required_argument, 0, 'n'},
        {"max-procs", required_argument, 0, 'P'},
        {"no-run-if-empty", no_argument, 0, 'r'},
        {"max-chars", required_argument, 0, 's'},
        {"verbose", no_argument, 0, 't'},
        {"exit", no_argument, 0, 'x'},
        {0, 0, 0, 0},
    };
    const char *optstring = "+0a:d:E:e::I:i::L:l::n:P:prs:tx";
    tu_init(argv);
    opterr = 0;
    input = stdin;
    int c;
    while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
        switch (c) {
        case '0': delim = 0; break;
        case 'a':
            input = fopen(optarg, "r");
            if (!input)
                tu_die(1, "cannot open input file %s: %s", tu_quote(optarg), tu_strerror(errno));
            stdin_from_file = 1;
            break;
        case 'd': delim = unescape_delim(optarg); break;
        case 'E': eof_str = optarg; break;
        case 'e': eof_str = optarg; break;
        case 'I': replace = optarg; max_lines = 1; max_args = 0; break;
        case 'i': replace = optarg ? optarg : "{}"; max_lines = 1; max_args = 0; break;
        case 'L': max_lines = parse_positive(optarg, 'L'); max_args = 0; replace = NULL; break;
        case 'l': max_lines = optarg ? parse_positive(optarg, 'l') : 1; max_args = 0; break;
        case 'n': max_args = parse_positive(optarg, 'n'); max_lines = 0; break;
        case 'P': max_procs = parse_positive(optarg, 'P'); break;
        case 'p': trace = 1; break;
        case 'r': no_run_if_empty = 1; break;
        case 's': max_chars = (size_t)parse_positive(optarg, 's'); break;
        case 't': trace = 1; break;
        case 'x': exit_if_too_long = 1; break;
        default: tu_bad_option(argv, optstring, 1);
        }
    }
    static char *default_cmd[] = {"echo", NULL};
    if (optind < argc) {
        init_args = argv + optind;
        ninit = argc - optind;
    } else {
        init_args = default_cmd;
        ninit = 1;
    }
    if (max_procs == 0)
        max_procs = 1 << 20;

    int ran = 0, too_long = 0;
    if (replace) {
        int line_end;
        char *item;
        while ((item = read_item(&line_end)) != NULL) {
            char **cmd = tu_xmalloc((size_t)(ninit + 1) * sizeof *cmd);
            for (int i = 0; i < ninit; i++)
                cmd[i] = substitute(init_args[i], item, item_len);
            cmd[ninit] = NULL;
            run(cmd);
            for (int i = 0; i < ninit; i++)
                free(cmd[i]);
            free(cmd);
            free(item);
        }
    } else {
        size_t base_len = 0;
        for (int i = 0; i < ninit; i++)
            base_len += strlen(init_args[i]) + 1;
        if (base_len > max_chars)
            fail("cannot fit single argument within argument list size limit");
        max_item = max_chars - base_len; /* an item and its NUL must fit */
        for (int done = 0; !done;) {
            size_t cap = (size_t)ninit + 16, n = (size_t)ninit, len = base_len;
            char **cmd = tu_xmalloc(cap * sizeof *cmd);
            memcpy(cmd, init_args, (size_t)ninit * sizeof *cmd);
            long items = 0, lines = 0;
            int line_end;
            char *item;
            static char *pending;
            static size_t pending_len;
            for (;;) {
                size_t ilen = pending_len;
                item = pending ? pending : read_item(&line_end);
                if (pending)
                    line_end = 0;
                else
                    ilen = item_len;
                pending = NULL;
                if (!item) {
                    done = 1;
                    break;
                }
                if (len + ilen + 1 > max_chars || item_overflow) {
                    if (base_len + ilen + 1 > max_chars || item_overflow) {
                        /* Too long even alone: GNU runs what it has (not with -x), then fails. */
                        if (exit_if_too_long || items == 0)
                            fail("argument line too long");
                        too_long = 1;
                        done = 1;
                        break;
                    }
                    /* -x: -n/-L asked for more arguments than fit. */
                    if (exit_if_too_long && (max_args || max_lines))
                        fail("argument list too long");
                    pending = item;
                    pending_len = ilen;
                    break;
                }
                if (n + 2 > cap) {
                    cap *= 2;
                    cmd = tu_xrealloc(cmd, cap * sizeof *cmd);
                }
                cmd[n++] = item;
                len += ilen + 1;
                items++;
                lines += line_end;
                if ((max_args && items >= max_args) || (max_lines && lines >= max_lines))
                    break;
            }
            /* An unmatched quote runs only the complete items before it (GNU); with -L
             * or -x, none of the batch it is in. */
            if (unmatched_quote && (max_lines || exit_if_too_long)) {
                for (size_t i = (size_t)ninit; i < n; i++)
                    free(cmd[i]);
                items = 0;
                n = (size_t)ninit;
            }
            cmd[n] = NULL;
            if (items > 0 || (!ran && !no_run_if_empty && !unmatched_quote)) {
                run(cmd);
                ran = 1;
            }
            for (size_t i = (size_t)ninit; i < n; i++)
                free(cmd[i]);
            free(cmd);
            if (too_long) {
                while (running > 0)
                    wait_one();
                fail("argument line too long");
            }
            if (pending)
                done = 0;
        }
    }
    while (running > 0)
        wait_one();
    if (unmatched_quote) {
        tu_warn("unmatched %s quote; by default quotes are special to xargs unless you use "
                "the -0 option",
                unmatched_quote == '\'' ? "single" : "double");
        return 1;
    }
    return status;
}
