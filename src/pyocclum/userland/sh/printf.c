/* sh: the printf builtin (POSIX: %diouxXcsb eEfgG %%, escapes, format reuse). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sh.h"

static int printf_err;

/* A backslash escape at *p (after the backslash); %b's \c stops. */
static int escape(const char **pp, int in_b, sbuf *o) {
    const char *p = *pp;
    int v;
    switch (*p) {
    case 'a': sb_addc(o, '\a'); break;
    case 'b': sb_addc(o, '\b'); break;
    case 'c':
        if (in_b) {
            *pp = p + 1;
            return 1;
        }
        sb_addc(o, '\\');
        sb_addc(o, 'c');
        break;
    case 'e': sb_addc(o, '\033'); break;
    case 'f': sb_addc(o, '\f'); break;
    case 'n': sb_addc(o, '\n'); break;
    case 'r': sb_addc(o, '\r'); break;
    case 't': sb_addc(o, '\t'); break;
    case 'v': sb_addc(o, '\v'); break;
    case '\\': sb_addc(o, '\\'); break;
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
        int max = (in_b && *p == '0') ? 4 : 3;
        v = 0;
        for (int k = 0; k < max && *p >= '0' && *p <= '7'; k++)
            v = v * 8 + (*p++ - '0');
        sb_addc(o, (char)v);
        *pp = p;
        return 0;
    }
    case '\0':
        sb_addc(o, '\\');
        *pp = p;
        return 0;
    default:
        sb_addc(o, '\\');
        sb_addc(o, *p);
    }
    *pp = p + 1;
    return 0;
}

static long long num_arg(const char *s) {
    if ((s[0] == '\'' || s[0] == '"') && s[1])
        return (unsigned char)s[1];
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (*s == '\0')
        return 0;
    if (*end || errno) {
        sh_warn("printf: %s: %s", s, errno ? "Result too large" : "expected numeric value");
        printf_err = 1;
    }
    return v;
}

static double dbl_arg(const char *s) {
    if ((s[0] == '\'' || s[0] == '"') && s[1])
        return (unsigned char)s[1];
    char *end;
    double v = strtod(s, &end);
    if (*s && *end) {
        sh_warn("printf: %s: expected numeric value", s);
        printf_err = 1;
    }
    return v;
}

int bi_printf(int argc, char **argv) {
    int i = 1;
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc) {
        sh_warn("printf: usage: printf format [arg ...]");
        return 2;
    }
    const char *fmt = argv[i++];
    char **args = argv + i;
    int nargs = argc - i, ai = 0;
    printf_err = 0;
    sbuf o = {0};
    int stop = 0;
    do {
        int used = 0;
        for (const char *p = fmt; *p && !stop;) {
            if (*p == '\\') {
                p++;
                escape(&p, 0, &o);
                continue;
            }
            if (*p != '%') {
                sb_addc(&o, *p++);
                continue;
            }
            if (p[1] == '%') {
                sb_addc(&o, '%');
                p += 2;
                continue;
            }
            /* %[flags][width][.precision]conv */
            char spec[64];
            size_t sl = 0;
            spec[sl++] = *p++;
            while (*p && strchr("-+ #0", *p) && sl < 40)
                spec[sl++] = *p++;
            for (int part = 0; part < 2; part++) {
                if (part == 1) {
                    if (*p != '.')
                        break;
                    spec[sl++] = *p++;
                }
                if (*p == '*') {
                    long long w = ai < nargs ? num_arg(args[ai++]) : 0;
                    used = 1;
                    sl += (size_t)snprintf(spec + sl, sizeof spec - sl, "%lld", w);
                    p++;
                } else {
                    while (*p >= '0' && *p <= '9' && sl < 60)
                        spec[sl++] = *p++;
                }
            }
            char conv = *p;
            if (!conv) {
                sh_warn("printf: %%: invalid directive");
                sb_free(&o);
                return 1;
            }
            p++;
            const char *a = ai < nargs ? args[ai] : NULL;
            if (a) {
                ai++;
                used = 1;
            }
            char buf[512];
            switch (conv) {
            case 'd': case 'i': {
                spec[sl++] = 'l';
                spec[sl++] = 'l';
                spec[sl++] = conv;
                spec[sl] = '\0';
                snprintf(buf, sizeof buf, spec, a ? num_arg(a) : 0LL);
                sb_adds(&o, buf);
                break;
            }
            case 'o': case 'u': case 'x': case 'X': {
                spec[sl++] = 'l';
                spec[sl++] = 'l';
                spec[sl++] = conv;
                spec[sl] = '\0';
                snprintf(buf, sizeof buf, spec, (unsigned long long)(a ? num_arg(a) : 0LL));
                sb_adds(&o, buf);
                break;
            }
            case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': {
                spec[sl++] = conv;
                spec[sl] = '\0';
                snprintf(buf, sizeof buf, spec, a ? dbl_arg(a) : 0.0);
                sb_adds(&o, buf);
                break;
            }
            case 'c': {
                /* the first byte, NUL when there is none (as dash) */
                spec[sl++] = 'c';
                spec[sl] = '\0';
                int n = snprintf(buf, sizeof buf, spec, a ? a[0] : '\0');
                if (n > 0)
                    sb_addn(&o, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
                break;
            }
            case 's': case 'b': {
                const char *str = a ? a : "";
                sbuf bb = {0};
                if (conv == 'b') {
                    for (const char *q = str; *q;) {
                        if (*q == '\\') {
                            q++;
                            if (escape(&q, 1, &bb)) {
                                stop = 1;
                                break;
                            }
                        } else {
                            sb_addc(&bb, *q++);
                        }
                    }
                    str = bb.s ? bb.s : "";
                    if (sl == 1) { /* plain %b: its bytes as they are, NULs too */
                        sb_addn(&o, str, bb.len);
                        sb_free(&bb);
                        break;
                    }
                }
                spec[sl++] = 's';
                spec[sl] = '\0';
                int n = snprintf(NULL, 0, spec, str);
                char *m = xmalloc((size_t)n + 1);
                snprintf(m, (size_t)n + 1, spec, str);
                sb_adds(&o, m);
                free(m);
                sb_free(&bb);
                break;
            }
            default:
                sh_warn("printf: %%%c: invalid directive", conv);
                sb_free(&o);
                return 1;
            }
        }
        if (!used)
            break;
    } while (ai < nargs && !stop);
    outn(o.s ? o.s : "", o.len);
    sb_free(&o);
    return printf_err;
}
