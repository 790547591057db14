/* fileutil: what the file and system utilities (ls cp mv rm mkdir ... chmod) share.
 *
 * Messages follow GNU coreutils: "PROG: MESSAGE[: ERROR]", where PROG is argv[0]
 * as given (glibc's program_invocation_name), file names are quoted as coreutils
 * quotes them in diagnostics ('name'), and error texts are glibc's (wasi-libc's
 * strerror is musl's, whose wording differs for several errnos). */
#ifndef FILEUTIL_H
#define FILEUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

/* argv[0], set by fu_init. */
extern const char *fu_prog;

/* Remember argv[0] for messages; make stdout fully buffered. */
void fu_init(char **argv);

/* --help (print USAGE, with the program's name where it says "%s") and --version,
 * recognised anywhere before "--" as GNU's getopt would (before the first operand
 * if STOP_AT_OPERAND: env's command has options of its own); both exit 0. Call first. */
void fu_standard_options(int argc, char **argv, const char *usage, int stop_at_operand);

/* glibc's text for errno e (musl's where glibc has no different one). */
const char *fu_strerror(int e);

/* NAME quoted for a diagnostic as coreutils does ('a b', "it's", 'x'$'\n'):
 * one of four rotating static buffers, so a message may quote up to four names. */
const char *fu_quote(const char *name);

/* NAME quoted only if a shell would need it (coreutils' quotef): "a", 'a b'. */
const char *fu_quotef(const char *name);

/* "PROG: FORMAT[: fu_strerror(errnum)]\n" on stderr (errnum 0: no suffix). */
void fu_warn(int errnum, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* fu_warn, then exit(status). */
_Noreturn void fu_die(int status, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* "Try 'PROG --help' for more information." on stderr, then exit(status). */
_Noreturn void fu_usage(int status);

/* After getopt_long returned C, '?' or ':' (the option string starts with ':',
 * and opterr = 0): report the bad option as glibc's getopt does and exit
 * through fu_usage(status). */
_Noreturn void fu_bad_option(char **argv, int c, int status);

/* "missing operand" / "missing operand after 'X'", and fu_usage(status). */
_Noreturn void fu_missing_operand(const char *after, int status);

/* Flush stdout; on failure report "write error" and exit(status). */
void fu_flush_stdout(int status);

/* Allocation that exits with "memory exhausted" on failure. */
void *fu_xmalloc(size_t n);
void *fu_xrealloc(void *p, size_t n);
char *fu_xstrdup(const char *s);

/* "DIR/NAME" (no doubled slash), malloc'd. */
char *fu_join(const char *dir, const char *name);

/* The last component of PATH, ignoring trailing slashes; malloc'd ("/" for "/"). */
char *fu_basename(const char *path);
/* The names in directory DIR but "." and "..", in readdir's order, and their
 * count in *N: an array the caller frees, each name too. NULL (errno set) if
 * DIR cannot be opened. */
char **fu_dir_names(const char *dir, size_t *n);

/* ls-style mode string: "drwxr-xr-x" (10 characters plus NUL; setuid, setgid,
 * sticky as s/S, s/S, t/T). */
void fu_mode_string(mode_t mode, char out[11]);

/* The file type as stat(1) names it ("regular file", "directory", ...). */
const char *fu_file_type(mode_t mode);

/* Owner and group names: every process inside runs as root, there is no
 * passwd database: "root" for 0, else the number. */
const char *fu_user_name(uid_t uid);
const char *fu_group_name(gid_t gid);

/* A compiled chmod-style mode (octal, or symbolic clauses "u+x,go-w,a=r,g=u").
 * fu_mode_compile returns NULL for a malformed mode. */
struct fu_mode_change;
struct fu_mode_change *fu_mode_compile(const char *spec);
/* Apply the change to OLD (permission bits; IS_DIR as coreutils treats
 * directories: their setuid/setgid bits stay unless a clause names them):
 * the new permission bits. UMASK_VALUE masks clauses without who letters. */
mode_t fu_mode_adjust(mode_t old, int is_dir, mode_t umask_value,
                      const struct fu_mode_change *change);

/* Copy everything readable from fd SRC to fd DST. 0 or an errno. */
int fu_copy_data(int src, int dst);

/* Copying (cp, and mv across file systems). */
struct fu_copy_options {
    int recursive;      /* copy directories */
    int dereference;    /* follow symlinks in the source (cp's -L; else copy them as links) */
    int deref_args;     /* follow symlinks named on the command line (cp without -r, -H) */
    int preserve_mode, preserve_times;
    int force;          /* remove a destination that cannot be opened, then retry */
    int no_clobber;     /* never overwrite (-n) */
    int update;         /* overwrite only an older destination (-u) */
    int interactive;    /* ask before overwriting (-i) */
    int verbose;        /* "'SRC' -> 'DST'" */
    int move;           /* mv's copy across file systems: -v says "created directory",
                           "copied 'a' -> 'b'" as coreutils' mv does */
};

/* Copy SRC to DST (DST is the final name, not a directory to copy into).
 * Reports errors itself (as cp does); returns 0 or 1. */
int fu_copy(const char *src, const char *dst, const struct fu_copy_options *o);

/* The operands of cp and mv (N of them at OPS), as coreutils reads them: with
 * -t TARGET_DIR, or a last operand that is a directory (unless
 * NO_TARGET_DIR), EACH(source, directory/basename(source), CTX) for every
 * source; otherwise exactly SOURCE DEST, EACH(source, dest, CTX). Missing or
 * extra operands and a bad target end the program with coreutils' message.
 * Returns the statuses of EACH ORed together. */
int fu_each_operand(int n, char **ops, const char *target_dir, int no_target_dir,
                    int (*each)(const char *src, const char *dst, void *ctx), void *ctx);

/* Remove PATH and everything below it (mv's cleanup after a copy), saying
 * "removed 'x'" / "removed directory 'd'" if VERBOSE. 0 or 1 (reported). */
int fu_remove_tree(const char *path, int verbose);

/* Is A's modification time later than B's? */
int fu_newer(const struct stat *a, const struct stat *b);

/* Does DIR contain PATH (both existing; compared by device and inode up the tree)? */
int fu_is_inside(const char *dir, const char *path);

/* Ask "PROG: QUESTION? " on stderr and read a line from stdin: yes? */
int fu_yes(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse a decimal count; 0 on success. */
int fu_parse_uint(const char *s, uintmax_t *out);



/* Dates (date -d, touch -d): "@SECONDS[.FRACTION]" alone, or an optional
 * "YYYY-MM-DD[( |T)HH:MM[:SS[.FRACTION]]][ ][Z|UTC|(+|-)HH[:]MM]" followed by
 * relative items as GNU reads them ("[+-]N unit", "next/last unit", "N unit ago",
 * "now", "today", "yesterday", "tomorrow"; units year month fortnight week day
 * hour minute min second sec, plurals too). Without a date the items count from
 * now. Times without a zone are UTC: the LibOS has no time zone database and the
 * tests run coreutils with TZ=UTC. 0 and *out on success, -1 for anything else. */
int fu_parse_date(const char *s, struct timespec *out);

/* Seconds since the epoch of a UTC calendar date (no range checks beyond
 * month 1-12). */
long long fu_timegm(int year, int mon, int mday, int hour, int min, int sec);
#endif
