/*
 * sh: a POSIX shell for PyOcclum (no fork: children are posix_spawn'ed).
 * Declarations shared by the shell's modules; see userland/README.md (## sh).
 */
#ifndef SH_H
#define SH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* --- util.c --- */
typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

void *xmalloc(size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
void sb_addc(sbuf *b, char c);
void sb_addn(sbuf *b, const char *s, size_t n);
void sb_adds(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *sb_take(sbuf *b); /* NUL-terminated, malloc'd; b is reset */
void sb_free(sbuf *b);

void sh_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void sh_fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void sh_exit(int status);
int write_all(int fd, const char *s, size_t n);
int is_name(const char *s);
int is_name_n(const char *s, size_t n);
int parse_int(const char *s, long *out);

/* Output of builtins: buffered into out1, flushed to fd 1 (or kept, when
 * a command substitution captures a builtin in the shell itself). */
extern sbuf out1;
extern int out1_capture;
void out_flush(void);
void outs(const char *s);
void outc(char c);
void outn(const char *s, size_t n);
void outf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- vars.c --- */
#define V_EXPORT 1
#define V_READONLY 2
#define V_UNSET 4 /* declared (export/readonly/local) but without value */

struct var {
    char *name;
    char *value;
    int flags;
    struct var *next;
};

void vars_init(char **envp);
struct var *var_find(const char *name);
const char *var_get(const char *name); /* NULL when unset */
int var_set(const char *name, const char *value, int flags); /* -1: readonly */
int var_set_assign(const char *assign, int flags);              /* "name=value" */
int var_unset(const char *name);
void var_export(const char *name);
char **env_build(char **extra, int nextra); /* exported vars + extra "n=v" */
void vars_list(int flags, const char *prefix);
struct var **vars_all(int *n);
void local_var(const char *name, const char *assign);
void local_push(void);
void local_pop(void);
extern int local_depth;
int ifs_is(char c);
int ifs_is_ws(char c);

/* positional parameters */
struct params {
    char **v; /* malloc'd strings */
    int n;
};
extern struct params pos;
extern char *arg0;
void params_set(struct params *p, char **v, int n);
void params_free(struct params *p);

/* functions */
struct node;
struct func {
    char *name;
    struct node *body;
    char *src; /* "name() body" as written: passed on to subshells */
    struct func *next;
};
struct func *func_find(const char *name);
void func_define(const char *name, struct node *body, const char *src);
int func_unset(const char *name);
struct func *funcs_all(void);

/* --- parse.c --- */
enum {
    N_SIMPLE, N_PIPE, N_AND, N_OR, N_NOT, N_LIST, N_BG, N_SUBSHELL, N_GROUP,
    N_IF, N_WHILE, N_UNTIL, N_FOR, N_CASE, N_FUNCDEF
};
enum { R_IN, R_OUT, R_CLOBBER, R_APPEND, R_RDWR, R_DUPIN, R_DUPOUT, R_HERE };

struct redir {
    int type, fd;
    char *word;    /* raw (unexpanded) target, or here-doc delimiter */
    char *here;    /* here-document body (raw) */
    int here_lit;  /* delimiter was quoted: no expansion of the body */
    int here_strip;
    char *delim;     /* the delimiter, unquoted */
    size_t body_pos; /* where the body began in the parsed text */
    struct redir *next;
};

struct caseitem {
    char **pats;
    int npats;
    struct node *body;
    struct caseitem *next;
};

struct node {
    int type;
    char *src; /* this command's source text (for sh -c children) */
    size_t src_end; /* where src ended in the parsed text */
    struct redir *redirs;
    char **words; /* raw words: N_SIMPLE args, N_FOR list */
    int nwords;
    char **assigns; /* N_SIMPLE raw "name=value" */
    int nassigns;
    struct node **kids; /* N_PIPE, N_LIST */
    int nkids;
    struct node *a, *b, *c; /* cond/then/else, left/right, body */
    char *name;             /* N_FOR variable, N_FUNCDEF name, N_CASE word */
    int for_has_in;
    struct caseitem *items;
};

struct parser;
/* Parses one complete command (a line) of src[*pos..len]. Returns the
 * tree (NULL: nothing but blank lines/EOF, *pos at len), or sets *status:
 * 0 ok, 1 incomplete (more input might complete it), 2 syntax error. */
struct node *parse_command_line(const char *src, size_t len, size_t *pos, int *status,
                                int at_eof);
/* Where the $( ... ) that begins at s[start] (just after "$(") ends: index of ')'. */
long cmdsubst_end(const char *s, size_t len, size_t start);
void tree_free(struct node *n);
/* The text a child shell runs for n: its source, plus the bodies of its
 * here-documents that follow it (cmd <<EOF | ...: the body is after the line). */
char *child_src(struct node *n);
extern int tree_pinned; /* a function definition keeps its tree */

/* --- expand.c --- */
struct strlist {
    char **v;
    int n, cap;
};
void sl_add(struct strlist *l, char *s);
void sl_free(struct strlist *l);
void expand_fields(const char *word, struct strlist *out); /* split + glob */
char *expand_str(const char *word);                        /* no split, no glob */
char *expand_pattern(const char *word);                    /* for case/fnmatch */
char *expand_heredoc(const char *body);
char *expand_assign_value(const char *value);
extern int cmdsubst_status; /* status of the last $(...) in an expansion */
extern int cmdsubst_ran;

/* --- arith.c --- */
long long arith_eval(const char *expr);

/* --- exec.c --- */
#define EV_TESTED 1 /* errexit does not apply (condition, && || ! operand) */
#define EV_NOSPAWN_EXIT 2

extern int exitstatus;
extern int evalskip; /* SKIP_* pending control flow */
extern int skipcount;
extern int loopnest, funcnest;
enum { SKIP_BREAK = 1, SKIP_CONT, SKIP_RETURN };
extern int opt_e, opt_x, opt_u, opt_f, opt_C, opt_a, opt_n, opt_v;
extern pid_t shell_pid;
extern pid_t last_bg;
extern int in_subshell;
extern int interactive; /* stdin and stderr are terminals (or -i): prompts */
extern int child_tested; /* the child shell about to be spawned runs in a condition */
extern int start_flags;  /* set from the state: how a child shell runs its command */

int eval_tree(struct node *n, int flags);
int eval_string(const char *s, int flags); /* eval, trap actions, sh -c */
int eval_fd_input(int fd);                 /* a script or stdin, read as it goes */
int eval_file(const char *path, int must_exist);
char *capture_output(const char *cmdtext, int *status);
struct strlist;
/* Runs an expanded command (argv in args): builtin, function or program. */
int run_command(struct strlist *args, char **assigns, int nassigns, struct redir *redirs,
                int flags, int nofunc);
void xtrace_words(char **assigns, int nassigns, char **argv, int argc);

struct saved_fd {
    int fd, saved; /* saved: copy of the old fd, or -1 (was closed) */
};
struct redir_save {
    struct saved_fd *v;
    int n, cap;
};
int redirs_apply(struct redir *r, struct redir_save *save); /* -1 on failure */
void redirs_restore(struct redir_save *save);
void move_fd(struct redir_save *save, int to, int fd);
int read_all(int fd, sbuf *b);

/* --- run.c: spawning, waiting, jobs, traps --- */
char *path_lookup(const char *name); /* malloc'd path, or NULL */
void path_hash_clear(void);
/* Where a child's fds 0 and 1 come from (done by spawn file actions, so the
 * shell's own fds are not touched): -1 for the shell's own. */
struct spawn_fds {
    int in, out;
    int null_in; /* stdin from /dev/null (background commands) */
};
int spawn_external(const char *path, char **argv, char **envp, pid_t *pid,
                   const struct spawn_fds *fds); /* 0 or errno */
int spawn_shell(const char *src, pid_t *pid, const struct spawn_fds *fds);
int wait_pid(pid_t pid); /* exit status, 128+sig when killed */
int status_of(int wstatus);
void job_add(pid_t pid);
int job_wait(pid_t pid, int *status); /* 0 ok, -1 unknown pid, -2 interrupted */
int job_wait_all(void);               /* -2 when interrupted */
void jobs_reap(void);
void subshell_state_apply(const char *state);

extern volatile int pending_signals;
extern volatile int last_signal; /* the last trapped signal that arrived */
extern char *traps[65];
void trap_set(int sig, const char *action);
void traps_run(void);
void traps_reset_for_child(void);
int sig_number(const char *name);
const char *sig_name(int sig);

/* --- builtins.c --- */
typedef int (*builtin_fn)(int argc, char **argv);
struct builtin {
    const char *name;
    builtin_fn fn;
    int special; /* POSIX special builtin: assignments persist, errors fatal */
    int pure;    /* only writes output: may run in the shell inside a pipeline */
};
const struct builtin *builtin_find(const char *name);
int bi_test(int argc, char **argv);
int bi_printf(int argc, char **argv);
int bi_echo(int argc, char **argv);
int bi_read(int argc, char **argv);
int bi_getopts(int argc, char **argv);

#endif
