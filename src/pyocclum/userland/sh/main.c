/*
 * sh: start-up (sh -c, sh script, sh reading stdin, and the child shells
 * that stand in for fork: `sh --subshell STATE SRC`), options, exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sh.h"

extern char **environ;
const char *shell_path = "/bin/sh";
int in_subshell;
int interactive;
int child_tested;
int start_flags;

static int *flag_of(char c) {
    switch (c) {
    case 'e': return &opt_e;
    case 'x': return &opt_x;
    case 'u': return &opt_u;
    case 'f': return &opt_f;
    case 'C': return &opt_C;
    case 'a': return &opt_a;
    case 'n': return &opt_n;
    case 'v': return &opt_v;
    }
    return NULL;
}

static const struct {
    const char *name;
    char flag;
} long_opts[] = {{"errexit", 'e'}, {"xtrace", 'x'}, {"nounset", 'u'}, {"noglob", 'f'},
                 {"noclobber", 'C'}, {"allexport", 'a'}, {"noexec", 'n'}, {"verbose", 'v'}};

static int set_long(const char *name, int on) {
    for (size_t i = 0; i < sizeof long_opts / sizeof *long_opts; i++)
        if (strcmp(name, long_opts[i].name) == 0) {
            *flag_of(long_opts[i].flag) = on;
            return 0;
        }
    sh_warn("set: Illegal option -o %s", name);
    return -1;
}

/* Options of `set` (and of sh itself: extra letters in `extra` are accepted
 * and reported through *seen). *consumed: index of the first operand, or -1
 * when the positional parameters stay as they are. */
static int parse_options(int argc, char **argv, int *consumed, const char *extra, char *seen) {
    *consumed = -1;
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            *consumed = i + 1;
            return 0;
        }
        if (strcmp(a, "-") == 0) {
            opt_x = opt_v = 0;
            *consumed = i + 1;
            return 0;
        }
        if ((a[0] != '-' && a[0] != '+') || !a[1])
            break;
        int on = a[0] == '-';
        for (const char *c = a + 1; *c; c++) {
            if (*c == 'o') {
                if (i + 1 >= argc) {
                    if (!on) {
                        for (size_t k = 0; k < sizeof long_opts / sizeof *long_opts; k++)
                            outf("set %co %s\n", *flag_of(long_opts[k].flag) ? '-' : '+',
                                 long_opts[k].name);
                    } else {
                        for (size_t k = 0; k < sizeof long_opts / sizeof *long_opts; k++)
                            outf("%-16s%s\n", long_opts[k].name,
                                 *flag_of(long_opts[k].flag) ? "on" : "off");
                    }
                    continue;
                }
                if (set_long(argv[++i], on) < 0)
                    return -1;
            } else if (flag_of(*c)) {
                *flag_of(*c) = on;
            } else if (extra && strchr(extra, *c)) {
                if (seen)
                    seen[strchr(extra, *c) - extra] = 1;
            } else {
                sh_warn("set: Illegal option %c%c", a[0], *c);
                return -1;
            }
        }
    }
    if (i < argc)
        *consumed = i;
    return 0;
}

int set_options(int argc, char **argv, int *consumed) {
    return parse_options(argc, argv, consumed, NULL, NULL);
}

void sh_exit(int status) {
    out_flush();
    if (traps[0]) {
        char *action = traps[0];
        traps[0] = NULL;
        exitstatus = status;
        evalskip = 0;
        eval_string(action, 0);
        out_flush();
        free(action);
    }
    exit(status);
}

int main(int argc, char **argv) {
    shell_pid = getpid();
    arg0 = xstrdup(argc > 0 ? argv[0] : "sh");
    if (argc > 0 && argv[0][0] == '/')
        shell_path = argv[0];
    vars_init(environ);
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd))
        var_set("PWD", cwd, var_find("PWD") ? V_EXPORT : 0);
    if (!var_get("PS4"))
        var_set("PS4", "+ ", 0);
    var_set("OPTIND", "1", 0);
    char num[32];
    snprintf(num, sizeof num, "%d", (int)getppid());
    var_set("PPID", num, 0);
    pos.v = xmalloc(sizeof(char *));
    pos.v[0] = NULL;

    if (argc >= 4 && strcmp(argv[1], "--subshell") == 0) {
        /* a child standing in for a forked subshell */
        in_subshell = 1;
        subshell_state_apply(argv[2]);
        eval_string(argv[3], start_flags);
        sh_exit(exitstatus);
    }
    if (argc >= 4 && strcmp(argv[1], "--subshell-fd") == 0) {
        int fd = atoi(argv[2]);
        sbuf st = {0};
        char buf[65536];
        ssize_t r;
        while ((r = read(fd, buf, sizeof buf)) > 0)
            sb_addn(&st, buf, (size_t)r);
        close(fd);
        in_subshell = 1;
        subshell_state_apply(st.s ? st.s : "");
        sb_free(&st);
        eval_string(argv[3], start_flags);
        sh_exit(exitstatus);
    }

    char seen[3] = {0, 0, 0}; /* c s i */
    int first;
    if (parse_options(argc, argv, &first, "csi", seen) < 0)
        return 2;
    if (first < 0)
        first = argc;
    if (seen[0]) {
        if (first >= argc) {
            sh_warn("-c requires an argument");
            return 2;
        }
        const char *cmd = argv[first++];
        if (first < argc) {
            free(arg0);
            arg0 = xstrdup(argv[first++]);
        }
        params_set(&pos, argv + first, argc - first);
        eval_string(cmd, 0);
        sh_exit(exitstatus);
    }
    if (first < argc && !seen[1]) {
        const char *script = argv[first++];
        int fd = open(script, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            sh_warn("cannot open %s: %s", script, errno == ENOENT ? "No such file" : strerror(errno));
            sh_exit(2); /* as dash */
        }
        close(fd);
        free(arg0);
        arg0 = xstrdup(script);
        params_set(&pos, argv + first, argc - first);
        eval_file(script, 1);
        sh_exit(exitstatus);
    }
    params_set(&pos, argv + first, argc - first);
    if (seen[2] || (isatty(0) && isatty(2))) {
        interactive = 1;
        if (!var_get("PS1"))
            var_set("PS1", getuid() == 0 ? "# " : "$ ", 0);
        if (!var_get("PS2"))
            var_set("PS2", "> ", 0);
    }
    eval_fd_input(0);
    sh_exit(exitstatus);
}
