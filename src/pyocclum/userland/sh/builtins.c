/* sh: builtins (test and printf are in their own files). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sh.h"

extern const char *shell_path;
int set_options(int argc, char **argv, int *consumed);

static int bad_number(const char *cmd, const char *arg) {
    sh_warn("%s: Illegal number: %s", cmd, arg);
    return 2;
}

static int bi_true(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return 0;
}

static int bi_false(int argc, char **argv) {
    (void)argc;
    (void)argv;
    return 1;
}

/* dash's echo: -n only; backslash escapes always. */
int bi_echo(int argc, char **argv) {
    int i = 1, nl = 1;
    if (i < argc && strcmp(argv[i], "-n") == 0) {
        nl = 0;
        i++;
    }
    for (; i < argc; i++) {
        for (const char *p = argv[i]; *p; p++) {
            if (*p != '\\' || !p[1]) {
                outc(*p);
                continue;
            }
            p++;
            switch (*p) {
            case 'a': outc('\a'); break;
            case 'b': outc('\b'); break;
            case 'c': return 0;
            case 'e': outc('\033'); break;
            case 'f': outc('\f'); break;
            case 'n': outc('\n'); break;
            case 'r': outc('\r'); break;
            case 't': outc('\t'); break;
            case 'v': outc('\v'); break;
            case '\\': outc('\\'); break;
            case '0': {
                int v = 0;
                for (int k = 0; k < 3 && p[1] >= '0' && p[1] <= '7'; k++)
                    v = v * 8 + (*++p - '0');
                outc((char)v);
                break;
            }
            default:
                outc('\\');
                outc(*p);
            }
        }
        if (i + 1 < argc)
            outc(' ');
    }
    if (nl)
        outc('\n');
    return 0;
}

static int bi_pwd(int argc, char **argv) {
    (void)argc;
    (void)argv;
    char buf[PATH_MAX];
    if (!getcwd(buf, sizeof buf)) {
        sh_warn("pwd: %s", strerror(errno));
        return 2;
    }
    outs(buf);
    outc('\n');
    return 0;
}

static int bi_cd(int argc, char **argv) {
    int i = 1;
    while (i < argc && (strcmp(argv[i], "-L") == 0 || strcmp(argv[i], "-P") == 0))
        i++;
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    const char *dir = i < argc ? argv[i] : var_get("HOME");
    int print = 0;
    if (dir && strcmp(dir, "-") == 0) {
        dir = var_get("OLDPWD");
        print = 1;
    }
    if (!dir || !*dir) {
        if (!dir)
            sh_warn("cd: HOME not set");
        return dir ? 0 : 2;
    }
    char old[PATH_MAX];
    if (!getcwd(old, sizeof old))
        old[0] = '\0';
    if (chdir(dir) < 0) {
        sh_warn("cd: can't cd to %s", dir);
        return 2;
    }
    char now[PATH_MAX];
    if (getcwd(now, sizeof now)) {
        var_set("OLDPWD", old, 0);
        var_set("PWD", now, 0);
        if (print) {
            outs(now);
            outc('\n');
        }
    }
    return 0;
}

static int declare(int argc, char **argv, int flag, const char *prefix) {
    int i = 1;
    if (i < argc && strcmp(argv[i], "-p") == 0)
        i++;
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc) {
        vars_list(flag, prefix);
        return 0;
    }
    int st = 0;
    for (; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        char *name = eq ? xstrndup(argv[i], (size_t)(eq - argv[i])) : xstrdup(argv[i]);
        if (!is_name(name)) {
            sh_warn("%s: bad variable name", name);
            free(name);
            sh_exit(2);
        }
        if (eq && var_set(name, eq + 1, 0) < 0) {
            free(name);
            sh_exit(2);
        }
        if (flag == V_EXPORT) {
            var_export(name);
        } else {
            struct var *v = var_find(name);
            if (!v) {
                var_set(name, "", 0);
                var_unset(name);
                v = var_find(name);
            }
            v->flags |= V_READONLY;
        }
        free(name);
    }
    return st;
}

static int bi_export(int argc, char **argv) { return declare(argc, argv, V_EXPORT, "export "); }
static int bi_readonly(int argc, char **argv) {
    return declare(argc, argv, V_READONLY, "readonly ");
}

static int bi_unset(int argc, char **argv) {
    int funcs = 0, i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "-f") == 0)
            funcs = 1;
        else if (strcmp(argv[i], "-v") == 0)
            funcs = 0;
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
    }
    int st = 0;
    for (; i < argc; i++) {
        if (funcs)
            func_unset(argv[i]);
        else if (var_unset(argv[i]) < 0) {
            if (!interactive)
                sh_exit(2);
            st = 2;
        }
    }
    return st;
}

static int bi_exit(int argc, char **argv) {
    long n = exitstatus;
    if (argc > 1 && parse_int(argv[1], &n) < 0) {
        bad_number("exit", argv[1]);
        n = 2;
    }
    out_flush();
    sh_exit((int)(n & 255));
}

static int bi_set(int argc, char **argv) {
    if (argc == 1) {
        vars_list(0, "");
        return 0;
    }
    int consumed;
    if (set_options(argc, argv, &consumed) < 0) {
        if (!interactive)
            sh_exit(2); /* a special builtin's error (dash) */
        return 2;
    }
    if (consumed >= 0)
        params_set(&pos, argv + consumed, argc - consumed);
    return 0;
}

static int bi_shift(int argc, char **argv) {
    long n = 1;
    if (argc > 1 && parse_int(argv[1], &n) < 0)
        return bad_number("shift", argv[1]);
    if (n < 0 || n > pos.n) {
        sh_warn("shift: can't shift that many");
        sh_exit(2);
    }
    for (long i = 0; i < n; i++)
        free(pos.v[i]);
    memmove(pos.v, pos.v + n, (size_t)(pos.n - n + 1) * sizeof(char *));
    pos.n -= (int)n;
    return 0;
}

static char *join_args(int argc, char **argv, int from) {
    sbuf b = {0};
    for (int i = from; i < argc; i++) {
        if (i > from)
            sb_addc(&b, ' ');
        sb_adds(&b, argv[i]);
    }
    return sb_take(&b);
}

static int bi_eval(int argc, char **argv) {
    int i = 1;
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    char *s = join_args(argc, argv, i);
    exitstatus = 0;
    int st = eval_string(s, 0);
    free(s);
    return st;
}

static int bi_dot(int argc, char **argv) {
    if (argc < 2) {
        sh_warn("%s: filename argument required", argv[0]);
        return 2;
    }
    char *path = NULL;
    if (!strchr(argv[1], '/'))
        path = path_lookup(argv[1]);
    if (!path)
        path = xstrdup(argv[1]);
    struct params saved = pos;
    int newpos = argc > 2;
    if (newpos) {
        pos.v = NULL;
        pos.n = 0;
        params_set(&pos, argv + 2, argc - 2);
    }
    exitstatus = 0;
    int st = eval_file(path, 1);
    free(path);
    if (newpos) {
        params_free(&pos);
        pos = saved;
    }
    if (st < 0)
        sh_exit(2);
    if (evalskip == SKIP_RETURN) {
        evalskip = 0;
        st = exitstatus;
    }
    return st;
}

static int bi_exec(int argc, char **argv) {
    if (argc < 2)
        return 0;
    int i = 1;
    if (strcmp(argv[i], "--") == 0)
        i++;
    char *path = path_lookup(argv[i]);
    if (!path) {
        sh_warn("exec: %s: not found", argv[i]);
        sh_exit(127);
    }
    out_flush();
    char **envp = env_build(NULL, 0);
    char *a0 = argv[i];
    execve(path, argv + i, envp);
    int err = errno;
    if (err == ENOEXEC) {
        /* a script: run it in a child and leave with its status */
        pid_t pid;
        err = spawn_external(path, argv + i, envp, &pid, NULL);
        if (!err)
            sh_exit(wait_pid(pid));
    }
    sh_warn("exec: %s: %s", a0, err == ENOENT ? "not found" : strerror(err));
    sh_exit(err == ENOENT ? 127 : 126);
}

static int bi_trap(int argc, char **argv) {
    if (argc == 1) {
        for (int sig = 0; sig < 65; sig++) {
            if (!traps[sig])
                continue;
            outs("trap -- '");
            for (const char *p = traps[sig]; *p; p++) {
                if (*p == '\'')
                    outs("'\\''");
                else
                    outc(*p);
            }
            outf("' %s\n", sig_name(sig));
        }
        return 0;
    }
    int i = 1;
    if (strcmp(argv[i], "--") == 0)
        i++;
    if (i >= argc)
        return 0;
    const char *action = argv[i];
    long dummy;
    if (strcmp(action, "-") == 0) {
        action = NULL;
        i++;
    } else if (parse_int(action, &dummy) == 0) {
        action = NULL; /* "trap N ...": reset them all */
    } else {
        i++;
    }
    int st = 0;
    for (; i < argc; i++) {
        int sig = sig_number(argv[i]);
        if (sig < 0 || sig == SIGKILL || sig == SIGSTOP) {
            sh_warn("trap: %s: bad trap", argv[i]);
            st = 1;
            continue;
        }
        trap_set(sig, action);
    }
    return st;
}

static int bi_wait(int argc, char **argv) {
    if (argc == 1) {
        if (job_wait_all() == -2) {
            int sig = last_signal;
            traps_run();
            return 128 + sig; /* interrupted by a trapped signal */
        }
        return 0;
    }
    int st = 127;
    for (int i = 1; i < argc; i++) {
        long pid;
        if (parse_int(argv[i], &pid) < 0) {
            sh_warn("wait: Illegal number: %s", argv[i]);
            return 2;
        }
        int s;
        int rc = job_wait((pid_t)pid, &s);
        if (rc == -2) {
            int sig = last_signal;
            traps_run();
            return 128 + sig;
        }
        st = rc == 0 ? s : 127;
    }
    return st;
}

static int bi_kill(int argc, char **argv) {
    int sig = SIGTERM, i = 1;
    if (i < argc && strcmp(argv[i], "-l") == 0) {
        if (i + 1 < argc) {
            long n;
            if (parse_int(argv[i + 1], &n) < 0)
                return bad_number("kill", argv[i + 1]);
            outf("%s\n", sig_name((int)(n > 128 ? n - 128 : n)));
            return 0;
        }
        for (int s = 1; s < 32; s++)
            outf("%s\n", sig_name(s));
        return 0;
    }
    if (i < argc && (strcmp(argv[i], "-s") == 0 || strcmp(argv[i], "-n") == 0)) {
        if (i + 1 >= argc) {
            sh_warn("kill: option requires an argument");
            return 2;
        }
        sig = sig_number(argv[i + 1]);
        i += 2;
    } else if (i < argc && argv[i][0] == '-' && argv[i][1] && strcmp(argv[i], "--") != 0) {
        sig = sig_number(argv[i] + 1);
        i++;
    }
    if (i < argc && strcmp(argv[i], "--") == 0)
        i++;
    if (sig < 0) {
        sh_warn("kill: invalid signal number or name");
        return 2;
    }
    if (i >= argc) {
        sh_warn("kill: usage: kill [-s sigspec | -signum | -sigspec] pid ...");
        return 2;
    }
    int st = 0;
    for (; i < argc; i++) {
        long pid;
        if (parse_int(argv[i], &pid) < 0) {
            sh_warn("kill: Illegal number: %s", argv[i]);
            st = 1;
            continue;
        }
        if (kill((pid_t)pid, sig) < 0) {
            sh_warn("kill: %ld: %s", pid, strerror(errno));
            st = 1;
        }
    }
    out_flush();
    if (pending_signals)
        traps_run();
    return st;
}

static int bi_local(int argc, char **argv) {
    if (funcnest == 0) {
        sh_warn("local: not in a function");
        if (!interactive)
            sh_exit(2); /* as dash */
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        char *name = eq ? xstrndup(argv[i], (size_t)(eq - argv[i])) : xstrdup(argv[i]);
        if (!is_name(name)) {
            sh_warn("local: %s: bad variable name", name);
            free(name);
            return 2;
        }
        local_var(name, eq ? eq + 1 : NULL);
        free(name);
    }
    return 0;
}

static int loopctl(int argc, char **argv, int kind) {
    long n = 1;
    if (argc > 1 && (parse_int(argv[1], &n) < 0 || n <= 0))
        return bad_number(argv[0], argv[1]);
    if (loopnest == 0)
        return 0;
    if (n > loopnest)
        n = loopnest;
    evalskip = kind;
    skipcount = (int)n;
    return 0;
}

static int bi_break(int argc, char **argv) { return loopctl(argc, argv, SKIP_BREAK); }
static int bi_continue(int argc, char **argv) { return loopctl(argc, argv, SKIP_CONT); }

static int bi_return(int argc, char **argv) {
    long n = exitstatus;
    if (argc > 1 && parse_int(argv[1], &n) < 0)
        return bad_number("return", argv[1]);
    evalskip = SKIP_RETURN;
    exitstatus = (int)(n & 255);
    return exitstatus;
}

static int bi_umask(int argc, char **argv) {
    if (argc < 2) {
        mode_t m = umask(0);
        umask(m);
        outf("%04o\n", (unsigned)m);
        return 0;
    }
    char *end;
    long m = strtol(argv[1], &end, 8);
    if (*end || m < 0 || m > 0777) {
        sh_warn("umask: Illegal mode: %s", argv[1]);
        return 2;
    }
    umask((mode_t)m);
    return 0;
}

static int describe(const char *name, int verbose) {
    const char *kw[] = {"if", "then", "else", "elif", "fi", "do", "done", "case", "esac",
                        "while", "until", "for", "in", "{", "}", "!"};
    for (size_t k = 0; k < sizeof kw / sizeof *kw; k++)
        if (strcmp(name, kw[k]) == 0) {
            if (verbose)
                outf("%s is a shell keyword\n", name);
            else
                outf("%s\n", name);
            return 0;
        }
    if (func_find(name)) {
        if (verbose)
            outf("%s is a shell function\n", name);
        else
            outf("%s\n", name);
        return 0;
    }
    const struct builtin *bi = builtin_find(name);
    if (bi) {
        if (verbose)
            outf("%s is a %sshell builtin\n", name, bi->special ? "special " : "");
        else
            outf("%s\n", name);
        return 0;
    }
    char *path = path_lookup(name);
    struct stat st;
    if (path && stat(path, &st) == 0) {
        if (verbose)
            outf("%s is %s\n", name, path);
        else
            outf("%s\n", path);
        free(path);
        return 0;
    }
    free(path);
    if (verbose)
        outf("%s: not found\n", name);
    return 127;
}

static int bi_type(int argc, char **argv) {
    int st = 0;
    for (int i = 1; i < argc; i++)
        if (describe(argv[i], 1))
            st = 127;
    return st;
}

static int bi_command(int argc, char **argv) {
    int i = 1, v = 0, V = 0;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        }
        for (const char *o = argv[i] + 1; *o; o++) {
            if (*o == 'v')
                v = 1;
            else if (*o == 'V')
                V = 1;
        }
    }
    if (i >= argc)
        return 0;
    if (v || V) {
        int st = 0;
        for (; i < argc; i++)
            if (describe(argv[i], V))
                st = 127;
        return st;
    }
    out_flush();
    struct strlist args = {0};
    for (; i < argc; i++)
        sl_add(&args, xstrdup(argv[i]));
    int st = run_command(&args, NULL, 0, NULL, 0, 1);
    sl_free(&args);
    return st;
}

static int bi_hash(int argc, char **argv) {
    (void)argc;
    (void)argv;
    path_hash_clear();
    return 0;
}

static const struct builtin builtins[] = {
    {".", bi_dot, 1, 0},
    {":", bi_true, 1, 1},
    {"[", bi_test, 0, 1},
    {"break", bi_break, 1, 0},
    {"cd", bi_cd, 0, 0},
    {"command", bi_command, 0, 0},
    {"continue", bi_continue, 1, 0},
    {"echo", bi_echo, 0, 1},
    {"eval", bi_eval, 1, 0},
    {"exec", bi_exec, 1, 0},
    {"exit", bi_exit, 1, 0},
    {"export", bi_export, 1, 0},
    {"false", bi_false, 0, 1},
    {"getopts", bi_getopts, 0, 0},
    {"hash", bi_hash, 0, 0},
    {"kill", bi_kill, 0, 0},
    {"local", bi_local, 0, 0},
    {"printf", bi_printf, 0, 1},
    {"pwd", bi_pwd, 0, 1},
    {"read", bi_read, 0, 0},
    {"readonly", bi_readonly, 1, 0},
    {"return", bi_return, 1, 0},
    {"set", bi_set, 1, 0},
    {"shift", bi_shift, 1, 0},
    {"source", bi_dot, 1, 0},
    {"test", bi_test, 0, 1},
    {"trap", bi_trap, 1, 0},
    {"true", bi_true, 0, 1},
    {"type", bi_type, 0, 0},
    {"umask", bi_umask, 0, 0},
    {"unset", bi_unset, 1, 0},
    {"wait", bi_wait, 0, 0},
};

const struct builtin *builtin_find(const char *name) {
    size_t lo = 0, hi = sizeof builtins / sizeof *builtins;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(name, builtins[mid].name);
        if (c == 0)
            return &builtins[mid];
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}
