/*
 * sh: finding and spawning programs (text files without #! included), child shells and
 * the state they inherit, waiting, background jobs, traps and signal names.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sh.h"

extern const char *shell_path;

/* --- PATH lookup, remembered until PATH changes (as dash's hash) --- */
struct hashed {
    char *name, *path;
    struct hashed *next;
};
static struct hashed *hashed;

void path_hash_clear(void) {
    while (hashed) {
        struct hashed *h = hashed;
        hashed = h->next;
        free(h->name);
        free(h->path);
        free(h);
    }
}

char *path_lookup(const char *name) {
    if (strchr(name, '/'))
        return xstrdup(name);
    for (struct hashed *h = hashed; h; h = h->next)
        if (strcmp(h->name, name) == 0)
            return xstrdup(h->path);
    const char *path = var_get("PATH");
    if (!path)
        path = "/bin:/usr/bin";
    size_t nl = strlen(name);
    for (const char *p = path;;) {
        const char *e = strchrnul(p, ':');
        size_t dl = (size_t)(e - p);
        char *full = xmalloc(dl + nl + 2);
        if (dl) {
            memcpy(full, p, dl);
            full[dl] = '/';
            memcpy(full + dl + 1, name, nl + 1);
        } else {
            memcpy(full, name, nl + 1);
        }
        struct stat st;
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
            struct hashed *h = xmalloc(sizeof *h);
            h->name = xstrdup(name);
            h->path = xstrdup(full);
            h->next = hashed;
            hashed = h;
            return full;
        }
        free(full);
        if (!*e)
            return NULL;
        p = e + 1;
    }
}

/* --- spawning --- */

static void fd_actions(posix_spawn_file_actions_t *fa, const struct spawn_fds *fds) {
    posix_spawn_file_actions_init(fa);
    if (!fds)
        return;
    if (fds->out == 0) /* would be overwritten by the stdin action */
        posix_spawn_file_actions_adddup2(fa, fds->out, 1);
    if (fds->null_in && fds->in < 0)
        posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    if (fds->in >= 0 && fds->in != 0)
        posix_spawn_file_actions_adddup2(fa, fds->in, 0);
    if (fds->out > 0 && fds->out != 1)
        posix_spawn_file_actions_adddup2(fa, fds->out, 1);
}

static int spawn_with(const char *path, char **argv, char **envp, pid_t *pid,
                      const struct spawn_fds *fds) {
    posix_spawn_file_actions_t fa;
    fd_actions(&fa, fds);
    int rc = posix_spawn(pid, path, &fa, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

int spawn_external(const char *path, char **argv, char **envp, pid_t *pid,
                   const struct spawn_fds *fds) {
    int rc = spawn_with(path, argv, envp, pid, fds);
    if (rc != ENOEXEC)
        return rc;
    /* Neither a module nor a #! script (the kernel runs those through their
     * interpreter): a text file runs in a shell, as dash does. */
    char head[256];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ENOEXEC;
    ssize_t n = read(fd, head, sizeof head);
    close(fd);
    if (n < 0)
        n = 0;
    char *nl = memchr(head, '\n', (size_t)n);
    if (memchr(head, '\0', nl ? (size_t)(nl - head) : (size_t)n))
        return ENOEXEC; /* binary */
    int argc = 0;
    while (argv[argc])
        argc++;
    char **nargv = xmalloc((size_t)(argc + 2) * sizeof(char *));
    nargv[0] = (char *)shell_path;
    nargv[1] = (char *)path;
    for (int i = 1; i < argc; i++)
        nargv[i + 1] = argv[i];
    nargv[argc + 1] = NULL;
    rc = spawn_with(shell_path, nargv, envp, pid, fds);
    free(nargv);
    return rc;
}

/* The state a child shell gets: records "<type><length>:<data>". */
static void rec(sbuf *b, char type, const char *s) {
    sb_printf(b, "%c%zu:", type, strlen(s));
    sb_adds(b, s);
}

static char *state_encode(void) {
    sbuf b = {0};
    int n;
    struct var **all = vars_all(&n);
    for (int i = 0; i < n; i++) {
        struct var *v = all[i];
        if ((v->flags & V_UNSET) || (v->flags & V_EXPORT))
            continue; /* exported ones arrive through the environment */
        sbuf a = {0};
        sb_adds(&a, v->name);
        sb_addc(&a, '=');
        sb_adds(&a, v->value);
        rec(&b, 'v', a.s);
        sb_free(&a);
    }
    for (int i = 0; i < n; i++)
        if (all[i]->flags & V_READONLY)
            rec(&b, 'r', all[i]->name);
    free(all);
    for (struct func *f = funcs_all(); f; f = f->next)
        rec(&b, 'f', f->src);
    rec(&b, '0', arg0);
    for (int i = 0; i < pos.n; i++)
        rec(&b, 'a', pos.v[i]);
    char opts[16], *o = opts;
    if (opt_e) *o++ = 'e';
    if (opt_x) *o++ = 'x';
    if (opt_u) *o++ = 'u';
    if (opt_f) *o++ = 'f';
    if (opt_C) *o++ = 'C';
    if (opt_a) *o++ = 'a';
    *o = '\0';
    rec(&b, 'o', opts);
    if (child_tested)
        rec(&b, 'T', ""); /* set -e is off in there, as in dash's forked child */
    char num[64];
    /* loop and function depth: break and return end a subshell as with fork */
    snprintf(num, sizeof num, "%d %d %d %d %d", exitstatus, (int)shell_pid, (int)last_bg,
             loopnest, funcnest);
    rec(&b, 's', num);
    return sb_take(&b);
}

void subshell_state_apply(const char *s) {
    int npos = 0, cap = 0;
    char **posv = NULL;
    while (*s) {
        char type = *s++;
        char *end;
        size_t len = strtoul(s, &end, 10);
        if (*end != ':')
            sh_fatal(2, "bad subshell state");
        char *data = xstrndup(end + 1, len);
        s = end + 1 + len;
        switch (type) {
        case 'v': var_set_assign(data, 0); break;
        case 'r': {
            struct var *v = var_find(data);
            if (!v) {
                var_set(data, "", 0);
                var_unset(data);
                v = var_find(data);
            }
            v->flags |= V_READONLY;
            break;
        }
        case 'f': eval_string(data, 0); break;
        case '0': free(arg0); arg0 = xstrdup(data); break;
        case 'a':
            if (npos + 1 >= cap) {
                cap = cap ? 2 * cap : 8;
                posv = xrealloc(posv, (size_t)cap * sizeof(char *));
            }
            posv[npos++] = xstrdup(data);
            break;
        case 'o':
            for (char *c = data; *c; c++) {
                if (*c == 'e') opt_e = 1;
                if (*c == 'x') opt_x = 1;
                if (*c == 'u') opt_u = 1;
                if (*c == 'f') opt_f = 1;
                if (*c == 'C') opt_C = 1;
                if (*c == 'a') opt_a = 1;
            }
            break;
        case 'T': start_flags |= EV_TESTED; break;
        case 's': {
            int st = 0, sp = 0, lb = 0, ln = 0, fn = 0;
            sscanf(data, "%d %d %d %d %d", &st, &sp, &lb, &ln, &fn);
            exitstatus = st;
            shell_pid = sp;
            last_bg = lb;
            loopnest = ln;
            funcnest = fn;
            break;
        }
        }
        free(data);
    }
    params_free(&pos);
    pos.v = posv ? posv : xmalloc(sizeof(char *));
    pos.n = npos;
    pos.v[npos] = NULL;
}

/* Large states (big variables) go through a pipe on STATE_FD instead of
 * argv, which the kernel limits to 128 KiB a string. */
#define STATE_FD 19
#define STATE_ARGV_MAX 60000

int spawn_shell(const char *src, pid_t *pid, const struct spawn_fds *fds) {
    char *state = state_encode();
    size_t slen = strlen(state);
    int p[2] = {-1, -1};
    char *argv[] = {(char *)"sh", (char *)"--subshell", state, (char *)src, NULL};
    posix_spawn_file_actions_t fa;
    fd_actions(&fa, fds);
    if (slen > STATE_ARGV_MAX && pipe2(p, O_CLOEXEC) == 0) {
        argv[1] = (char *)"--subshell-fd";
        argv[2] = (char *)"19";
        posix_spawn_file_actions_adddup2(&fa, p[0], STATE_FD);
    }
    int rc = posix_spawn(pid, shell_path, &fa, NULL, argv, env_build(NULL, 0));
    posix_spawn_file_actions_destroy(&fa);
    if (p[0] >= 0) {
        close(p[0]);
        if (rc == 0) {
            /* the child reads it first thing: this cannot block for long */
            struct sigaction ign = {0}, old;
            ign.sa_handler = SIG_IGN;
            sigaction(SIGPIPE, &ign, &old);
            write_all(p[1], state, slen);
            sigaction(SIGPIPE, &old, NULL);
        }
        close(p[1]);
    }
    free(state);
    if (rc)
        sh_warn("cannot start a subshell (%s): %s", shell_path, strerror(rc));
    return rc;
}

/* --- waiting and jobs --- */

int status_of(int w) {
    if (WIFEXITED(w))
        return WEXITSTATUS(w);
    if (WIFSIGNALED(w))
        return 128 + WTERMSIG(w);
    return 1;
}

/* As dash: a child killed by a signal (but SIGINT and SIGPIPE) is reported. */
static int status_reported(int w) {
    if (WIFSIGNALED(w) && WTERMSIG(w) != SIGINT && WTERMSIG(w) != SIGPIPE) {
        const char *m = strsignal(WTERMSIG(w));
        write_all(2, m, strlen(m));
        write_all(2, "\n", 1);
    }
    return status_of(w);
}

int wait_pid(pid_t pid) {
    int w;
    for (;;) {
        pid_t r = waitpid(pid, &w, 0);
        if (r == pid)
            return status_reported(w);
        if (r < 0 && errno != EINTR)
            return 127;
    }
}

struct job {
    pid_t pid;
    int status, done;
};
static struct job *jobs;
static int njobs, capjobs;

void job_add(pid_t pid) {
    if (njobs == capjobs) {
        capjobs = capjobs ? 2 * capjobs : 8;
        jobs = xrealloc(jobs, (size_t)capjobs * sizeof *jobs);
    }
    jobs[njobs].pid = pid;
    jobs[njobs].status = 0;
    jobs[njobs].done = 0;
    njobs++;
}

static void job_remove(int i) {
    jobs[i] = jobs[--njobs];
}

void jobs_reap(void) {
    for (int i = 0; i < njobs; i++) {
        int w;
        if (!jobs[i].done && waitpid(jobs[i].pid, &w, WNOHANG) == jobs[i].pid) {
            jobs[i].done = 1;
            jobs[i].status = status_reported(w);
        }
    }
}

int job_wait(pid_t pid, int *status) {
    for (int i = 0; i < njobs; i++) {
        if (jobs[i].pid != pid)
            continue;
        while (!jobs[i].done) {
            int w;
            pid_t r = waitpid(pid, &w, 0);
            if (r == pid) {
                jobs[i].done = 1;
                jobs[i].status = status_reported(w);
            } else if (r < 0 && errno == EINTR) {
                if (pending_signals)
                    return -2;
            } else {
                jobs[i].done = 1;
                jobs[i].status = 127;
            }
        }
        *status = jobs[i].status;
        job_remove(i);
        return 0;
    }
    return -1;
}

int job_wait_all(void) {
    while (njobs > 0) {
        int st;
        if (job_wait(jobs[0].pid, &st) == -2)
            return -2;
    }
    return 0;
}

/* --- traps --- */

volatile int pending_signals;
static volatile int pending[65];
char *traps[65];

volatile int last_signal;

static void on_signal(int sig) {
    if (sig > 0 && sig < 65) {
        pending[sig] = 1;
        pending_signals = 1;
        last_signal = sig;
    }
}

void trap_set(int sig, const char *action) {
    free(traps[sig]);
    traps[sig] = action ? xstrdup(action) : NULL;
    if (sig == 0)
        return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (!action)
        sa.sa_handler = SIG_DFL;
    else if (!*action)
        sa.sa_handler = SIG_IGN;
    else
        sa.sa_handler = on_signal; /* no SA_RESTART: `wait` returns at once */
    sigaction(sig, &sa, NULL);
}

void traps_run(void) {
    while (pending_signals) {
        pending_signals = 0;
        for (int sig = 1; sig < 65; sig++) {
            if (!pending[sig])
                continue;
            pending[sig] = 0;
            if (traps[sig] && *traps[sig]) {
                int saved = exitstatus;
                int skip = evalskip;
                evalskip = 0;
                char *action = xstrdup(traps[sig]);
                eval_string(action, 0);
                free(action);
                if (!evalskip)
                    evalskip = skip;
                exitstatus = saved;
            }
        }
    }
}

static const char *const signames[] = {
    "EXIT", "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1",
    "SEGV", "USR2", "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP",
    "TTIN", "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS"};

int sig_number(const char *name) {
    long n;
    if (parse_int(name, &n) == 0)
        return n >= 0 && n < 65 ? (int)n : -1;
    if (strncasecmp(name, "SIG", 3) == 0)
        name += 3;
    for (int i = 0; i < (int)(sizeof signames / sizeof *signames); i++)
        if (strcasecmp(name, signames[i]) == 0)
            return i;
    return -1;
}

const char *sig_name(int sig) {
    static char buf[16];
    if (sig >= 0 && sig < (int)(sizeof signames / sizeof *signames))
        return signames[sig];
    snprintf(buf, sizeof buf, "%d", sig);
    return buf;
}
