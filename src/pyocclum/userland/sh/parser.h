/* sh: the parser's state, shared by the lexer (lex.c) and the grammar (parse.c). */
#ifndef SH_PARSER_H
#define SH_PARSER_H

#include <stddef.h>

#include "sh.h"

enum {
    T_EOF, T_NL, T_WORD, T_IONUM, T_SEMI, T_AMP, T_AND, T_OR, T_PIPE, T_DSEMI,
    T_LPAREN, T_RPAREN, T_LESS, T_GREAT, T_DGREAT, T_DLESS, T_DLESSDASH, T_LESSAND,
    T_GREATAND, T_LESSGREAT, T_CLOBBER
};

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

void syntax(struct parser *p, const char *what);
int peek(struct parser *p);
char *take(struct parser *p); /* consumes the token; its word (caller frees) */
void drop(struct parser *p);
int is_kw(struct parser *p, const char *kw);
int at_list_end(struct parser *p);
void skip_nl(struct parser *p);
int expect_kw(struct parser *p, const char *kw);
/* index of the ')' closing a $( ... ) whose text starts at s[i], or -1 */
long scan_until_paren(const char *s, size_t len, size_t i);

#endif
