/*
 * sh: recursive-descent parser (POSIX grammar, no aliases) over lex.c.
 *
 * Words are kept raw (quotes and all) and expanded at run time by expand.c;
 * every command keeps its source text, which is what a child shell runs.
 * Input may arrive in pieces (a script read from a pipe): the parser never
 * blocks; when it runs into the end of what it was given before the end of
 * input, it says "incomplete" and the caller reads more and parses again.
 */
#include <stdlib.h>
#include <string.h>

#include "parser.h"

int tree_pinned;

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
        free(r->delim);
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
    if (n && !n->src && p->last_end >= start) {
        n->src = xstrndup(p->s + start, p->last_end - start);
        n->src_end = p->last_end;
    }
}

static void collect_heredocs(struct node *n, size_t after, struct redir ***v, int *count) {
    if (!n)
        return;
    for (struct redir *r = n->redirs; r; r = r->next)
        if (r->type == R_HERE && r->delim && r->body_pos >= after) {
            *v = xrealloc(*v, (size_t)(*count + 1) * sizeof **v);
            (*v)[(*count)++] = r;
        }
    for (int i = 0; i < n->nkids; i++)
        collect_heredocs(n->kids[i], after, v, count);
    collect_heredocs(n->a, after, v, count);
    collect_heredocs(n->b, after, v, count);
    collect_heredocs(n->c, after, v, count);
    for (struct caseitem *c = n->items; c; c = c->next)
        collect_heredocs(c->body, after, v, count);
}

char *child_src(struct node *n) {
    struct redir **v = NULL;
    int count = 0;
    if (n->src_end > 0)
        collect_heredocs(n, n->src_end, &v, &count);
    if (count == 0)
        return xstrdup(n->src ? n->src : "");
    /* in the order they were written (the order of their bodies) */
    for (int i = 1; i < count; i++)
        for (int j = i; j > 0 && v[j]->body_pos < v[j - 1]->body_pos; j--) {
            struct redir *t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    sbuf b = {0};
    sb_adds(&b, n->src ? n->src : "");
    sb_addc(&b, '\n');
    for (int i = 0; i < count; i++) {
        sb_adds(&b, v[i]->here);
        sb_adds(&b, v[i]->delim);
        sb_addc(&b, '\n');
    }
    free(v);
    return sb_take(&b);
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

/* Is the token after the current word "("? Looked at in the text, not
 * lexed: lexing a newline would read here-document bodies. */
static int next_is_paren(struct parser *p) {
    size_t q = p->tend;
    while (q < p->len && (p->s[q] == ' ' || p->s[q] == '\t'))
        q++;
    return q < p->len && p->s[q] == '(';
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
        } else if (at_list_end(p) || strcmp(w, "!") == 0) {
            syntax(p, NULL); /* "!" only begins a pipeline */
            return NULL;
        } else if (is_name(w) && next_is_paren(p)) {
            /* NAME ( ) : a function definition */
            char *name = take(p);
            drop(p); /* ( */
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
    if (is_kw(p, "!")) {
        drop(p);
        negate = 1;
        if (is_kw(p, "!")) { /* one "!" only (POSIX grammar, dash) */
            syntax(p, NULL);
            return NULL;
        }
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

long scan_until_paren(const char *s, size_t len, size_t i) {
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
