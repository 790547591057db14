/*
 * stdio.h: wasi-libc's, plus popen() and pclose(), which libocclum
 * implements with a pipe and posix_spawn of /bin/sh -c; fopen() and
 * freopen() go to libocclum by asm labels (src/files_stdio.c) for the 'e'
 * mode letter (close-on-exec) and the kernel's openat, and fdopen() to check
 * the descriptor as glibc does; rename, renameat and
 * remove to src/paths.c (Linux's path semantics), which also has renameat2.
 */
#pragma GCC system_header

#if !defined(_PYOCCLUM_STDIO_LABELS) && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_STDIO_LABELS
#ifdef __cplusplus
extern "C" {
#endif
struct _IO_FILE;
struct _IO_FILE *fopen(const char *__restrict, const char *__restrict)
    __asm__("__occlum_wrap_fopen");
struct _IO_FILE *freopen(const char *__restrict, const char *__restrict,
                         struct _IO_FILE *__restrict) __asm__("__occlum_wrap_freopen");
struct _IO_FILE *fdopen(int, const char *) __asm__("__occlum_wrap_fdopen");
int rename(const char *, const char *) __asm__("__occlum_wrap_rename");
int renameat(int, const char *, int, const char *) __asm__("__occlum_wrap_renameat");
int remove(const char *) __asm__("__occlum_wrap_remove");
#ifdef __cplusplus
}
#endif
#endif

/* Threaded builds (-pthread, hence -matomics): the common stdio calls take
 * one process-wide recursive lock (src/thread_stdio.c), as wasi-libc's
 * FILEs have none (docs/threads.md). */
#if defined(__wasm_atomics__) && !defined(_PYOCCLUM_STDIO_THREAD_LABELS) \
 && !defined(__OCCLUM_BUILDING_LIBOCCLUM)
#define _PYOCCLUM_STDIO_THREAD_LABELS
#ifdef __cplusplus
extern "C" {
#endif
struct _IO_FILE;
int printf(const char *__restrict, ...) __asm__("__occlum_locked_printf");
int fprintf(struct _IO_FILE *__restrict, const char *__restrict, ...)
    __asm__("__occlum_locked_fprintf");
int vprintf(const char *__restrict, __builtin_va_list) __asm__("__occlum_locked_vprintf");
int vfprintf(struct _IO_FILE *__restrict, const char *__restrict, __builtin_va_list)
    __asm__("__occlum_locked_vfprintf");
int puts(const char *) __asm__("__occlum_locked_puts");
int fputs(const char *__restrict, struct _IO_FILE *__restrict) __asm__("__occlum_locked_fputs");
int fputc(int, struct _IO_FILE *) __asm__("__occlum_locked_fputc");
int putc(int, struct _IO_FILE *) __asm__("__occlum_locked_fputc");
int putchar(int) __asm__("__occlum_locked_putchar");
__SIZE_TYPE__ fwrite(const void *__restrict, __SIZE_TYPE__, __SIZE_TYPE__,
                     struct _IO_FILE *__restrict) __asm__("__occlum_locked_fwrite");
int fflush(struct _IO_FILE *) __asm__("__occlum_locked_fflush");
void perror(const char *) __asm__("__occlum_locked_perror");
char *fgets(char *__restrict, int, struct _IO_FILE *__restrict) __asm__("__occlum_locked_fgets");
int fgetc(struct _IO_FILE *) __asm__("__occlum_locked_fgetc");
int getc(struct _IO_FILE *) __asm__("__occlum_locked_fgetc");
__SIZE_TYPE__ fread(void *__restrict, __SIZE_TYPE__, __SIZE_TYPE__, struct _IO_FILE *__restrict)
    __asm__("__occlum_locked_fread");
#ifdef __cplusplus
}
#endif
#endif

#include_next <stdio.h>

#if !defined(_PYOCCLUM_STDIO_H) && defined(_STDIO_H)
#define _PYOCCLUM_STDIO_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_POSIX_SOURCE) || defined(_POSIX_C_SOURCE) \
 || defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) \
 || defined(_BSD_SOURCE)
FILE *popen(const char *, const char *);
int pclose(FILE *);
#endif

/* POSIX; wasi-libc declares them only with _REENTRANT (src/thread_stdio.c). */
void flockfile(FILE *);
int ftrylockfile(FILE *);
void funlockfile(FILE *);

#ifdef _GNU_SOURCE
#define RENAME_NOREPLACE (1 << 0)
#define RENAME_EXCHANGE (1 << 1)
#define RENAME_WHITEOUT (1 << 2)
int renameat2(int, const char *, int, const char *, unsigned);
#endif

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
extern "C" {
#endif
/* POSIX sweep (src/posix_misc.c): temporary names, which wasi-libc
 * declares deprecated or not at all. */
#undef TMP_MAX
#define TMP_MAX 238328
#ifndef L_tmpnam
#define L_tmpnam 20
#endif
char *__occlum_tmpnam(char *);
#define tmpnam __occlum_tmpnam
#if defined(_XOPEN_SOURCE) || defined(_GNU_SOURCE) || defined(_BSD_SOURCE)
#ifndef P_tmpdir
#define P_tmpdir "/tmp"
#endif
char *tempnam(const char *, const char *);
#endif
#ifdef _GNU_SOURCE
char *tmpnam_r(char *);
#endif
/* wasi-libc declares tmpfile deprecated ("not defined on WASI"); libocclum
 * has one (src/files_temp.c), reached under another name. */
FILE *__occlum_tmpfile(void);
#define tmpfile __occlum_tmpfile
#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_STDIO_H */
