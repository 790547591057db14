/*
 * error.h: glibc's error reporting, which musl lacks (src/posix_gnu.c):
 * error() and error_at_line() print "program: [file:line: ]message[: strerror]"
 * to stderr after flushing stdout, count the messages, and exit when the
 * status is not 0.
 */
#ifndef _PYOCCLUM_ERROR_H
#define _PYOCCLUM_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

void error(int status, int errnum, const char *format, ...)
    __attribute__((__format__(__printf__, 3, 4)));
void error_at_line(int status, int errnum, const char *file, unsigned line,
                   const char *format, ...) __attribute__((__format__(__printf__, 5, 6)));
extern void (*error_print_progname)(void);
extern unsigned int error_message_count;
extern int error_one_per_line;

#ifdef __cplusplus
}
#endif

#endif
