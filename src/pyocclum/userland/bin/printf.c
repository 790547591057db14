/* printf: format and print data (GNU coreutils' printf: the conversions
 * d i o u x X f F e E g G a A c s b q and %%, flags, '*' widths and
 * precisions, escapes, the format reused while arguments remain; numeric
 * arguments as GNU reads them, 'c giving a character's code). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h"

static int status;
static char **args;
static int nargs;

static _Noreturn void stop(void)
{
    tu_flush_stdout();
    exit(status);
}

/* Check a numeric argument's conversion as GNU's verify_numeric does. */
static void verify(const char *arg, const char *end)
{
    if (errno == ERANGE) { /* glibc sets no other errno here (musl: EINVAL, no digits) */
        tu_warn("%s: %s", tu_quote(arg), tu_strerror(errno));
        status = 1;
    } else if (*end) {
        if (end == arg)
            tu_warn("%s: expected a numeric value", tu_quote(arg));
        else
            tu_warn("%s: value not completely converted", tu_quote(arg));
        status = 1;
    }
}

/* 'c or "c: the code of c. */
static int char_value(const char *arg, uintmax_t *out)
{
    if ((arg[0] == '\'' || arg[0] == '"') && arg[1]) {
        *out = (unsigned char)arg[1];
        /* GNU warns about anything after the character (in the C locale). */
        if (arg[2]) {
            tu_warn("warning: %s: character(s) following character constant have been ignored",
                    arg + 2);
        }
        return 1;
    }
    return 0;
}

static intmax_t arg_int(const char *arg)
{
    uintmax_t c;
    if (char_value(arg, &c))
        return (intmax_t)c;
    if (!*arg)
        return 0;
    char *end;
    errno = 0;
    intmax_t v = strtoimax(arg, &end, 0);
    verify(arg, end);
    return v;
}

static uintmax_t arg_uint(const char *arg)
{
    uintmax_t c;
    if (char_value(arg, &c))
        return c;
    if (!*arg)
        return 0;
    char *end;
    errno = 0;
    uintmax_t v = strtoumax(arg, &end, 0);
    verify(arg, end);
    return v;
}

static long double arg_float(const char *arg)
{
    uintmax_t c;
    if (char_value(arg, &c))
        return (long double)c;
    if (!*arg)
        return 0;
    char *end;
    errno = 0;
    long double v = strtold(arg, &end);
    verify(arg, end);
    if (isnan(v)) {
        /* wasi-libc loses the sign of "-nan"; glibc keeps it (printf shows "-nan"). */
        const char *p = arg;
        while (isspace((unsigned char)*p))
            p++;
        v = copysignl(v, *p == '-' ? -1.0L : 1.0L);
    }
    return v;
}

static const char *next_arg(void)
{
    if (nargs == 0)
        return NULL;
    nargs--;
    return *args++;
}

/* One escape at *p (just past the backslash); returns the new position.
 * octal_0: %b's rules (\0NNN as well as \NNN). */
static const char *print_escape(const char *p, int octal_0)
{
    if (*p == 'x') {
        int v = 0, n = 0;
        for (p++; n < 2 && isxdigit((unsigned char)*p); n++, p++)
            v = v * 16 + (isdigit((unsigned char)*p) ? *p - '0' : tolower(*p) - 'a' + 10);
        if (n == 0)
            tu_die(1, "missing hexadecimal number in escape");
        putchar(v);
    } else if (*p >= '0' && *p <= '7') {
        int v = 0, n = 0;
        if (octal_0 && *p == '0')
            p++;
        for (; n < 3 && *p >= '0' && *p <= '7'; n++, p++)
            v = v * 8 + (*p - '0');
        putchar(v);
    } else if (*p && strchr("\"\\abcefnrtv", *p)) {
        int c = *p++;
        if (c == 'c')
            stop();
        const char esc[2] = {(char)c, 0};
        const char *s = esc;
        int out = c;
        if (c != '"')
            tu_escape(&s, 0, &out);
        putchar(out);
    } else if (*p == 'u' || *p == 'U') {
        int digits = *p == 'u' ? 4 : 8;
        unsigned long code = 0;
        char kind = *p++;
        for (int i = 0; i < digits; i++, p++) {
            if (!isxdigit((unsigned char)*p))
                tu_die(1, "missing hexadecimal number in escape");
            code = code * 16 + (unsigned long)(isdigit((unsigned char)*p) ? *p - '0' : tolower(*p) - 'a' + 10);
        }
        if ((code < 0xa0 && code != 0x24 && code != 0x40 && code != 0x60) ||
            (code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
            tu_die(1, "invalid universal character name \\%c%0*lX", kind, digits, code);
        /* The C locale cannot encode it: GNU prints the escape itself. */
        if (kind == 'u')
            printf("\\u%04lX", code);
        else
            printf("\\U%08lX", code);
    } else {
        putchar('\\');
        if (*p)
            putchar(*p++);
    }
    return p;
}

/* One pass over the format; returns how many arguments it used. */
static int print_formatted(const char *fmt)
{
    int used_before = nargs;
    for (const char *f = fmt; *f;) {
        if (*f == '\\') {
            f = print_escape(f + 1, 0);
            continue;
        }
        if (*f != '%') {
            putchar(*f++);
            continue;
        }
        const char *start = f++;
        if (*f == '%') {
            putchar('%');
            f++;
            continue;
        }
        char spec[64];
        size_t sl = 0;
        spec[sl++] = '%';
        int have_width = 0, have_prec = 0, width = 0, prec = 0, modified = 0;
        /* Conversions a flag or a precision rules out (GNU's table). */
        char refused[32] = "";
        while (*f && strchr("-+ #0'", *f)) {
            if (*f == '#')
                strcat(refused, "cdisu");
            else if (*f == '0')
                strcat(refused, "cs");
            else if (*f == '\'')
                strcat(refused, "aAceEosxX");
            if (sl < 20)
                spec[sl++] = *f;
            f++;
            modified = 1;
            if (strlen(refused) > 20)
                refused[20] = 0;
        }
        if (*f == '*') {
            const char *a = next_arg();
            intmax_t w = a ? arg_int(a) : 0;
            if (w < -2147483647 || w > 2147483647)
                tu_die(1, "invalid field width: %s", tu_quote(a));
            width = (int)w;
            have_width = 1;
            f++;
        } else {
            while (isdigit((unsigned char)*f)) {
                if (sl < 40)
                    spec[sl++] = *f;
                f++;
                modified = 1;
            }
        }
        if (*f == '.') {
            f++;
            modified = 1;
            strcat(refused, "c");
            if (*f == '*') {
                const char *a = next_arg();
                intmax_t pr = a ? arg_int(a) : 0;
                if (pr < -2147483647 || pr > 2147483647)
                    tu_die(1, "invalid precision: %s", tu_quote(a));
                prec = (int)pr;
                have_prec = 1;
                f++;
            } else {
                spec[sl++] = '.';
                while (isdigit((unsigned char)*f)) {
                    if (sl < 60)
                        spec[sl++] = *f;
                    f++;
                }
            }
        }
        while (*f && strchr("hlLjzt", *f))
            f++;
        char conv = *f;
        if (!conv || !strchr("diouxXfFeEgGaAcsbq", conv) || strchr(refused, conv) ||
            ((conv == 'b' || conv == 'q') && (modified || have_width))) {
            tu_die(1, "%.*s: invalid conversion specification", (int)(f - start + (conv != 0)),
                   start);
        }
        f++;
        /* The spec so far plus '*' placeholders for width and precision. */
        char full[80];
        size_t fl = 0;
        memcpy(full, spec, sl);
        fl = sl;
        full[fl] = 0;
        if (have_width || have_prec) {
            /* Rebuild: flags, then *, then .* */
            size_t flags_end = 1;
            while (flags_end < sl && strchr("-+ #0'", spec[flags_end]))
                flags_end++;
            fl = 0;
            memcpy(full, spec, flags_end);
            fl = flags_end;
            if (have_width)
                full[fl++] = '*';
            else
                while (flags_end < sl && isdigit((unsigned char)spec[flags_end]))
                    full[fl++] = spec[flags_end++];
            if (have_prec) {
                full[fl++] = '.';
                full[fl++] = '*';
            } else if (flags_end < sl && spec[flags_end] == '.') {
                while (flags_end < sl)
                    full[fl++] = spec[flags_end++];
            }
        }
        const char *arg = next_arg();
/* Print V with the format FULL, passing the * width and precision it holds first. */
#define PRINT_WITH_STARS(v)                                                          \
    do {                                                                             \
        if (have_width && have_prec)                                                 \
            printf(full, width, prec, v);                                            \
        else if (have_width || have_prec)                                            \
            printf(full, have_width ? width : prec, v);                              \
        else                                                                         \
            printf(full, v);                                                         \
    } while (0)
        switch (conv) {
        case 'd':
        case 'i': {
            intmax_t v = arg ? arg_int(arg) : 0;
            strcpy(full + fl, "jd");
            PRINT_WITH_STARS(v);
            break;
        }
        case 'o': case 'u': case 'x': case 'X': {
            uintmax_t v = arg ? arg_uint(arg) : 0;
            full[fl] = 'j';
            full[fl + 1] = conv;
            full[fl + 2] = 0;
            PRINT_WITH_STARS(v);
            break;
        }
        case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': case 'a': case 'A': {
            long double v = arg ? arg_float(arg) : 0;
            full[fl] = 'L';
            full[fl + 1] = conv;
            full[fl + 2] = 0;
            PRINT_WITH_STARS(v);
            break;
        }
        case 'c': {
            int v = arg ? (unsigned char)arg[0] : 0;
            strcpy(full + fl, "c");
            if (!arg) {
                /* GNU prints nothing for a missing %c argument... but pads. */
                v = 0;
            }
            if (have_width)
                printf(full, width, v);
            else
                printf(full, v);
            break;
        }
        case 's': {
            const char *v = arg ? arg : "";
            strcpy(full + fl, "s");
            PRINT_WITH_STARS(v);
            break;
        }
        case 'b':
            for (const char *p = arg ? arg : ""; *p;) {
                if (*p == '\\' && p[1])
                    p = print_escape(p + 1, 1);
                else
                    putchar(*p++);
            }
            break;
        case 'q':
            fputs(tu_shell_quote(arg ? arg : "", 0, 0), stdout); /* GNU's shell-escape quoting */
            break;
        }
    }
    return used_before - nargs;
}

int main(int argc, char **argv)
{
    tu_init(argv);
    int i = 1;
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc) {
        tu_warn("missing operand");
        tu_usage(1);
    }
    const char *fmt = argv[i++];
    args = argv + i;
    nargs = argc - i;
    int used;
    do {
        used = print_formatted(fmt);
    } while (used > 0 && nargs > 0);
    if (nargs > 0)
        tu_warn("warning: ignoring excess arguments, starting with %s", tu_quote(args[0]));
    tu_flush_stdout();
    return status;
}
