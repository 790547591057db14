/* sh: memory, string buffers, messages, builtin output buffering. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sh.h"

void *xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        write_all(2, "sh: out of memory\n", 18);
        _exit(2);
    }
    return p;
}

void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (p == NULL) {
        write_all(2, "sh: out of memory\n", 18);
        _exit(2);
    }
    return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n) {
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

static void sb_grow(sbuf *b, size_t more) {
    if (b->len + more + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        while (cap < b->len + more + 1)
            cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
    }
}

void sb_addc(sbuf *b, char c) {
    sb_grow(b, 1);
    b->s[b->len++] = c;
    b->s[b->len] = '\0';
}

void sb_addn(sbuf *b, const char *s, size_t n) {
    sb_grow(b, n);
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_adds(sbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

void sb_printf(sbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    sb_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *sb_take(sbuf *b) {
    char *s = b->s ? b->s : xstrdup("");
    b->s = NULL;
    b->len = b->cap = 0;
    return s;
}

void sb_free(sbuf *b) {
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

int write_all(int fd, const char *s, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

static void vwarn(const char *fmt, va_list ap) {
    sbuf b = {0};
    sb_adds(&b, arg0 ? arg0 : "sh");
    sb_adds(&b, ": ");
    va_list aq;
    va_copy(aq, ap);
    int n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n > 0) {
        char *m = xmalloc((size_t)n + 1);
        vsnprintf(m, (size_t)n + 1, fmt, ap);
        sb_adds(&b, m);
        free(m);
    }
    sb_addc(&b, '\n');
    write_all(2, b.s, b.len);
    sb_free(&b);
}

void sh_warn(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
}

void sh_fatal(int status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
    sh_exit(status);
}

int is_name_n(const char *s, size_t n) {
    if (n == 0 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)s[i]) || s[i] == '_'))
            return 0;
    return 1;
}

int is_name(const char *s) { return is_name_n(s, strlen(s)); }

int parse_int(const char *s, long *out) {
    char *end;
    if (*s == '\0')
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || errno)
        return -1;
    *out = v;
    return 0;
}

/* --- builtin output --- */
sbuf out1;
int out1_capture;

void out_flush(void) {
    if (out1_capture || out1.len == 0)
        return;
    write_all(1, out1.s, out1.len);
    out1.len = 0;
    out1.s[0] = '\0';
}

void outs(const char *s) { sb_adds(&out1, s); }
void outc(char c) { sb_addc(&out1, c); }
void outn(const char *s, size_t n) { sb_addn(&out1, s, n); }

void outf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *m = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(m, (size_t)n + 1, fmt, ap);
    va_end(ap);
    outn(m, (size_t)n);
    free(m);
}
