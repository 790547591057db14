/*
 * sh: lexer and recursive-descent parser (POSIX grammar, no aliases).
 *
 * Words are kept raw (quotes and all) and expanded at run time by expand.c.
 * Input may arrive in pieces (a script read from a pipe): the parser never
 * blocks; when it runs into the end of what it was given before the end of
 * input, it says "incomplete" and the caller reads more and parses again.
 */
#include <stdlib.h>
#include <string.h>

#include "sh.h"

enum {
    T_EOF, T_NL, T_WORD, T_IONUM, T_SEMI, T_AMP, T_AND, T_OR, T_PIPE, T_DSEMI,
    T_LPAREN, T_RPAREN, T_LESS, T_GREAT, T_DGREAT, T_DLESS, T_DLESSDASH, T_LESSAND,
    T_GREATAND, T_LESSGREAT, T_CLOBBER
};

static const char *tok_names[] = {
    "end of file", "newline", "word", "word", ";", "&", "&&", "||", "|", ";;", "(", ")",
    "<", ">", ">>", "<<", "<<-", "<&", ">&", "<>", ">|"};

struct parser {
    const char *s;
    size_t len, pos;
    int at_eof;  /* the buffer's end is the end of input */
    int hit_end; /* lexing ran into the buffer's end */
    int err;
    int have_tok;
    int tok;
    char *word;
    size_t tstart, tend, last_end;
    struct redir *pending[32];
    int npending;
    int quiet; /* only looking for the end of a $( ... ): no messages */
};

int tree_pinned;

static void syntax(struct parser *p, const char *what) {
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

static long scan_until_paren(const char *s, size_t len, size_t i);

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
        free(delim);
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

static int peek(struct parser *p) {
    if (!p->have_tok) {
        lex(p);
        p->have_tok = 1;
    }
    return p->tok;
}

/* Consumes the current token; returns its word (caller frees) if any. */
static char *take(struct parser *p) {
    peek(p);
    char *w = p->word;
    p->word = NULL;
    p->have_tok = 0;
    p->last_end = p->tend;
    return w;
}

static void drop(struct parser *p) { free(take(p)); }

static int is_kw(struct parser *p, const char *kw) {
    return peek(p) == T_WORD && strcmp(p->word, kw) == 0;
}

static int at_list_end(struct parser *p) {
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

static void skip_nl(struct parser *p) {
    while (!p->err && peek(p) == T_NL)
        drop(p);
}

static int expect_kw(struct parser *p, const char *kw) {
    if (p->err)
        return 0;
    if (!is_kw(p, kw)) {
        syntax(p, NULL);
        return 0;
    }
    drop(p);
    return 1;
}

/* --- tree --- */

static struct node *new_node(int type) {
    struct node *n = xmalloc(sizeof *n);
    memset(n, 0, sizeof *n);
    n->type = type;
    return n;
}

static void add_kid(struct node *n, struct node *k) {
    n->kids = xrealloc(n->kids, (size_t)(n->nkids + 1) * sizeof *n->kids);
    n->kids[n->nkids++] = k;
}

static void add_str(char ***v, int *n, char *s) {
    *v = xrealloc(*v, (size_t)(*n + 2) * sizeof(char *));
    (*v)[(*n)++] = s;
    (*v)[*n] = NULL;
}

static void redirs_free(struct redir *r) {
    while (r) {
        struct redir *next = r->next;
        free(r->word);
        free(r->here);
        free(r);
        r = next;
    }
}

void tree_free(struct node *n) {
    if (!n)
        return;
    free(n->src);
    redirs_free(n->redirs);
    for (int i = 0; i < n->nwords; i++)
        free(n->words[i]);
    free(n->words);
    for (int i = 0; i < n->nassigns; i++)
        free(n->assigns[i]);
    free(n->assigns);
    for (int i = 0; i < n->nkids; i++)
        tree_free(n->kids[i]);
    free(n->kids);
    tree_free(n->a);
    tree_free(n->b);
    tree_free(n->c);
    free(n->name);
    for (struct caseitem *c = n->items; c;) {
        struct caseitem *next = c->next;
        for (int i = 0; i < c->npats; i++)
            free(c->pats[i]);
        free(c->pats);
        tree_free(c->body);
        free(c);
        c = next;
    }
    free(n);
}

static void set_src(struct parser *p, struct node *n, size_t start) {
    if (n && !n->src && p->last_end >= start)
        n->src = xstrndup(p->s + start, p->last_end - start);
}

/* --- grammar --- */

static struct node *parse_andor(struct parser *p);
static struct node *parse_command(struct parser *p);

static struct node *parse_clist(struct parser *p) {
    struct node *list = new_node(N_LIST);
    for (;;) {
        skip_nl(p);
        if (p->err || at_list_end(p))
            break;
        size_t start = p->tstart;
        struct node *n = parse_andor(p);
        if (p->err) {
            tree_free(n);
            break;
        }
        int t = peek(p);
        if (t == T_AMP) {
            struct node *bg = new_node(N_BG);
            bg->a = n;
            set_src(p, bg, start);
            n = bg;
        }
        add_kid(list, n);
        if (t == T_AMP || t == T_SEMI || t == T_NL)
            drop(p);
        else
            break;
    }
    if (!p->err && list->nkids == 0)
        syntax(p, NULL);
    if (p->err) {
        tree_free(list);
        return NULL;
    }
    return list;
}

static int is_redir_tok(int t) { return t >= T_LESS || t == T_IONUM; }

static struct redir *parse_redir(struct parser *p) {
    int fd = -1;
    if (peek(p) == T_IONUM) {
        char *w = take(p);
        fd = atoi(w);
        free(w);
    }
    int t = peek(p);
    drop(p);
    struct redir *r = xmalloc(sizeof *r);
    memset(r, 0, sizeof *r);
    switch (t) {
    case T_LESS: r->type = R_IN; break;
    case T_GREAT: r->type = R_OUT; break;
    case T_DGREAT: r->type = R_APPEND; break;
    case T_CLOBBER: r->type = R_CLOBBER; break;
    case T_LESSGREAT: r->type = R_RDWR; break;
    case T_LESSAND: r->type = R_DUPIN; break;
    case T_GREATAND: r->type = R_DUPOUT; break;
    case T_DLESS: r->type = R_HERE; break;
    case T_DLESSDASH: r->type = R_HERE; r->here_strip = 1; break;
    }
    int in = r->type == R_IN || r->type == R_RDWR || r->type == R_DUPIN || r->type == R_HERE;
    r->fd = fd >= 0 ? fd : (in ? 0 : 1);
    if (peek(p) != T_WORD) {
        syntax(p, NULL);
        free(r);
        return NULL;
    }
    r->word = take(p);
    if (r->type == R_HERE) {
        if (p->npending < 32)
            p->pending[p->npending++] = r;
        r->here = xstrdup("");
    }
    return r;
}

static void parse_redirs(struct parser *p, struct node *n) {
    struct redir **tail = &n->redirs;
    while (*tail)
        tail = &(*tail)->next;
    while (!p->err && is_redir_tok(peek(p))) {
        struct redir *r = parse_redir(p);
        if (!r)
            return;
        *tail = r;
        tail = &r->next;
    }
}

static int is_assignment(const char *w) {
    const char *eq = strchr(w, '=');
    return eq && eq > w && is_name_n(w, (size_t)(eq - w));
}

static struct node *parse_simple(struct parser *p) {
    struct node *n = new_node(N_SIMPLE);
    struct redir **tail = &n->redirs;
    for (;;) {
        int t = peek(p);
        if (is_redir_tok(t)) {
            struct redir *r = parse_redir(p);
            if (!r)
                break;
            *tail = r;
            tail = &r->next;
        } else if (t == T_WORD) {
            char *w = take(p);
            if (n->nwords == 0 && is_assignment(w))
                add_str(&n->assigns, &n->nassigns, w);
            else
                add_str(&n->words, &n->nwords, w);
        } else {
            break;
        }
        if (p->err)
            break;
    }
    if (!p->err && n->nwords == 0 && n->nassigns == 0 && n->redirs == NULL)
        syntax(p, NULL);
    if (p->err) {
        tree_free(n);
        return NULL;
    }
    return n;
}

static struct node *parse_if(struct parser *p) {
    drop(p); /* if / elif */
    struct node *n = new_node(N_IF);
    n->a = parse_clist(p);
    if (expect_kw(p, "then"))
        n->b = parse_clist(p);
    if (!p->err) {
        if (is_kw(p, "elif")) {
            n->c = parse_if(p);
            return n; /* the inner if consumed "fi" */
        }
        if (is_kw(p, "else")) {
            drop(p);
            n->c = parse_clist(p);
        }
        expect_kw(p, "fi");
    }
    return n;
}

static struct node *parse_loop(struct parser *p, int type) {
    drop(p);
    struct node *n = new_node(type);
    n->a = parse_clist(p);
    if (expect_kw(p, "do"))
        n->b = parse_clist(p);
    expect_kw(p, "done");
    return n;
}

static struct node *parse_for(struct parser *p) {
    drop(p);
    struct node *n = new_node(N_FOR);
    if (peek(p) != T_WORD || !is_name(p->word)) {
        syntax(p, NULL);
        return n;
    }
    n->name = take(p);
    skip_nl(p);
    if (is_kw(p, "in")) {
        drop(p);
        n->for_has_in = 1;
        while (!p->err && peek(p) == T_WORD)
            add_str(&n->words, &n->nwords, take(p));
        if (p->err)
            return n;
        if (peek(p) != T_SEMI && peek(p) != T_NL) {
            syntax(p, NULL);
            return n;
        }
        drop(p);
    } else if (peek(p) == T_SEMI) {
        drop(p);
    }
    skip_nl(p);
    if (expect_kw(p, "do"))
        n->b = parse_clist(p);
    expect_kw(p, "done");
    return n;
}

static struct node *parse_case(struct parser *p) {
    drop(p);
    struct node *n = new_node(N_CASE);
    if (peek(p) != T_WORD) {
        syntax(p, NULL);
        return n;
    }
    n->name = take(p);
    skip_nl(p);
    if (!expect_kw(p, "in"))
        return n;
    struct caseitem **tail = &n->items;
    for (;;) {
        skip_nl(p);
        if (p->err || is_kw(p, "esac"))
            break;
        struct caseitem *ci = xmalloc(sizeof *ci);
        memset(ci, 0, sizeof *ci);
        *tail = ci;
        tail = &ci->next;
        if (peek(p) == T_LPAREN)
            drop(p);
        for (;;) {
            if (peek(p) != T_WORD) {
                syntax(p, NULL);
                return n;
            }
            add_str(&ci->pats, &ci->npats, take(p));
            if (peek(p) == T_PIPE) {
                drop(p);
                continue;
            }
            break;
        }
        if (p->err || peek(p) != T_RPAREN) {
            syntax(p, NULL);
            return n;
        }
        drop(p);
        skip_nl(p);
        if (p->err)
            return n;
        if (peek(p) != T_DSEMI && !is_kw(p, "esac"))
            ci->body = parse_clist(p);
        if (p->err)
            return n;
        if (peek(p) == T_DSEMI)
            drop(p);
        else if (!is_kw(p, "esac")) {
            syntax(p, NULL);
            return n;
        }
    }
    expect_kw(p, "esac");
    return n;
}

static struct node *parse_command(struct parser *p) {
    size_t start = p->tstart;
    int t = peek(p);
    start = p->tstart;
    struct node *n = NULL;
    if (t == T_LPAREN) {
        drop(p);
        n = new_node(N_SUBSHELL);
        size_t body = (peek(p), p->tstart);
        n->a = parse_clist(p);
        set_src(p, n->a, body);
        if (!p->err && peek(p) != T_RPAREN)
            syntax(p, NULL);
        if (!p->err)
            drop(p);
    } else if (t == T_WORD) {
        const char *w = p->word;
        if (strcmp(w, "{") == 0) {
            drop(p);
            n = new_node(N_GROUP);
            n->a = parse_clist(p);
            expect_kw(p, "}");
        } else if (strcmp(w, "if") == 0) {
            n = parse_if(p);
        } else if (strcmp(w, "while") == 0) {
            n = parse_loop(p, N_WHILE);
        } else if (strcmp(w, "until") == 0) {
            n = parse_loop(p, N_UNTIL);
        } else if (strcmp(w, "for") == 0) {
            n = parse_for(p);
        } else if (strcmp(w, "case") == 0) {
            n = parse_case(p);
        } else if (at_list_end(p)) {
            syntax(p, NULL);
            return NULL;
        } else if (is_name(w)) {
            /* NAME ( ) : a function definition */
            size_t save_start = p->tstart;
            char *name = take(p);
            if (peek(p) == T_LPAREN) {
                drop(p);
                if (peek(p) != T_RPAREN) {
                    syntax(p, NULL);
                    free(name);
                    return NULL;
                }
                drop(p);
                skip_nl(p);
                n = new_node(N_FUNCDEF);
                n->name = name;
                if (!p->err)
                    n->a = parse_command(p);
                if (p->err) {
                    tree_free(n);
                    return NULL;
                }
                set_src(p, n, start);
                return n;
            }
            /* not a definition: back to the name, lexed again as a word */
            free(name);
            free(p->word);
            p->word = NULL;
            p->have_tok = 0;
            p->pos = save_start;
            n = parse_simple(p);
        } else {
            n = parse_simple(p);
        }
    } else if (is_redir_tok(t)) {
        n = parse_simple(p);
    } else {
        syntax(p, NULL);
        return NULL;
    }
    if (p->err) {
        tree_free(n);
        return NULL;
    }
    if (n->type != N_SIMPLE)
        parse_redirs(p, n);
    if (p->err) {
        tree_free(n);
        return NULL;
    }
    set_src(p, n, start);
    return n;
}

static struct node *parse_pipeline(struct parser *p) {
    size_t start = (peek(p), p->tstart);
    int negate = 0;
    while (is_kw(p, "!")) {
        drop(p);
        negate = !negate;
    }
    struct node *first = parse_command(p);
    if (p->err)
        return NULL;
    struct node *n = first;
    if (peek(p) == T_PIPE) {
        n = new_node(N_PIPE);
        add_kid(n, first);
        while (!p->err && peek(p) == T_PIPE) {
            drop(p);
            skip_nl(p);
            if (p->err)
                break;
            struct node *k = parse_command(p);
            if (!k)
                break;
            add_kid(n, k);
        }
        if (p->err) {
            tree_free(n);
            return NULL;
        }
        set_src(p, n, start);
    }
    if (negate) {
        struct node *x = new_node(N_NOT);
        x->a = n;
        set_src(p, x, start);
        n = x;
    }
    return n;
}

static struct node *parse_andor(struct parser *p) {
    size_t start = (peek(p), p->tstart);
    struct node *n = parse_pipeline(p);
    while (!p->err && (peek(p) == T_AND || peek(p) == T_OR)) {
        struct node *x = new_node(peek(p) == T_AND ? N_AND : N_OR);
        drop(p);
        skip_nl(p);
        x->a = n;
        if (!p->err)
            x->b = parse_pipeline(p);
        n = x;
        if (!p->err)
            set_src(p, n, start);
    }
    if (p->err) {
        tree_free(n);
        return NULL;
    }
    return n;
}

struct node *parse_command_line(const char *src, size_t len, size_t *pos, int *status,
                                int at_eof) {
    struct parser P;
    memset(&P, 0, sizeof P);
    struct parser *p = &P;
    p->s = src;
    p->len = len;
    p->pos = *pos;
    p->at_eof = at_eof;
    *status = 0;
    struct node *list = NULL;
    skip_nl(p);
    if (!p->err && peek(p) == T_EOF) {
        if (p->hit_end && !at_eof && !p->err) {
            *status = 1;
            free(p->word);
            return NULL;
        }
        *pos = p->pos;
        free(p->word);
        if (p->err)
            *status = 2;
        return NULL;
    }
    if (!p->err) {
        list = new_node(N_LIST);
        for (;;) {
            size_t start = p->tstart;
            struct node *n = parse_andor(p);
            if (p->err)
                break;
            int t = peek(p), sep = 0;
            if (t == T_AMP) {
                struct node *bg = new_node(N_BG);
                bg->a = n;
                set_src(p, bg, start);
                n = bg;
            }
            add_kid(list, n);
            if (t == T_AMP || t == T_SEMI) {
                drop(p);
                t = peek(p);
                sep = 1;
            }
            if (t == T_NL) {
                drop(p);
                break;
            }
            if (t == T_EOF || p->err)
                break;
            if (!sep) {
                syntax(p, NULL);
                break;
            }
        }
    }
    free(p->word);
    if (p->hit_end && !at_eof) {
        tree_free(list);
        *status = 1;
        return NULL;
    }
    if (p->err) {
        tree_free(list);
        *status = 2;
        *pos = p->pos;
        return NULL;
    }
    *pos = p->have_tok ? p->tstart : p->pos;
    return list;
}

static long scan_until_paren(const char *s, size_t len, size_t i) {
    struct parser P;
    memset(&P, 0, sizeof P);
    P.s = s;
    P.len = len;
    P.pos = i;
    P.at_eof = 1;
    P.quiet = 1;
    /* parse quietly: only the end matters here */
    skip_nl(&P);
    if (!P.err && peek(&P) == T_RPAREN) {
        free(P.word);
        return (long)P.tstart;
    }
    struct node *n = P.err ? NULL : parse_clist(&P);
    tree_free(n);
    long end = -1;
    if (!P.err && peek(&P) == T_RPAREN)
        end = (long)P.tstart;
    free(P.word);
    return end;
}

long cmdsubst_end(const char *s, size_t len, size_t start) {
    return scan_until_paren(s, len, start);
}
