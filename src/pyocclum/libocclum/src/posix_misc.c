/*
 * POSIX sweep: small libc functions wasi-libc leaves out.
 *
 * - err, errx, warn, warnx and their v* forms (glibc's format: the program's
 *   short name, ": ", the message, ": " and strerror(errno) for err/warn);
 * - openlog, syslog, vsyslog, closelog, setlogmask: there is no syslog
 *   daemon inside, so messages go nowhere (as on Linux without one), except
 *   to stderr with LOG_PERROR ("ident[pid]: message", as glibc);
 * - getlogin/getlogin_r: there are no login sessions (NULL / ENXIO, as on
 *   Linux for a process outside one); ctermid: "/dev/tty";
 * - tmpnam, tmpnam_r, tempnam (stdio.h: P_tmpdir, L_tmpnam, TMP_MAX):
 *   names that do not exist yet, in /tmp for tmpnam; for tempnam in $TMPDIR
 *   if it is a directory, else in dir if it is one, else in P_tmpdir (as
 *   glibc), with the first 5 bytes of pfx (default "file");
 * - the GNU strerror_r and basename (include/string.h, _GNU_SOURCE).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* libocclum's path calls (Linux's resolution; wasi-libc's refuse absolute
 * symlink targets): src/stat.c. */
int __occlum_wrap_stat(const char *__restrict, struct stat *__restrict);
int __occlum_wrap_lstat(const char *__restrict, struct stat *__restrict);

extern char *__occlum_progname; /* src/posix_progname.c */

void vwarn(const char *fmt, va_list ap) {
    int e = errno;
    fprintf(stderr, "%s: ", __occlum_progname);
    if (fmt) {
        vfprintf(stderr, fmt, ap);
        fputs(": ", stderr);
    }
    fprintf(stderr, "%s\n", strerror(e));
}

void vwarnx(const char *fmt, va_list ap) {
    fprintf(stderr, "%s: ", __occlum_progname);
    if (fmt)
        vfprintf(stderr, fmt, ap);
    putc('\n', stderr);
}

_Noreturn void verr(int status, const char *fmt, va_list ap) {
    vwarn(fmt, ap);
    exit(status);
}

_Noreturn void verrx(int status, const char *fmt, va_list ap) {
    vwarnx(fmt, ap);
    exit(status);
}

void warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
}

void warnx(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwarnx(fmt, ap);
    va_end(ap);
}

_Noreturn void err(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verr(status, fmt, ap);
}

_Noreturn void errx(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verrx(status, fmt, ap);
}

/* --- syslog --- */
static const char *log_ident;
static int log_opt;
static int log_mask = 0xff;

void openlog(const char *ident, int option, int facility) {
    (void)facility;
    log_ident = ident;
    log_opt = option;
}

void closelog(void) {
    log_ident = NULL;
    log_opt = 0;
}

int setlogmask(int mask) {
    int old = log_mask;
    if (mask)
        log_mask = mask;
    return old;
}

void vsyslog(int priority, const char *fmt, va_list ap) {
    if (!(log_mask & LOG_MASK(LOG_PRI(priority))) || !(log_opt & LOG_PERROR))
        return;
    int e = errno;
    const char *ident = log_ident ? log_ident : __occlum_progname;
    if (log_opt & LOG_PID)
        fprintf(stderr, "%s[%d]: ", ident, (int)getpid());
    else
        fprintf(stderr, "%s: ", ident);
    /* %m is strerror(errno), as glibc's syslog */
    char buf[1024];
    size_t o = 0;
    for (const char *p = fmt; *p && o < sizeof buf - 1; p++) {
        if (p[0] == '%' && p[1] == 'm') {
            o += (size_t)snprintf(buf + o, sizeof buf - o, "%s", strerror(e));
            p++;
        } else if (p[0] == '%' && p[1] == '%') {
            buf[o++] = '%';
            if (o < sizeof buf - 1)
                buf[o++] = '%';
            p++;
        } else {
            buf[o++] = *p;
        }
        if (o > sizeof buf - 1)
            o = sizeof buf - 1;
    }
    buf[o] = 0;
    vfprintf(stderr, buf, ap);
    size_t n = strlen(fmt);
    if (n == 0 || fmt[n - 1] != '\n')
        putc('\n', stderr);
}

void syslog(int priority, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsyslog(priority, fmt, ap);
    va_end(ap);
}

/* --- login and terminal names --- */
char *getlogin(void) {
    errno = ENXIO;
    return NULL;
}

int getlogin_r(char *name, size_t size) {
    (void)name;
    (void)size;
    return ENXIO;
}

char *ctermid(char *s) {
    static char name[L_ctermid];
    char *out = s ? s : name;
    strcpy(out, "/dev/tty");
    return out;
}

/* --- temporary names --- */
static int exists(const char *path) {
    struct stat st;
    return __occlum_wrap_lstat(path, &st) == 0 || errno != ENOENT;
}

static int is_dir(const char *dir) {
    struct stat st;
    return dir && *dir && __occlum_wrap_stat(dir, &st) == 0 && S_ISDIR(st.st_mode);
}

/* dir + "/" + pfx + 6 random letters that name nothing yet; 0 or -1. */
static int fill_name(char *out, size_t size, const char *dir, const char *pfx) {
    static const char letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    size_t dl = strlen(dir);
    while (dl > 1 && dir[dl - 1] == '/')
        dl--;
    for (int tries = 0; tries < 100; tries++) {
        unsigned char r[6];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
            return -1;
        char rnd[7];
        for (int i = 0; i < 6; i++)
            rnd[i] = letters[r[i] % (sizeof letters - 1)];
        rnd[6] = 0;
        if ((size_t)snprintf(out, size, "%.*s/%s%s", (int)dl, dir, pfx, rnd) >= size) {
            errno = ENAMETOOLONG;
            return -1;
        }
        if (!exists(out))
            return 0;
    }
    errno = EEXIST;
    return -1;
}

char *__occlum_tmpnam(char *s) {
    static char name[L_tmpnam];
    char *out = s ? s : name;
    return fill_name(out, L_tmpnam, P_tmpdir, "file") == 0 ? out : NULL;
}

char *tmpnam_r(char *s) { return s ? __occlum_tmpnam(s) : NULL; }

char *tempnam(const char *dir, const char *pfx) {
    const char *env = getenv("TMPDIR");
    const char *use = is_dir(env) ? env : is_dir(dir) ? dir : P_tmpdir;
    if (!is_dir(use)) {
        errno = ENOENT;
        return NULL;
    }
    char p[6] = "file";
    if (pfx) {
        strncpy(p, pfx, 5);
        p[5] = 0;
    }
    size_t size = strlen(use) + strlen(p) + 9;
    char *out = malloc(size);
    if (!out)
        return NULL;
    if (fill_name(out, size, use, p) != 0) {
        free(out);
        return NULL;
    }
    return out;
}

/* glibc's GNU strerror_r (include/string.h maps the name under _GNU_SOURCE):
 * the message itself, which musl keeps in static storage; buf is unused. */
char *__occlum_gnu_strerror_r(int errnum, char *buf, size_t len) {
    (void)buf;
    (void)len;
    return strerror(errnum);
}

/* glibc's GNU basename (include/string.h maps the name under _GNU_SOURCE):
 * what follows the last '/', so "" for "/usr/"; never modifies path. */
char *__occlum_gnu_basename(const char *path) {
    const char *slash = strrchr(path, '/');
    return (char *)(slash ? slash + 1 : path);
}
