/*
 * POSIX sweep: glibc extensions that musl leaves out and GNU programs call:
 * <error.h>'s error/error_at_line (glibc's format: program_invocation_name,
 * then "file:line: " for error_at_line, the message, ": strerror(errnum)"
 * when errnum is not 0; stdout flushed first; error_one_per_line skips a
 * repeat of the same file and line); get_current_dir_name (unistd.h),
 * canonicalize_file_name (stdlib.h), get_nprocs/get_nprocs_conf/
 * get_phys_pages/get_avphys_pages (sys/sysinfo.h), malloc_trim (malloc.h:
 * wasi-libc's malloc never returns memory, so 0).
 */
#include <errno.h>
#include <error.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

/* libocclum's path calls (Linux's resolution; wasi-libc's refuse absolute
 * symlink targets): src/stat.c. */
int __occlum_wrap_stat(const char *__restrict, struct stat *__restrict);
int __occlum_wrap_lstat(const char *__restrict, struct stat *__restrict);

extern char *__occlum_progname_full; /* src/posix_progname.c */
long __occlum_wrap_sysconf(int);     /* src/misc.c: the CPUs as the kernel says */

void (*error_print_progname)(void);
unsigned int error_message_count;
int error_one_per_line;

static void verror(int status, int errnum, const char *file, unsigned line, const char *fmt,
                   va_list ap) {
    fflush(stdout);
    if (error_print_progname)
        error_print_progname();
    else
        fprintf(stderr, "%s:", __occlum_progname_full);
    if (file)
        fprintf(stderr, "%s:%u: ", file, line);
    else if (!error_print_progname)
        putc(' ', stderr);
    vfprintf(stderr, fmt, ap);
    if (errnum)
        fprintf(stderr, ": %s", strerror(errnum));
    putc('\n', stderr);
    fflush(stderr);
    error_message_count++;
    if (status)
        exit(status);
}

void error(int status, int errnum, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    verror(status, errnum, NULL, 0, fmt, ap);
    va_end(ap);
}

void error_at_line(int status, int errnum, const char *file, unsigned line, const char *fmt, ...) {
    static const char *last_file; /* recorded only while error_one_per_line is set */
    static unsigned last_line;
    if (error_one_per_line) {
        if (last_file && line == last_line && (file == last_file || strcmp(file, last_file) == 0))
            return;
        last_file = file;
        last_line = line;
    }
    va_list ap;
    va_start(ap, fmt);
    verror(status, errnum, file, line, fmt, ap);
    va_end(ap);
}

/* glibc: $PWD if it names the current directory, else getcwd's answer. */
char *get_current_dir_name(void) {
    const char *pwd = getenv("PWD");
    struct stat a, b;
    if (pwd && *pwd == '/' && __occlum_wrap_stat(pwd, &a) == 0 && __occlum_wrap_stat(".", &b) == 0 && a.st_dev == b.st_dev &&
        a.st_ino == b.st_ino)
        return strdup(pwd);
    return getcwd(NULL, 0);
}

char *__occlum_wrap_realpath(const char *, char *); /* src/paths.c: the kernel's */
char *canonicalize_file_name(const char *path) { return __occlum_wrap_realpath(path, NULL); }

int get_nprocs(void) { return (int)__occlum_wrap_sysconf(_SC_NPROCESSORS_ONLN); }
int get_nprocs_conf(void) { return (int)__occlum_wrap_sysconf(_SC_NPROCESSORS_CONF); }
long get_phys_pages(void) { return __occlum_wrap_sysconf(_SC_PHYS_PAGES); }
long get_avphys_pages(void) { return __occlum_wrap_sysconf(_SC_AVPHYS_PAGES); }

int malloc_trim(size_t pad) {
    (void)pad;
    return 0;
}
