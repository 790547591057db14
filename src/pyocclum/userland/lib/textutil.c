/* textutil: helpers shared by the text utilities (see textutil.h). */
#include "textutil.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

const char *tu_prog = "?";

void tu_init(char **argv)
{
    if (argv[0] && argv[0][0])
        tu_prog = argv[0];
}

static void vwarn(const char *fmt, va_list ap)
{
    fflush(stdout);
    fprintf(stderr, "%s: ", tu_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void tu_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
}

void tu_warn_errno(const char *name)
{
    tu_warn("%s: %s", tu_quotef(name, 0), tu_strerror(errno));
}

const char *tu_quotef(const char *name, int always)
{
    return tu_shell_quote(name, always, 1);
}

const char *tu_shell_quote(const char *name, int always, int colon)
{
    static char bufs[2][2048];
    static int which;
    char *out = bufs[which];
    which ^= 1;
    const unsigned char *p = (const unsigned char *)name;
    int special = !*p || *p == '#' || *p == '~', control = 0, squote = 0, dq_special = 0;
    for (; *p; p++) {
        if (*p < 32 || *p >= 127)
            control = 1;
        else if (strchr(" !\"$&'()*;<=>?[\\]^`{|}", *p) || (colon && *p == ':'))
            special = 1;
        if (*p == '\'')
            squote = 1;
        if (*p && strchr("$`\\\"!", *p))
            dq_special = 1;
    }
    size_t o = 0, cap = sizeof bufs[0] - 16;
    if (!*name)
        return "''";
    if (!special && !control && !always)
        return name;
    if (!special && !control && always) {
        snprintf(out, sizeof bufs[0], "'%s'", name);
        return out;
    }
    if (squote && !control && !dq_special) {
        snprintf(out, sizeof bufs[0], "\"%s\"", name);
        return out;
    }
    /* GNU's shell-escape form: a quoted run, a ' as '\'' (or \'' when no run
     * is open), control bytes as $'\n' or $'\ooo' outside the runs. */
    int open = 1;
    out[o++] = '\'';
    for (p = (const unsigned char *)name; *p && o < cap; p++) {
        if (*p == '\'') {
            if (open)
                out[o++] = '\'';
            out[o++] = '\\';
            out[o++] = '\'';
            out[o++] = '\'';
            open = 1;
        } else if (*p < 32 || *p >= 127) {
            /* A run of control bytes shares one $'...'. */
            static const char from[] = "\a\b\f\n\r\t\v", to[] = "abfnrtv";
            if (open)
                out[o++] = '\'';
            open = 0;
            out[o++] = '$';
            out[o++] = '\'';
            for (; *p && (*p < 32 || *p >= 127) && o < cap; p++) {
                const char *e = strchr(from, *p);
                if (e)
                    o += (size_t)sprintf(out + o, "\\%c", to[e - from]);
                else
                    o += (size_t)sprintf(out + o, "\\%03o", *p);
            }
            out[o++] = '\'';
            p--;
        } else {
            if (!open)
                out[o++] = '\'';
            open = 1;
            out[o++] = (char)*p;
        }
    }
    if (open)
        out[o++] = '\'';
    out[o] = 0;
    return out;
}

const char *tu_strerror(int err)
{
    switch (err) {
    case ERANGE: return "Numerical result out of range";
    case EIO: return "Input/output error";
    case ELOOP: return "Too many levels of symbolic links";
    case ENAMETOOLONG: return "File name too long";
    case EXDEV: return "Invalid cross-device link";
    case ENOTSUP: return "Operation not supported";
    case EAGAIN: return "Resource temporarily unavailable";
    case ENOTCAPABLE: return "Permission denied";
    default: return strerror(err);
    }
}

const char *tu_quote(const char *name)
{
    static char bufs[2][1024];
    static int which;
    char *out = bufs[which];
    which ^= 1;
    size_t o = 0;
    out[o++] = '\'';
    for (const unsigned char *p = (const unsigned char *)name; *p && o < sizeof bufs[0] - 6; p++) {
        static const char from[] = "\a\b\f\n\r\t\v", to[] = "abfnrtv";
        const char *e = *p ? strchr(from, *p) : NULL;
        if (*p == '\'' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (e) {
            out[o++] = '\\';
            out[o++] = to[e - from];
        } else if (*p < 32 || *p >= 127) {
            o += (size_t)sprintf(out + o, "\\%03o", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o++] = '\'';
    out[o] = 0;
    return out;
}

void tu_die(int status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(fmt, ap);
    va_end(ap);
    exit(status);
}

void tu_usage(int status)
{
    fprintf(stderr, "Try '%s --help' for more information.\n", tu_prog);
    exit(status);
}

void tu_bad_option(char **argv, const char *optstring, int status)
{
    extern int optind, optopt;
    const char *arg = optind > 0 ? argv[optind - 1] : "";
    if (optopt == 0 && arg && arg[0] == '-' && arg[1] == '-') {
        const char *eq = strchr(arg, '=');
        tu_warn("unrecognized option '%.*s'", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
    } else if (optopt && strchr(optstring, optopt) && optopt != ':') {
        tu_warn("option requires an argument -- '%c'", optopt);
    } else if (optopt) {
        tu_warn("invalid option -- '%c'", optopt);
    } else {
        tu_warn("unrecognized option '%s'", arg);
    }
    tu_usage(status);
}

FILE *tu_open(const char *name)
{
    if (strcmp(name, "-") == 0)
        return stdin;
    if (!*name) {
        errno = ENOENT; /* as Linux (wasi-libc would open the current directory) */
        return NULL;
    }
    return fopen(name, "r");
}

void tu_close(FILE *f)
{
    if (f == stdin)
        clearerr(f);
    else
        fclose(f);
}

void tu_flush_stdout(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "%s: write error: %s\n", tu_prog, tu_strerror(errno));
        exit(1);
    }
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int tu_escape(const char **sp, int octal_zero, int *out)
{
    const char *s = *sp;
    int c = (unsigned char)*s;
    switch (c) {
    case '\\': *out = '\\'; break;
    case 'a': *out = '\a'; break;
    case 'b': *out = '\b'; break;
    case 'e': *out = 27; break;
    case 'f': *out = '\f'; break;
    case 'n': *out = '\n'; break;
    case 'r': *out = '\r'; break;
    case 't': *out = '\t'; break;
    case 'v': *out = '\v'; break;
    case 'x': {
        int v = 0, n = 0;
        while (n < 2 && hexval((unsigned char)s[1 + n]) >= 0) {
            v = v * 16 + hexval((unsigned char)s[1 + n]);
            n++;
        }
        if (n == 0)
            return 0;
        *out = v;
        *sp = s + 1 + n;
        return 1;
    }
    default:
        if (c >= '0' && c <= '7') {
            int v = 0, n = 0;
            if (octal_zero && c == '0')
                s++;
            else if (octal_zero)
                return 0;
            while (n < 3 && s[n] >= '0' && s[n] <= '7') {
                v = v * 8 + (s[n] - '0');
                n++;
            }
            *out = v & 0xff;
            *sp = s + n;
            return 1;
        }
        return 0;
    }
    *sp = s + 1;
    return 1;
}

int tu_parse_count(const char *s, uintmax_t *out)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    uintmax_t v = strtoumax(s, &end, 10);
    if (errno == ERANGE)
        v = UINTMAX_MAX;
    if (*end) {
        static const char units[] = "KMGTPEZY";
        uintmax_t mult;
        const char *u = strchr(units, *end);
        if (strcmp(end, "b") == 0) {
            mult = 512;
        } else if (u && *u) {
            int power = (int)(u - units) + 1;
            uintmax_t base;
            if (end[1] == 0 || strcmp(end + 1, "iB") == 0)
                base = 1024;
            else if (strcmp(end + 1, "B") == 0)
                base = 1000;
            else
                return -1;
            mult = 1;
            for (int i = 0; i < power; i++)
                mult = mult > UINTMAX_MAX / base ? UINTMAX_MAX : mult * base;
        } else {
            return -1;
        }
        v = v > UINTMAX_MAX / mult ? UINTMAX_MAX : v * mult;
    }
    *out = v;
    return 0;
}

void *tu_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        tu_die(1, "memory exhausted");
    return p;
}

void *tu_xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p)
        tu_die(1, "memory exhausted");
    return p;
}

char *tu_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(tu_xmalloc(n), s, n);
}

void tu_buf_add(struct tu_buf *b, const char *p, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->data = tu_xrealloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = 0;
}

void tu_buf_addc(struct tu_buf *b, char c)
{
    tu_buf_add(b, &c, 1);
}

void tu_buf_free(struct tu_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int tu_read_all(FILE *f, struct tu_buf *b)
{
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        tu_buf_add(b, chunk, n);
    if (ferror(f))
        return -1;
    if (!b->data)
        tu_buf_add(b, "", 0);
    return 0;
}

size_t tu_split_lines(const struct tu_buf *b, char delim, struct tu_line **lines)
{
    size_t count = 0, cap = 64;
    struct tu_line *v = tu_xmalloc(cap * sizeof *v);
    const char *p = b->data, *end = b->data + b->len;
    while (p < end) {
        const char *nl = memchr(p, delim, (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (count == cap) {
            cap *= 2;
            v = tu_xrealloc(v, cap * sizeof *v);
        }
        v[count].p = p;
        v[count].n = n;
        count++;
        p += n + (nl != NULL);
    }
    *lines = v;
    return count;
}
