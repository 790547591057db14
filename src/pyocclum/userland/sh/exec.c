/*
 * sh: evaluating trees: lists, and-or, pipelines, compound commands and
 * simple commands (builtin, function or program); command substitution.
 *
 * No fork: a program is posix_spawn'ed with the shell's fds 0-9 as they are
 * at that moment (redirections are applied in the shell and undone after);
 * anything that must run in a separate shell (a subshell, a compound
 * pipeline element, a background list) is a child `sh --subshell STATE SRC`.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sh.h"

int exitstatus;
int evalskip, skipcount, loopnest, funcnest;
int opt_e, opt_x, opt_u, opt_f, opt_C, opt_a, opt_n, opt_v;
pid_t shell_pid;
pid_t last_bg;

/* --- xtrace --- */

static void xtrace_word(sbuf *b, const char *w) {
    int plain = *w != '\0';
    for (const char *q = w; *q; q++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+./:=,@%^", *q))
            plain = 0;
    if (plain) {
        sb_adds(b, w);
        return;
    }
    sb_addc(b, '\'');
    for (const char *q = w; *q; q++) {
        if (*q == '\'')
            sb_adds(b, "'\\''");
        else
            sb_addc(b, *q);
    }
    sb_addc(b, '\'');
}

void xtrace_words(char **assigns, int nassigns, char **argv, int argc) {
    sbuf b = {0};
    const char *ps4 = var_get("PS4");
    sb_adds(&b, ps4 ? ps4 : "+ ");
    int first = 1;
    for (int i = 0; i < nassigns; i++) {
        if (!first)
            sb_addc(&b, ' ');
        first = 0;
        const char *eq = strchr(assigns[i], '=');
        sb_addn(&b, assigns[i], (size_t)(eq - assigns[i]) + 1);
        xtrace_word(&b, eq + 1);
    }
    for (int i = 0; i < argc; i++) {
        if (!first)
            sb_addc(&b, ' ');
        first = 0;
        xtrace_word(&b, argv[i]);
    }
    sb_addc(&b, '\n');
    write_all(2, b.s, b.len);
    sb_free(&b);
}

/* --- simple commands --- */

static void errexit_check(int status, int flags) {
    if (status != 0 && opt_e && !(flags & EV_TESTED) && !evalskip)
        sh_exit(status);
}

/* The expanded assignments of a simple command ("name=value", malloc'd). */
static char **expand_assigns(struct node *n) {
    char **v = xmalloc((size_t)(n->nassigns + 1) * sizeof(char *));
    for (int i = 0; i < n->nassigns; i++) {
        const char *eq = strchr(n->assigns[i], '=');
        char *val = expand_assign_value(eq + 1);
        size_t ln = (size_t)(eq - n->assigns[i]);
        char *s = xmalloc(ln + strlen(val) + 2);
        memcpy(s, n->assigns[i], ln + 1);
        strcpy(s + ln + 1, val);
        free(val);
        v[i] = s;
    }
    v[n->nassigns] = NULL;
    return v;
}

static void free_strv(char **v, int n) {
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

struct tempvar {
    char *name;
    char *old;
    int existed, flags;
};

/* Assignments in front of a regular builtin or a function last for it only. */
static struct tempvar *temp_assign(char **assigns, int n) {
    if (n == 0)
        return NULL;
    struct tempvar *t = xmalloc((size_t)n * sizeof *t);
    for (int i = 0; i < n; i++) {
        const char *eq = strchr(assigns[i], '=');
        t[i].name = xstrndup(assigns[i], (size_t)(eq - assigns[i]));
        struct var *v = var_find(t[i].name);
        t[i].existed = v && !(v->flags & V_UNSET);
        t[i].old = t[i].existed ? xstrdup(v->value) : NULL;
        t[i].flags = v ? v->flags : 0;
        var_set(t[i].name, eq + 1, V_EXPORT);
    }
    return t;
}

static void temp_restore(struct tempvar *t, int n) {
    if (!t)
        return;
    for (int i = n - 1; i >= 0; i--) {
        struct var *v = var_find(t[i].name);
        if (v && !(v->flags & V_READONLY)) {
            if (t[i].existed) {
                var_set(t[i].name, t[i].old, 0);
                v->flags = t[i].flags;
            } else {
                var_unset(t[i].name);
                v->flags = t[i].flags | V_UNSET;
            }
            var_export(t[i].name); /* refreshes the environment */
            v->flags = t[i].existed ? t[i].flags : (t[i].flags | V_UNSET);
        }
        free(t[i].name);
        free(t[i].old);
    }
    free(t);
}

static int run_function(struct func *f, struct strlist *args, int flags) {
    struct params saved = pos;
    pos.v = NULL;
    pos.n = 0;
    params_set(&pos, args->v + 1, args->n - 1);
    funcnest++;
    local_push();
    int saved_loops = loopnest;
    loopnest = 0; /* break/continue do not reach the caller's loops (dash) */
    int st = eval_tree(f->body, flags & EV_TESTED);
    loopnest = saved_loops;
    if (evalskip == SKIP_RETURN) {
        evalskip = 0;
        st = exitstatus;
    }
    local_pop();
    funcnest--;
    params_free(&pos);
    pos = saved;
    return st;
}

static int spawn_error(const char *name, int err) {
    if (err == ENOENT) {
        sh_warn("%s: not found", name);
        return 127;
    }
    sh_warn("%s: %s", name, strerror(err));
    return 126;
}

int run_command(struct strlist *args, char **assigns, int nassigns, struct redir *redirs,
                int flags, int nofunc) {
    const char *name = args->v[0];
    const struct builtin *bi = builtin_find(name);
    struct func *fn = (!bi || !bi->special) && !nofunc ? func_find(name) : NULL;
    struct redir_save save = {0};
    int st;
    if (bi && bi->special && !fn) {
        for (int i = 0; i < nassigns; i++)
            if (var_set_assign(assigns[i], 0) < 0)
                sh_exit(2);
        /* `exec` without a command: the redirections stay */
        int keep = args->n == 1 && strcmp(name, "exec") == 0;
        if (redirs_apply(redirs, keep ? NULL : &save) < 0) {
            redirs_restore(&save);
            if (!interactive)
                sh_exit(2); /* a special builtin's error ends the shell (dash) */
            return 2;
        }
        st = bi->fn(args->n, args->v);
        out_flush();
        redirs_restore(&save);
        return st;
    }
    if (fn || bi) {
        if (redirs_apply(redirs, &save) < 0) {
            redirs_restore(&save);
            return 2;
        }
        struct tempvar *t = temp_assign(assigns, nassigns);
        if (fn) {
            st = run_function(fn, args, flags);
        } else {
            st = bi->fn(args->n, args->v);
            out_flush();
        }
        temp_restore(t, nassigns);
        redirs_restore(&save);
        return st;
    }
    char *path = path_lookup(name);
    if (!path) {
        if (redirs_apply(redirs, &save) == 0)
            sh_warn("%s: not found", name);
        redirs_restore(&save);
        return 127;
    }
    if (redirs_apply(redirs, &save) < 0) {
        redirs_restore(&save);
        free(path);
        return 2;
    }
    char **envp = env_build(assigns, nassigns);
    pid_t pid;
    int err = spawn_external(path, args->v, envp, &pid, NULL);
    if (nassigns)
        free(envp);
    redirs_restore(&save);
    free(path);
    if (err)
        return spawn_error(name, err);
    return wait_pid(pid);
}

static int eval_simple(struct node *n, int flags) {
    struct strlist args = {0};
    cmdsubst_ran = 0;
    for (int i = 0; i < n->nwords; i++)
        expand_fields(n->words[i], &args);
    int st;
    if (args.n == 0) {
        /* assignments only: each one sees the ones before it */
        for (int i = 0; i < n->nassigns; i++) {
            const char *eq = strchr(n->assigns[i], '=');
            char *name = xstrndup(n->assigns[i], (size_t)(eq - n->assigns[i]));
            char *val = expand_assign_value(eq + 1);
            if (opt_x) {
                char *a = xmalloc(strlen(name) + strlen(val) + 2);
                sprintf(a, "%s=%s", name, val);
                xtrace_words(&a, 1, NULL, 0);
                free(a);
            }
            if (var_set(name, val, 0) < 0)
                sh_exit(2);
            free(name);
            free(val);
        }
        st = cmdsubst_ran ? cmdsubst_status : 0;
        if (n->redirs) {
            struct redir_save save = {0};
            if (redirs_apply(n->redirs, &save) < 0)
                st = 2;
            redirs_restore(&save);
        }
    } else {
        char **assigns = expand_assigns(n);
        if (opt_x)
            xtrace_words(assigns, n->nassigns, args.v, args.n);
        st = run_command(&args, assigns, n->nassigns, n->redirs, flags, 0);
        free_strv(assigns, n->nassigns);
    }
    sl_free(&args);
    return st;
}

/* --- pipelines and children --- */

/* Spawns a simple command without waiting: a program directly, anything else
 * (builtin, function, assignments only) as a child shell. With its own
 * redirections, fds are set up in the shell (the pipe first, then those). */
static int spawn_simple(struct node *n, pid_t *pid, const struct spawn_fds *fds) {
    struct strlist args = {0};
    for (int i = 0; i < n->nwords; i++)
        expand_fields(n->words[i], &args);
    int st = -1;
    if (args.n > 0 && !builtin_find(args.v[0]) && !func_find(args.v[0])) {
        char *path = path_lookup(args.v[0]);
        if (!path) {
            /* the message goes where the command's stderr would */
            struct redir_save save = {0};
            if (redirs_apply(n->redirs, &save) == 0)
                sh_warn("%s: not found", args.v[0]);
            redirs_restore(&save);
            st = 127;
        } else {
            char **assigns = expand_assigns(n);
            if (opt_x)
                xtrace_words(assigns, n->nassigns, args.v, args.n);
            struct redir_save save = {0};
            if (n->redirs && fds) {
                if (fds->null_in) {
                    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
                    move_fd(&save, nul, 0);
                    if (nul >= 0)
                        close(nul);
                }
                move_fd(&save, fds->in, 0);
                move_fd(&save, fds->out, 1);
                fds = NULL;
            }
            if (redirs_apply(n->redirs, &save) < 0) {
                st = 2;
            } else {
                char **envp = env_build(assigns, n->nassigns);
                int err = spawn_external(path, args.v, envp, pid, fds);
                if (n->nassigns)
                    free(envp);
                st = err ? spawn_error(args.v[0], err) : 0;
            }
            redirs_restore(&save);
            free_strv(assigns, n->nassigns);
            free(path);
        }
        sl_free(&args);
        return st;
    }
    sl_free(&args);
    char *src = child_src(n);
    int rc = spawn_shell(src, pid, fds);
    free(src);
    return rc ? 126 : 0;
}

/* Can this word be expanded in the shell for a command that POSIX runs in a
 * subshell? Not if expanding it may fail or assign (${x?} ${x=} $((x=1)),
 * set -u): that must happen in the child, as with fork. */
static int word_safe(const char *w) {
    if (opt_u)
        return 0;
    for (const char *p = w; *p; p++) {
        if (p[0] == '$' && p[1] == '{') {
            for (const char *q = p + 2; *q && *q != '}'; q++)
                if (*q == '?' || *q == '=')
                    return 0;
        } else if (p[0] == '$' && p[1] == '(' && p[2] == '(') {
            for (const char *q = p + 3; *q; q++) {
                if (q[0] == ')' && q[1] == ')')
                    break;
                if (*q == '=' && !strchr("=!<>", q[1]) && !strchr("=!<>", q[-1]))
                    return 0;
            }
        }
    }
    return 1;
}

static int node_safe(struct node *n) {
    for (int i = 0; i < n->nwords; i++)
        if (!word_safe(n->words[i]))
            return 0;
    for (int i = 0; i < n->nassigns; i++)
        if (!word_safe(n->assigns[i]))
            return 0;
    for (struct redir *r = n->redirs; r; r = r->next)
        if (!word_safe(r->word) || (r->here && !r->here_lit && !word_safe(r->here)))
            return 0;
    return 1;
}

/* Spawns any command as a child; 0 with *pid, or an exit status (no child). */
static int spawn_node(struct node *n, pid_t *pid, const struct spawn_fds *fds) {
    if (n->type == N_SIMPLE && node_safe(n))
        return spawn_simple(n, pid, fds);
    struct node *body = n;
    if (n->type == N_SUBSHELL && !n->redirs && n->a && n->a->src)
        body = n->a;
    if (!body->src)
        return 2;
    char *src = child_src(body);
    int rc = spawn_shell(src, pid, fds);
    free(src);
    return rc ? 126 : 0;
}

static const char *plain_name(const char *raw) {
    for (const char *q = raw; *q; q++)
        if (strchr("'\"\\$`*?[~", *q))
            return NULL;
    return raw;
}

/* May this pipeline element run in the shell itself? Only builtins that do
 * nothing but write output, so the pipeline behaves as if in a subshell. */
static int runs_inside(struct node *n) {
    if (n->type != N_SIMPLE || n->nwords == 0 || n->nassigns)
        return 0;
    const char *name = plain_name(n->words[0]);
    if (!name || func_find(name))
        return 0;
    const struct builtin *bi = builtin_find(name);
    return bi && bi->pure;
}

static int eval_pipe(struct node *n, int flags) {
    int k = n->nkids;
    int *in = xmalloc((size_t)k * sizeof(int)), *out = xmalloc((size_t)k * sizeof(int));
    pid_t *pids = xmalloc((size_t)k * sizeof(pid_t));
    int *early = xmalloc((size_t)k * sizeof(int));
    int prev = -1;
    for (int i = 0; i < k; i++) {
        int p[2] = {-1, -1};
        if (i < k - 1 && pipe2(p, O_CLOEXEC) < 0) {
            sh_warn("pipe: %s", strerror(errno));
            p[0] = p[1] = -1;
        }
        in[i] = prev;
        out[i] = p[1];
        prev = p[0];
        pids[i] = -1;
        early[i] = 0;
    }
    int inside = -1;
    for (int i = 0; i < k && inside < 0; i++)
        if (runs_inside(n->kids[i]))
            inside = i;
    for (int i = 0; i < k; i++) {
        if (i == inside)
            continue;
        struct spawn_fds f = {in[i], out[i], 0};
        child_tested = (flags & EV_TESTED) != 0;
        early[i] = spawn_node(n->kids[i], &pids[i], &f);
        child_tested = 0;
        if (in[i] >= 0)
            close(in[i]);
        if (out[i] >= 0)
            close(out[i]);
    }
    int st = 0;
    if (inside >= 0) {
        struct redir_save save = {0};
        move_fd(&save, in[inside], 0);
        move_fd(&save, out[inside], 1);
        struct sigaction ign = {0}, old;
        ign.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &ign, &old);
        early[inside] = eval_simple(n->kids[inside], flags | EV_TESTED);
        sigaction(SIGPIPE, &old, NULL);
        redirs_restore(&save);
        if (in[inside] >= 0)
            close(in[inside]);
        if (out[inside] >= 0)
            close(out[inside]);
    }
    for (int i = 0; i < k; i++) {
        int s = pids[i] > 0 && (i != inside) && early[i] == 0 ? wait_pid(pids[i]) : early[i];
        if (i == k - 1)
            st = s;
    }
    free(in);
    free(out);
    free(pids);
    free(early);
    return st;
}

int read_all(int fd, sbuf *b) {
    char buf[4096];
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -1 : 0;
        sb_addn(b, buf, (size_t)r);
    }
}

/* $(a | b | c) of simple commands, without a child shell: the elements are
 * spawned from here and their output read until EOF before waiting (so
 * nothing blocks on a full pipe). A first element that is a pure builtin
 * runs here first, into memory; its output is written into the first pipe
 * only if it fits without a reader (PIPE_BUF): else 0, use a child shell. */
static int capture_pipe(struct node *n, sbuf *result, int *status) {
    int k = n->nkids;
    for (int i = 0; i < k; i++)
        if (n->kids[i]->type != N_SIMPLE || !node_safe(n->kids[i]) || !n->kids[i]->nwords)
            return 0;
    char *pre = NULL;
    size_t prelen = 0;
    int first = 0;
    if (runs_inside(n->kids[0]) && !n->kids[0]->redirs) {
        struct strlist args = {0};
        for (int i = 0; i < n->kids[0]->nwords; i++)
            expand_fields(n->kids[0]->words[i], &args);
        const struct builtin *bi = args.n ? builtin_find(args.v[0]) : NULL;
        if (!bi || !bi->pure) {
            sl_free(&args);
            return 0;
        }
        out_flush();
        out1_capture = 1;
        bi->fn(args.n, args.v);
        out1_capture = 0;
        sl_free(&args);
        prelen = out1.len;
        pre = xstrndup(out1.s ? out1.s : "", prelen);
        out1.len = 0;
        if (prelen > 4096) {
            free(pre);
            return 0;
        }
        first = 1;
    }
    int cap[2];
    if (pipe2(cap, O_CLOEXEC) < 0) {
        free(pre);
        return 0;
    }
    int *in = xmalloc((size_t)k * sizeof(int)), *out = xmalloc((size_t)k * sizeof(int));
    pid_t *pids = xmalloc((size_t)k * sizeof(pid_t));
    int *early = xmalloc((size_t)k * sizeof(int));
    int prev = -1;
    for (int i = 0; i < k; i++) {
        int p[2] = {-1, -1};
        if (i < k - 1 && pipe2(p, O_CLOEXEC) < 0)
            p[0] = p[1] = -1;
        in[i] = prev;
        out[i] = i < k - 1 ? p[1] : cap[1];
        prev = p[0];
        pids[i] = -1;
        early[i] = 0;
    }
    for (int i = first; i < k; i++) {
        struct spawn_fds f = {in[i], out[i], 0};
        early[i] = spawn_simple(n->kids[i], &pids[i], &f);
        if (in[i] >= 0)
            close(in[i]);
        close(out[i]);
    }
    if (first) {
        struct sigaction ign = {0}, old;
        ign.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &ign, &old);
        write_all(out[0], pre, prelen); /* fits: cannot block */
        sigaction(SIGPIPE, &old, NULL);
        close(out[0]);
        free(pre);
    }
    read_all(cap[0], result);
    close(cap[0]);
    for (int i = first; i < k; i++) {
        int st = pids[i] > 0 && early[i] == 0 ? wait_pid(pids[i]) : early[i];
        if (i == k - 1)
            *status = st;
    }
    free(in);
    free(out);
    free(pids);
    free(early);
    return 1;
}

/* $(...): the fast path runs a lone program directly (or a pure builtin in
 * the shell), or a pipeline of simple commands (capture_pipe); anything
 * else runs in a child shell. */
char *capture_output(const char *text, int *status) {
    size_t pos = 0, len = strlen(text);
    int pst;
    struct node *tree = parse_command_line(text, len, &pos, &pst, 1);
    if (!tree && pst == 0) {
        *status = 0; /* $() */
        return xstrdup("");
    }
    int simple = tree && pst == 0 && tree->nkids == 1 &&
                 ((tree->kids[0]->type == N_SIMPLE && node_safe(tree->kids[0])) ||
                  tree->kids[0]->type == N_PIPE);
    if (simple) {
        size_t p2 = pos;
        int st2;
        struct node *more = parse_command_line(text, len, &p2, &st2, 1);
        if (more || st2 != 0)
            simple = 0;
        tree_free(more);
    }
    if (!simple && pst == 2) {
        tree_free(tree);
        sh_exit(2);
    }
    sbuf result = {0};
    int p[2];
    if (simple && tree->kids[0]->type == N_PIPE) {
        if (capture_pipe(tree->kids[0], &result, status)) {
            tree_free(tree);
            return sb_take(&result);
        }
        simple = 0;
    }
    if (simple) {
        struct node *n = tree->kids[0];
        struct strlist args = {0};
        for (int i = 0; i < n->nwords; i++)
            expand_fields(n->words[i], &args);
        const struct builtin *bi = args.n ? builtin_find(args.v[0]) : NULL;
        if (args.n && bi && bi->pure && !func_find(args.v[0]) && !n->redirs && !n->nassigns) {
            out_flush();
            out1_capture = 1;
            *status = bi->fn(args.n, args.v);
            out1_capture = 0;
            char *s = xstrndup(out1.s ? out1.s : "", out1.len);
            out1.len = 0;
            sl_free(&args);
            tree_free(tree);
            return s;
        }
        if (args.n && !bi && !func_find(args.v[0])) {
            if (pipe2(p, O_CLOEXEC) < 0)
                sh_fatal(2, "pipe: %s", strerror(errno));
            pid_t pid;
            struct spawn_fds f = {-1, p[1], 0};
            int st = spawn_simple(n, &pid, &f);
            close(p[1]);
            read_all(p[0], &result);
            close(p[0]);
            *status = st == 0 ? wait_pid(pid) : st;
            sl_free(&args);
            tree_free(tree);
            return sb_take(&result);
        }
        sl_free(&args);
    }
    tree_free(tree);
    if (pipe2(p, O_CLOEXEC) < 0)
        sh_fatal(2, "pipe: %s", strerror(errno));
    pid_t pid;
    struct spawn_fds f = {-1, p[1], 0};
    int err = spawn_shell(text, &pid, &f);
    close(p[1]);
    if (!err)
        read_all(p[0], &result);
    close(p[0]);
    *status = err ? 126 : wait_pid(pid);
    return sb_take(&result);
}

/* --- compound commands --- */

/* After break/continue/return in a loop body: 1 to leave the loop. */
static int loop_leave(void) {
    if (evalskip == SKIP_BREAK || evalskip == SKIP_CONT) {
        if (--skipcount <= 0) {
            int was = evalskip;
            evalskip = 0;
            return was == SKIP_BREAK;
        }
    }
    return 1;
}

static int eval_loop(struct node *n, int flags) {
    int st = 0;
    loopnest++;
    for (;;) {
        int c = eval_tree(n->a, EV_TESTED);
        if (evalskip) {
            if (loop_leave())
                break;
            continue;
        }
        if ((n->type == N_WHILE) != (c == 0))
            break;
        st = eval_tree(n->b, flags);
        if (evalskip && loop_leave())
            break;
    }
    loopnest--;
    return st;
}

static int eval_for(struct node *n, int flags) {
    struct strlist items = {0};
    if (n->for_has_in) {
        for (int i = 0; i < n->nwords; i++)
            expand_fields(n->words[i], &items);
    } else {
        for (int i = 0; i < pos.n; i++)
            sl_add(&items, xstrdup(pos.v[i]));
    }
    int st = 0;
    loopnest++;
    for (int i = 0; i < items.n; i++) {
        if (var_set(n->name, items.v[i], 0) < 0)
            sh_exit(2);
        st = eval_tree(n->b, flags);
        if (evalskip && loop_leave())
            break;
    }
    loopnest--;
    sl_free(&items);
    return st;
}

static int eval_case(struct node *n, int flags) {
    char *word = expand_str(n->name);
    int st = 0;
    for (struct caseitem *ci = n->items; ci; ci = ci->next) {
        for (int i = 0; i < ci->npats; i++) {
            char *pat = expand_pattern(ci->pats[i]);
            int m = fnmatch(pat, word, 0) == 0;
            free(pat);
            if (m) {
                st = ci->body ? eval_tree(ci->body, flags) : 0;
                free(word);
                return st;
            }
        }
    }
    free(word);
    return st;
}

static int eval_with_redirs(struct node *n, int flags) {
    struct redir_save save = {0};
    if (redirs_apply(n->redirs, &save) < 0) {
        redirs_restore(&save);
        return 2;
    }
    int st = 0;
    switch (n->type) {
    case N_GROUP: st = eval_tree(n->a, flags); break;
    case N_IF: {
        int c = eval_tree(n->a, EV_TESTED);
        if (evalskip)
            break;
        if (c == 0)
            st = eval_tree(n->b, flags);
        else if (n->c)
            st = eval_tree(n->c, flags);
        break;
    }
    case N_WHILE:
    case N_UNTIL: st = eval_loop(n, flags); break;
    case N_FOR: st = eval_for(n, flags); break;
    case N_CASE: st = eval_case(n, flags); break;
    case N_SUBSHELL: {
        pid_t pid;
        child_tested = (flags & EV_TESTED) != 0;
        int e = spawn_node(n->a, &pid, NULL);
        child_tested = 0;
        st = e ? e : wait_pid(pid);
        break;
    }
    }
    redirs_restore(&save);
    return st;
}

int eval_tree(struct node *n, int flags) {
    if (!n || evalskip)
        return exitstatus;
    int st = 0;
    switch (n->type) {
    case N_LIST:
        st = exitstatus;
        for (int i = 0; i < n->nkids && !evalskip; i++) {
            st = eval_tree(n->kids[i], flags);
            if (pending_signals)
                traps_run();
        }
        return st;
    case N_SIMPLE:
        st = eval_simple(n, flags);
        break;
    case N_PIPE:
        st = eval_pipe(n, flags);
        break;
    case N_AND:
    case N_OR:
        st = eval_tree(n->a, flags | EV_TESTED);
        if (!evalskip && ((st == 0) == (n->type == N_AND)))
            st = eval_tree(n->b, flags);
        exitstatus = st;
        return st;
    case N_NOT:
        st = eval_tree(n->a, flags | EV_TESTED);
        if (!evalskip) /* break/continue/return keep their status (dash) */
            st = !st;
        exitstatus = st;
        return st;
    case N_BG: {
        pid_t pid;
        jobs_reap(); /* no pile of finished children */
        struct spawn_fds bg = {-1, -1, 1};
        int e = spawn_node(n->a, &pid, &bg);
        if (e == 0) {
            last_bg = pid;
            job_add(pid);
        }
        exitstatus = e;
        return e;
    }
    case N_FUNCDEF: {
        char *src = child_src(n);
        func_define(n->name, n->a, src);
        free(src);
        tree_pinned = 1;
        exitstatus = 0;
        return 0;
    }
    case N_SUBSHELL:
        st = eval_with_redirs(n, flags);
        break;
    default:
        exitstatus = st = eval_with_redirs(n, flags);
        return st;
    }
    exitstatus = st;
    errexit_check(st, flags);
    return st;
}
