/* textutil: what the text utilities (echo cat wc grep ...) share.
 *
 * Messages follow GNU coreutils: "PROG: MESSAGE", where PROG is argv[0]
 * as given (GNU's program_invocation_name), and option errors are
 * followed by "Try 'PROG --help' for more information.". */
#ifndef TEXTUTIL_H
#define TEXTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <regex.h>
#include <stdio.h>

/* argv[0], set by tu_init. */
extern const char *tu_prog;

/* Remember argv[0] for messages. */
void tu_init(char **argv);

/* strerror with glibc's wording where wasi-libc's (musl's) differs, so messages
 * read as on Linux ("Numerical result out of range", "Input/output error"...). */
const char *tu_strerror(int err);

/* NAME quoted as GNU's quote() does in the C locale: 'NAME', with ' and \
 * backslash-escaped and control characters as C escapes. Returns a static
 * buffer (two calls may be used in one message). */
const char *tu_quote(const char *name);

/* A file name as GNU's quotef (always = 0) or quoteaf (always = 1) shows it:
 * shell-quoted when it holds characters special to the shell ('a b', "it's",
 * 'n'$'\n''l'); with always, quoted even when plain. Static buffers (two
 * calls may be used in one message). */
const char *tu_quotef(const char *name, int always);

/* The same shell-escape quoting; colon: ':' needs quoting too (file names in
 * "NAME: message" do; printf's %q does not). */
const char *tu_shell_quote(const char *name, int always, int colon);

/* regcomp(pattern) as GNU grep (ere: -E) and expr read patterns: unknown escaped
 * letters stand for themselves, in an ERE a repetition with nothing to repeat is
 * dropped (with GNU's warning), a '{' that starts no interval is literal, {,m}
 * is {0,m}, back-references work (the ERE is run as the equivalent BRE) and a
 * back-reference to a missing group is REG_ESUBREG. Returns 0 or a REG_* code. */
int tu_regcomp(regex_t *re, const char *pattern, int ere, int icase);

/* GNU regex's message for a regcomp error code ("Unmatched ( or \\("...). */
const char *tu_regerror(int code);

/* "PROG: FORMAT\n" on stderr. */
void tu_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "PROG: NAME: strerror(errno)\n" on stderr (NAME as tu_quotef shows it). */
void tu_warn_errno(const char *name);

/* tu_warn, then exit(status). */
_Noreturn void tu_die(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "Try 'PROG --help' for more information." on stderr, then exit(status). */
_Noreturn void tu_usage(int status);

/* After getopt returned '?' (opterr = 0): report the bad option as glibc's
 * getopt would ("invalid option -- 'x'", "option requires an argument -- 'x'",
 * "unrecognized option '--x'") and exit through tu_usage(status). */
_Noreturn void tu_bad_option(char **argv, const char *optstring, int status);

/* Open NAME for reading ("-" is stdin). NULL (errno set) on failure. */
FILE *tu_open(const char *name);

/* Close a stream from tu_open (stdin is left open, but its error flag is cleared). */
void tu_close(FILE *f);

/* Flush stdout; on failure report "write error" and exit(1). */
void tu_flush_stdout(void);

/* Decode one backslash escape at *s (which points just past the backslash).
 * Understands \\ \a \b \e \f \n \r \t \v \" \' \xHH and octal:
 * with octal_zero, \0NNN (echo -e, printf %b: up to 3 digits after the 0);
 * otherwise \NNN (printf's format, tr: 1-3 digits).
 * Stores the byte in *out and advances *s; returns 0 if the escape is not
 * known (the backslash stands for itself and *s is not moved), 1 otherwise. */
int tu_escape(const char **s, int octal_zero, int *out);

/* Parse a non-negative decimal count with an optional GNU multiplier suffix
 * (b, K, KB, KiB, M, MB, MiB, G ...). Returns 0 and sets *out on success. */
int tu_parse_count(const char *s, uintmax_t *out);

/* A growable byte buffer. */
struct tu_buf {
    char *data;
    size_t len, cap;
};
void tu_buf_add(struct tu_buf *b, const char *p, size_t n);
void tu_buf_addc(struct tu_buf *b, char c);
void tu_buf_free(struct tu_buf *b);

/* Read a whole stream into memory. Returns 0, or -1 with errno set. */
int tu_read_all(FILE *f, struct tu_buf *b);

/* Lines of a buffer (delimited by delim; the last one may lack it). */
struct tu_line {
    const char *p;
    size_t n; /* without the delimiter */
};
/* Split b into lines; returns the count and a malloc'd array in *lines. */
size_t tu_split_lines(const struct tu_buf *b, char delim, struct tu_line **lines);

void *tu_xmalloc(size_t n);
void *tu_xrealloc(void *p, size_t n);
char *tu_xstrdup(const char *s);

#endif
