/*
 * sh: the lexer: tokens, words kept raw (quotes and all), here-document
 * bodies, and finding where quoted constructs end. It never blocks: at the
 * end of what it was given it says so (hit_end), and the caller may read
 * more input and parse again.
 */
#include <stdlib.h>
#include <string.h>

#include "parser.h"

static const char *tok_names[] = {
    "end of file", "newline", "word", "word", ";", "&", "&&", "||", "|", ";;", "(", ")",
    "<", ">", ">>", "<<", "<<-", "<&", ">&", "<>", ">|"};

void syntax(struct parser *p, const char *what) {
    if (p->err)
        return;
    p->err = 1;
    if ((p->hit_end && !p->at_eof) || p->quiet)
        return; /* incomplete: the caller reads more */
    if (what)
        sh_warn("Syntax error: %s", what);
    else if (p->tok == T_WORD)
        sh_warn("Syntax error: \"%s\" unexpected", p->word);
    else
        sh_warn("Syntax error: %s unexpected", tok_names[p->tok]);
}

/* --- scanning quoted constructs (shared with expand.c through the wrappers) --- */


/* i at the opening quote/$; returns the index just after the construct, or -1
 * when the text ends first. */
static long scan_construct(const char *s, size_t len, size_t i) {
    char c = s[i];
    if (c == '\'') {
        for (i++; i < len; i++)
            if (s[i] == '\'')
                return (long)i + 1;
        return -1;
    }
    if (c == '"') {
        for (i++; i < len;) {
            if (s[i] == '\\') {
                if (i + 1 >= len)
                    return -1;
                i += 2;
            } else if (s[i] == '"') {
                return (long)i + 1;
            } else if (s[i] == '$' || s[i] == '`') {
                long e = scan_construct(s, len, i);
                if (e < 0)
                    return -1;
                i = (size_t)e;
            } else {
                i++;
            }
        }
        return -1;
    }
    if (c == '`') {
        for (i++; i < len; i++) {
            if (s[i] == '\\') {
                i++;
            } else if (s[i] == '`') {
                return (long)i + 1;
            }
        }
        return -1;
    }
    if (c == '$') {
        if (i + 1 >= len)
            return (long)i + 1;
        if (s[i + 1] == '{') {
            for (i += 2; i < len;) {
                if (s[i] == '}')
                    return (long)i + 1;
                if (s[i] == '\\') {
                    if (i + 1 >= len)
                        return -1;
                    i += 2;
                } else if (s[i] == '\'' || s[i] == '"' || s[i] == '$' || s[i] == '`') {
                    long e = scan_construct(s, len, i);
                    if (e < 0)
                        return -1;
                    i = (size_t)e;
                } else {
                    i++;
                }
            }
            return -1;
        }
        if (s[i + 1] == '(') {
            if (i + 2 < len && s[i + 2] == '(') {
                /* $(( arithmetic )): up to the matching "))" */
                int depth = 0;
                size_t j;
                for (j = i + 3; j < len; j++) {
                    if (s[j] == '(')
                        depth++;
                    else if (s[j] == ')') {
                        if (depth == 0) {
                            if (j + 1 < len && s[j + 1] == ')')
                                return (long)j + 2;
                            if (j + 1 >= len)
                                return -1;
                            /* "$((a) ...)": a command substitution after all */
                            break;
                        }
                        depth--;
                    }
                }
                if (j >= len)
                    return -1;
            }
            long e = scan_until_paren(s, len, i + 2);
            return e < 0 ? -1 : e + 1;
        }
        return (long)i + 1;
    }
    return (long)i + 1;
}

long skip_construct(const char *s, size_t len, size_t i) { return scan_construct(s, len, i); }

/* --- lexer --- */

static int is_meta(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' ||
           c == '(' || c == ')' || c == '<' || c == '>';
}

static void read_heredocs(struct parser *p);

static int lex(struct parser *p) {
    const char *s = p->s;
    size_t len = p->len;
    free(p->word);
    p->word = NULL;
    for (;;) {
        while (p->pos < len && (s[p->pos] == ' ' || s[p->pos] == '\t'))
            p->pos++;
        if (p->pos + 1 < len && s[p->pos] == '\\' && s[p->pos + 1] == '\n') {
            p->pos += 2;
            continue;
        }
        if (p->pos + 1 == len && s[p->pos] == '\\' && !p->at_eof) {
            p->hit_end = 1;
            p->tstart = p->tend = p->pos;
            return p->tok = T_EOF;
        }
        if (p->pos < len && s[p->pos] == '#') {
            while (p->pos < len && s[p->pos] != '\n')
                p->pos++;
        }
        break;
    }
    p->tstart = p->pos;
    if (p->pos >= len) {
        p->hit_end = 1;
        p->tend = p->pos;
        return p->tok = T_EOF;
    }
    char c = s[p->pos];
    char n1 = p->pos + 1 < len ? s[p->pos + 1] : '\0';
    char n2 = p->pos + 2 < len ? s[p->pos + 2] : '\0';
    int t = -1, w = 1;
    switch (c) {
    case '\n': t = T_NL; break;
    case ';': t = n1 == ';' ? (w = 2, T_DSEMI) : T_SEMI; break;
    case '&': t = n1 == '&' ? (w = 2, T_AND) : T_AMP; break;
    case '|': t = n1 == '|' ? (w = 2, T_OR) : T_PIPE; break;
    case '(': t = T_LPAREN; break;
    case ')': t = T_RPAREN; break;
    case '<':
        if (n1 == '<')
            t = n2 == '-' ? (w = 3, T_DLESSDASH) : (w = 2, T_DLESS);
        else if (n1 == '&')
            t = (w = 2, T_LESSAND);
        else if (n1 == '>')
            t = (w = 2, T_LESSGREAT);
        else
            t = T_LESS;
        break;
    case '>':
        if (n1 == '>')
            t = (w = 2, T_DGREAT);
        else if (n1 == '&')
            t = (w = 2, T_GREATAND);
        else if (n1 == '|')
            t = (w = 2, T_CLOBBER);
        else
            t = T_GREAT;
        break;
    }
    if (t >= 0) {
        /* An operator cut by the buffer's end might continue ("&" of "&&"). */
        if (p->pos + (size_t)w >= len && !p->at_eof && t != T_NL)
            p->hit_end = 1;
        p->pos += (size_t)w;
        p->tend = p->pos;
        if (t == T_NL)
            read_heredocs(p);
        return p->tok = t;
    }
    /* a word */
    sbuf b = {0};
    size_t i = p->pos;
    while (i < len && !is_meta(s[i])) {
        if (s[i] == '\\') {
            if (i + 1 >= len) {
                if (!p->at_eof)
                    p->hit_end = 1;
                sb_addc(&b, '\\');
                i++;
                break;
            }
            if (s[i + 1] != '\n')
                sb_addn(&b, s + i, 2);
            i += 2;
        } else if (s[i] == '\'' || s[i] == '"' || s[i] == '`' || s[i] == '$') {
            long e = scan_construct(s, len, i);
            if (e < 0) {
                p->hit_end = 1;
                p->err = 1;
                if (p->at_eof && !p->quiet)
                    sh_warn("Syntax error: Unterminated quoted string");
                sb_free(&b);
                p->pos = len;
                p->tend = len;
                return p->tok = T_EOF;
            }
            /* drop line continuations outside single quotes */
            for (size_t k = i; k < (size_t)e; k++) {
                if (s[i] != '\'' && s[k] == '\\' && k + 1 < (size_t)e && s[k + 1] == '\n') {
                    k++;
                    continue;
                }
                if (s[i] != '\'' && s[k] == '\\' && k + 1 < (size_t)e) {
                    sb_addn(&b, s + k, 2);
                    k++;
                    continue;
                }
                sb_addc(&b, s[k]);
            }
            i = (size_t)e;
        } else {
            sb_addc(&b, s[i]);
            i++;
        }
    }
    if (i >= len && !p->at_eof)
        p->hit_end = 1;
    p->pos = i;
    p->tend = i;
    p->word = sb_take(&b);
    t = T_WORD;
    if (i < len && (s[i] == '<' || s[i] == '>')) {
        int digits = 1;
        for (char *q = p->word; *q; q++)
            if (*q < '0' || *q > '9')
                digits = 0;
        if (digits)
            t = T_IONUM;
    }
    return p->tok = t;
}

/* After a newline: the bodies of the here-documents begun on that line. */
static void read_heredocs(struct parser *p) {
    for (int k = 0; k < p->npending; k++) {
        struct redir *r = p->pending[k];
        /* the delimiter with its quotes removed */
        sbuf d = {0};
        for (const char *q = r->word; *q; q++) {
            if (*q == '\\' && q[1]) {
                sb_addc(&d, *++q);
                r->here_lit = 1;
            } else if (*q == '\'' || *q == '"') {
                r->here_lit = 1;
            } else {
                sb_addc(&d, *q);
            }
        }
        char *delim = sb_take(&d);
        size_t dl = strlen(delim);
        r->body_pos = p->pos;
        sbuf body = {0};
        int done = 0;
        while (p->pos < p->len) {
            size_t e = p->pos;
            while (e < p->len && p->s[e] != '\n')
                e++;
            if (e >= p->len && !p->at_eof)
                break; /* a partial line */
            size_t st = p->pos;
            if (r->here_strip)
                while (st < e && p->s[st] == '\t')
                    st++;
            p->pos = e < p->len ? e + 1 : e;
            if (e - st == dl && memcmp(p->s + st, delim, dl) == 0) {
                done = 1;
                break;
            }
            sb_addn(&body, p->s + st, e - st);
            sb_addc(&body, '\n');
        }
        free(r->delim);
        r->delim = delim;
        if (!done && !p->at_eof) {
            p->hit_end = 1;
            p->err = 1;
            sb_free(&body);
            p->npending = 0;
            return;
        }
        free(r->here);
        r->here = sb_take(&body);
    }
    p->npending = 0;
}

int peek(struct parser *p) {
    if (!p->have_tok) {
        lex(p);
        p->have_tok = 1;
    }
    return p->tok;
}

/* Consumes the current token; returns its word (caller frees) if any. */
char *take(struct parser *p) {
    peek(p);
    char *w = p->word;
    p->word = NULL;
    p->have_tok = 0;
    p->last_end = p->tend;
    return w;
}

void drop(struct parser *p) { free(take(p)); }

int is_kw(struct parser *p, const char *kw) {
    return peek(p) == T_WORD && strcmp(p->word, kw) == 0;
}

int at_list_end(struct parser *p) {
    static const char *const ends[] = {"then", "else", "elif", "fi", "do", "done", "esac", "}"};
    int t = peek(p);
    if (t == T_EOF || t == T_RPAREN || t == T_DSEMI)
        return 1;
    if (t == T_WORD)
        for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
            if (strcmp(p->word, ends[i]) == 0)
                return 1;
    return 0;
}

void skip_nl(struct parser *p) {
    while (!p->err && peek(p) == T_NL)
        drop(p);
}

int expect_kw(struct parser *p, const char *kw) {
    if (p->err)
        return 0;
    if (!is_kw(p, kw)) {
        syntax(p, NULL);
        return 0;
    }
    drop(p);
    return 1;
}
