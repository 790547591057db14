/* sh: the read and getopts builtins. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sh.h"

/* read [-r] [-p prompt] name...: one byte at a time, so the rest stays
 * for whoever reads the same input next. */
int bi_read(int argc, char **argv) {
    int raw = 0, i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        for (const char *o = argv[i] + 1; *o; o++) {
            if (*o == 'r') {
                raw = 1;
            } else if (*o == 'p' && i + 1 < argc) {
                write_all(2, argv[i + 1], strlen(argv[i + 1]));
                i++;
                break;
            } else {
                sh_warn("read: Illegal option -%c", *o);
                return 2;
            }
        }
    }
    sbuf line = {0}, lit = {0}; /* lit: 1 where a char was escaped */
    int eof = 0;
    for (;;) {
        char c;
        ssize_t r = read(0, &c, 1);
        if (r < 0 && errno == EINTR) {
            if (pending_signals) {
                sb_free(&line);
                sb_free(&lit);
                return 128 + last_signal;
            }
            continue;
        }
        if (r <= 0) {
            eof = 1;
            break;
        }
        if (c == '\n')
            break;
        if (c == '\\' && !raw) {
            r = read(0, &c, 1);
            if (r <= 0) {
                eof = 1;
                break;
            }
            if (c == '\n')
                continue;
            sb_addc(&line, c);
            sb_addc(&lit, 1);
            continue;
        }
        sb_addc(&line, c);
        sb_addc(&lit, 0);
    }
    const char *s = line.s ? line.s : "";
    const char *l = lit.s ? lit.s : "";
    size_t n = line.len, p = 0;
    if (i >= argc) {
        var_set("REPLY", s, 0);
    } else {
        while (p < n && !l[p] && ifs_is_ws(s[p]))
            p++;
        for (; i < argc; i++) {
            sbuf v = {0};
            if (i == argc - 1) {
                /* the rest, minus trailing IFS white space */
                size_t e = n;
                while (e > p && !l[e - 1] && ifs_is_ws(s[e - 1]))
                    e--;
                /* one field and the delimiter after it: only the field (dash) */
                size_t k = p;
                while (k < e && !(!l[k] && ifs_is(s[k])))
                    k++;
                if (k < e) {
                    size_t d = k;
                    while (d < e && !l[d] && ifs_is_ws(s[d]))
                        d++;
                    if (d < e && !l[d] && ifs_is(s[d]) && !ifs_is_ws(s[d]))
                        d++;
                    while (d < e && !l[d] && ifs_is_ws(s[d]))
                        d++;
                    if (d == e)
                        e = k;
                }
                sb_addn(&v, s + p, e - p);
                p = n;
            } else {
                while (p < n && !(!l[p] && ifs_is(s[p])))
                    sb_addc(&v, s[p++]);
                /* the delimiter: IFS white space, one other IFS char, white space */
                while (p < n && !l[p] && ifs_is_ws(s[p]))
                    p++;
                if (p < n && !l[p] && ifs_is(s[p]) && !ifs_is_ws(s[p]))
                    p++;
                while (p < n && !l[p] && ifs_is_ws(s[p]))
                    p++;
            }
            if (var_set(argv[i], v.s ? v.s : "", 0) < 0) {
                sb_free(&v);
                sb_free(&line);
                sb_free(&lit);
                return 2;
            }
            sb_free(&v);
        }
    }
    sb_free(&line);
    sb_free(&lit);
    return eof ? 1 : 0;
}

/* getopts optstring name [arg...] */
static int getopts_next = 0; /* position inside the current argument */

int bi_getopts(int argc, char **argv) {
    if (argc < 3) {
        sh_warn("getopts: usage: getopts optstring var [arg]");
        return 2;
    }
    const char *opts = argv[1];
    const char *name = argv[2];
    char **args = argc > 3 ? argv + 3 : pos.v;
    int nargs = argc > 3 ? argc - 3 : pos.n;
    const char *oi = var_get("OPTIND");
    long optind = oi ? atol(oi) : 1;
    static long last_optind = 1;
    if (optind != last_optind || getopts_next == 0)
        getopts_next = optind <= 1 && optind != last_optind ? 0 : getopts_next;
    if (optind < 1)
        optind = 1;
    int silent = opts[0] == ':';
    char optc[2] = {0, 0};
    if (getopts_next == 0) {
        if (optind > nargs || args[optind - 1][0] != '-' || args[optind - 1][1] == '\0') {
            var_set(name, "?", 0);
            var_unset("OPTARG");
            last_optind = optind;
            return 1;
        }
        if (strcmp(args[optind - 1], "--") == 0) {
            optind++;
            char num[32];
            snprintf(num, sizeof num, "%ld", optind);
            var_set("OPTIND", num, 0);
            last_optind = optind;
            var_set(name, "?", 0);
            return 1;
        }
        getopts_next = 1;
    }
    const char *arg = args[optind - 1];
    char c = arg[getopts_next++];
    int at_end = arg[getopts_next] == '\0';
    const char *spec = c != ':' ? strchr(opts + silent, c) : NULL;
    int st = 0;
    var_unset("OPTARG");
    if (!spec) {
        optc[0] = c;
        if (silent) {
            var_set("OPTARG", optc, 0);
        } else {
            sh_warn("Illegal option -%c", c);
        }
        var_set(name, "?", 0);
    } else if (spec[1] == ':') {
        if (!at_end) {
            var_set("OPTARG", arg + getopts_next, 0);
            at_end = 1;
        } else if (optind < nargs) {
            optind++;
            var_set("OPTARG", args[optind - 1], 0);
        } else {
            optc[0] = c;
            if (silent) {
                var_set(name, ":", 0);
                var_set("OPTARG", optc, 0);
            } else {
                sh_warn("No arg for -%c option", c);
                var_set(name, "?", 0);
            }
            at_end = 1;
            goto advance;
        }
        optc[0] = c;
        var_set(name, optc, 0);
    } else {
        optc[0] = c;
        var_set(name, optc, 0);
    }
advance:
    if (at_end) {
        optind++;
        getopts_next = 0;
    }
    char num[32];
    snprintf(num, sizeof num, "%ld", optind);
    var_set("OPTIND", num, 0);
    last_optind = optind;
    return st;
}
