/* ps: report processes, from /proc (procps-ng's ps: the default PID TTY TIME CMD;
 * -e/-A, -f, -p LIST, -o FORMAT; BSD "aux"-style a, u, x).
 *
 * What /proc inside can tell, and so what is shown: pids, parents, groups,
 * sessions, state, command lines, start times, CPU time (TIME, C, %CPU, as
 * procps computes them from utime and stime) and memory (the linear memory:
 * VSZ = RSS). Every process runs as root and none has a terminal (TTY "?"). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fileutil.h"

#define HZ 100

struct proc {
    int pid, ppid, pgid, sid, threads;
    char state;
    char comm[64];
    char *args;          /* cmdline with spaces, or "[comm]" if empty */
    unsigned long long cpu_ticks, start_ticks, vsize, rss_pages;
};

static double boot_time, now_time;
static unsigned long long mem_total_kb;

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = fu_xmalloc(cap);
    size_t k;
    while ((k = fread(buf + n, 1, cap - n - 1, f)) > 0) {
        n += k;
        if (n + 1 >= cap)
            buf = fu_xrealloc(buf, cap *= 2);
    }
    fclose(f);
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

static int load(int pid, struct proc *p) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    char *stat = read_file(path, NULL);
    if (!stat)
        return -1;
    char *open = strchr(stat, '('), *close = strrchr(stat, ')');
    if (!open || !close) {
        free(stat);
        return -1;
    }
    memset(p, 0, sizeof *p);
    snprintf(p->comm, sizeof p->comm, "%.*s", (int)(close - open - 1), open + 1);
    /* Fields from 3 (state) on, after the comm. */
    char *fields[52];
    int nf = 0;
    for (char *tok = strtok(close + 2, " \n"); tok && nf < 52; tok = strtok(NULL, " \n"))
        fields[nf++] = tok;
    if (nf < 22) {
        free(stat);
        return -1;
    }
    p->pid = pid;
    p->state = fields[0][0];
    p->ppid = atoi(fields[1]);
    p->pgid = atoi(fields[2]);
    p->sid = atoi(fields[3]);
    p->cpu_ticks = strtoull(fields[11], NULL, 10) + strtoull(fields[12], NULL, 10);
    p->threads = atoi(fields[17]);
    p->start_ticks = strtoull(fields[19], NULL, 10);
    p->vsize = strtoull(fields[20], NULL, 10);
    p->rss_pages = strtoull(fields[21], NULL, 10);
    free(stat);

    snprintf(path, sizeof path, "/proc/%d/cmdline", pid);
    size_t len = 0;
    char *cmd = read_file(path, &len);
    if (cmd && len > 0) {
        while (len > 0 && cmd[len - 1] == 0)
            len--;
        for (size_t i = 0; i < len; i++)
            if (cmd[i] == 0)
                cmd[i] = ' ';
        cmd[len] = 0;
        p->args = cmd;
    } else {
        free(cmd);
        p->args = fu_xmalloc(strlen(p->comm) + 3);
        sprintf(p->args, "[%s]", p->comm);
    }
    return 0;
}

static int by_pid(const void *a, const void *b) {
    return ((const struct proc *)a)->pid - ((const struct proc *)b)->pid;
}

/* --- columns ------------------------------------------------------------------ */

enum { L, R };
struct column {
    const char *key, *header;
    int width, align;
};
static const struct column columns[] = {
    {"pid", "PID", 5, R},      {"ppid", "PPID", 5, R},     {"pgid", "PGID", 5, R},
    {"pgrp", "PGRP", 5, R},    {"sid", "SID", 5, R},       {"sess", "SESS", 5, R},
    {"comm", "COMMAND", 15, L}, {"ucmd", "CMD", 15, L},    {"args", "COMMAND", 27, L},
    {"cmd", "CMD", 27, L},     {"command", "COMMAND", 27, L}, {"user", "USER", 8, L},
    {"euser", "EUSER", 8, L},  {"uid", "UID", 5, R},       {"euid", "EUID", 5, R},
    {"tty", "TT", 8, L},       {"tt", "TT", 8, L},         {"time", "TIME", 8, R},
    {"stat", "STAT", 4, L},    {"s", "S", 1, L},           {"state", "S", 1, L},
    {"vsz", "VSZ", 6, R},      {"vsize", "VSZ", 6, R},     {"rss", "RSS", 5, R},
    {"etime", "ELAPSED", 11, R}, {"nlwp", "NLWP", 4, R},  {"thcount", "THCNT", 5, R},
    {"c", "C", 2, R},          {"stime", "STIME", 5, L},   {"start", "STARTED", 8, R},
    {"pcpu", "%CPU", 4, R},    {"%cpu", "%CPU", 4, R},     {"pmem", "%MEM", 4, R},
    {"%mem", "%MEM", 4, R},
};

struct field {
    const struct column *col;
    char header[64];
};

static const struct column *find_column(const char *key) {
    for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
        if (strcmp(columns[i].key, key) == 0)
            return &columns[i];
    return NULL;
}

static void format_stime(const struct proc *p, char *out, size_t n) {
    time_t t = (time_t)(boot_time + (double)p->start_ticks / HZ);
    time_t now = (time_t)now_time;
    struct tm tm, tn;
    gmtime_r(&t, &tm);
    gmtime_r(&now, &tn);
    if (tm.tm_yday == tn.tm_yday && tm.tm_year == tn.tm_year)
        strftime(out, n, "%H:%M", &tm);
    else if (tm.tm_year == tn.tm_year)
        strftime(out, n, "%b%d", &tm);
    else
        strftime(out, n, "%Y", &tm);
}

/* procps' scaled %CPU: tenths of a percent of the process's life spent on a
 * CPU (whole seconds of life, as procps counts them). */
static unsigned long long permille(const struct proc *p, double elapsed) {
    unsigned long long seconds = (unsigned long long)elapsed;
    return seconds ? p->cpu_ticks * 1000ULL / HZ / seconds : 0;
}

static void value(const struct column *c, const struct proc *p, char *out, size_t n) {
    const char *k = c->key;
    double elapsed = now_time - (boot_time + (double)p->start_ticks / HZ);
    if (elapsed < 0)
        elapsed = 0;
    unsigned long long t = p->cpu_ticks / HZ;
    if (!strcmp(k, "pid"))
        snprintf(out, n, "%d", p->pid);
    else if (!strcmp(k, "ppid"))
        snprintf(out, n, "%d", p->ppid);
    else if (!strcmp(k, "pgid") || !strcmp(k, "pgrp"))
        snprintf(out, n, "%d", p->pgid);
    else if (!strcmp(k, "sid") || !strcmp(k, "sess"))
        snprintf(out, n, "%d", p->sid);
    else if (!strcmp(k, "comm") || !strcmp(k, "ucmd"))
        snprintf(out, n, "%s", p->comm);
    else if (!strcmp(k, "args") || !strcmp(k, "cmd") || !strcmp(k, "command"))
        snprintf(out, n, "%s", p->args);
    else if (!strcmp(k, "user") || !strcmp(k, "euser"))
        snprintf(out, n, "root");
    else if (!strcmp(k, "uid") || !strcmp(k, "euid"))
        snprintf(out, n, "0");
    else if (!strcmp(k, "tty") || !strcmp(k, "tt"))
        snprintf(out, n, "?");
    else if (!strcmp(k, "time")) {
        if (t >= 86400)
            snprintf(out, n, "%llu-%02llu:%02llu:%02llu", t / 86400, t / 3600 % 24, t / 60 % 60, t % 60);
        else
            snprintf(out, n, "%02llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
    } else if (!strcmp(k, "bsdtime"))
        snprintf(out, n, "%llu:%02llu", t / 60, t % 60);
    else if (!strcmp(k, "stat"))
        snprintf(out, n, "%c%s%s", p->state, p->sid == p->pid ? "s" : "", p->threads > 1 ? "l" : "");
    else if (!strcmp(k, "s") || !strcmp(k, "state"))
        snprintf(out, n, "%c", p->state);
    else if (!strcmp(k, "vsz") || !strcmp(k, "vsize"))
        snprintf(out, n, "%llu", p->vsize / 1024);
    else if (!strcmp(k, "rss"))
        snprintf(out, n, "%llu", p->rss_pages * 4);
    else if (!strcmp(k, "etime")) {
        long s = (long)elapsed;
        if (s >= 86400)
            snprintf(out, n, "%ld-%02ld:%02ld:%02ld", s / 86400, s / 3600 % 24, s / 60 % 60, s % 60);
        else if (s >= 3600)
            snprintf(out, n, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
        else
            snprintf(out, n, "%02ld:%02ld", s / 60, s % 60);
    } else if (!strcmp(k, "nlwp") || !strcmp(k, "thcount"))
        snprintf(out, n, "%d", p->threads);
    else if (!strcmp(k, "c")) {
        unsigned long long c = permille(p, elapsed) / 10;
        snprintf(out, n, "%llu", c > 99 ? 99 : c);
    }
    else if (!strcmp(k, "stime"))
        format_stime(p, out, n);
    else if (!strcmp(k, "start")) {
        time_t t = (time_t)(boot_time + (double)p->start_ticks / HZ);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(out, n, "%H:%M:%S", &tm);
    } else if (!strcmp(k, "pcpu") || !strcmp(k, "%cpu")) {
        unsigned long long pc = permille(p, elapsed);
        if (pc > 999)
            snprintf(out, n, "%llu", pc / 10);
        else
            snprintf(out, n, "%llu.%llu", pc / 10, pc % 10);
    }
    else if (!strcmp(k, "pmem") || !strcmp(k, "%mem"))
        snprintf(out, n, "%.1f", mem_total_kb ? (double)(p->rss_pages * 4) * 100.0 / (double)mem_total_kb : 0.0);
    else
        out[0] = 0;
}

static void print_row(const struct field *f, size_t nf, const char *const *cells, int last_full) {
    for (size_t i = 0; i < nf; i++) {
        int last = i + 1 == nf;
        const char *s = cells[i];
        int w = f[i].col->width;
        if ((int)strlen(f[i].header) > w)
            w = (int)strlen(f[i].header);
        if (i)
            putchar(' ');
        if (last && f[i].col->align == L && last_full) {
            fputs(s, stdout);
        } else if (f[i].col->align == L) {
            if (last)
                printf("%.*s", w, s);
            else
                printf("%-*.*s", w, w, s);
        } else {
            printf("%*s", w, s);
        }
    }
    putchar('\n');
}

/* Custom rows (-f, aux) use procps' own layouts. */
static void add(struct field *f, size_t *nf, const char *key, const char *header) {
    f[*nf].col = find_column(key);
    snprintf(f[*nf].header, sizeof f[*nf].header, "%s", header ? header : f[*nf].col->header);
    (*nf)++;
}

static _Noreturn void bad_list(void) {
    fprintf(stderr, "error: process ID list syntax error\n\n"
                    "Usage:\n ps [options]\n\n Try 'ps --help <simple|list|output|threads|misc|all>'\n"
                    "  or 'ps --help <s|l|o|t|m|a>'\n for additional help text.\n\n"
                    "For more details see ps(1).\n");
    exit(1);
}

static const char usage[] =
    "Usage: %s [options]\n"
    "Report the processes inside (from /proc).\n"
    "\n"
    "  -e, -A        all processes\n"
    "  -f            full format\n"
    "  -p LIST       these pids\n"
    "  -o FORMAT     user-defined format (pid ppid pgid sid comm args user uid tty time stat vsz rss etime nlwp c stime start %cpu %mem)\n"
    "  aux           BSD user format\n"
    "  --no-headers  no header line\n"
    "      --help     display this help and exit\n"
    "      --version  output version information and exit\n";

int main(int argc, char **argv) {
    fu_init(argv);
    fu_standard_options(argc, argv, usage, 0);
    int all = 0, full = 0, bsd_u = 0, no_header = 0, npids = 0;
    int *pids = NULL;
    struct field fields[64];
    size_t nf = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-') {
            /* BSD options: "aux", "ax", "u"... */
            for (const char *c = a; *c; c++) {
                if (*c == 'a' || *c == 'x')
                    all = 1;
                else if (*c == 'u')
                    bsd_u = 1;
                else if (*c == 'w')
                    continue;
                else {
                    fprintf(stderr, "error: unsupported option (BSD syntax)\n");
                    return 1;
                }
            }
            continue;
        }
        if (!strcmp(a, "--no-headers") || !strcmp(a, "--no-heading")) {
            no_header = 1;
            continue;
        }
        for (const char *c = a + 1; *c; c++) {
            if (*c == 'e' || *c == 'A')
                all = 1;
            else if (*c == 'f')
                full = 1;
            else if (*c == 'p' || *c == 'o') {
                const char *list = c[1] ? c + 1 : (i + 1 < argc ? argv[++i] : NULL);
                if (!list) {
                    fprintf(stderr, "error: %s\n", *c == 'p' ? "list of process IDs must follow -p"
                                                             : "format specification must follow -o");
                    return 1;
                }
                char *copy = fu_xstrdup(list), *save = NULL;
                for (char *w = strtok_r(copy, *c == 'p' ? ", " : ", ", &save); w;
                     w = strtok_r(NULL, ", ", &save)) {
                    if (*c == 'p') {
                        char *end;
                        long v = strtol(w, &end, 10);
                        if (*end || v <= 0)
                            bad_list();
                        pids = fu_xrealloc(pids, (size_t)(npids + 1) * sizeof *pids);
                        pids[npids++] = (int)v;
                        continue;
                    }
                    char *eq = strchr(w, '=');
                    if (eq)
                        *eq = 0;
                    const struct column *col = find_column(w);
                    if (!col || nf == 64) {
                        fprintf(stderr, "error: unknown user-defined format specifier \"%s\"\n", w);
                        return 1;
                    }
                    fields[nf].col = col;
                    snprintf(fields[nf].header, sizeof fields[nf].header, "%s", eq ? eq + 1 : col->header);
                    nf++;
                }
                free(copy);
                break;
            } else {
                fprintf(stderr, "error: unsupported option -%c\n", *c);
                return 1;
            }
        }
    }
    int custom = nf > 0;
    if (!custom) {
        if (bsd_u) {
            add(fields, &nf, "user", NULL);
            add(fields, &nf, "pid", NULL);
            add(fields, &nf, "pcpu", NULL);
            add(fields, &nf, "pmem", NULL);
            add(fields, &nf, "vsz", NULL);
            add(fields, &nf, "rss", NULL);
            add(fields, &nf, "tty", "TTY");
            add(fields, &nf, "stat", NULL);
            add(fields, &nf, "stime", "START");
            static const struct column bsdtime = {"bsdtime", "TIME", 6, R}; /* M:SS */
            fields[nf].col = &bsdtime;
            snprintf(fields[nf++].header, sizeof fields[0].header, "TIME");
            add(fields, &nf, "args", NULL);
        } else if (full) {
            add(fields, &nf, "user", "UID");
            add(fields, &nf, "pid", NULL);
            add(fields, &nf, "ppid", NULL);
            add(fields, &nf, "c", NULL);
            add(fields, &nf, "stime", NULL);
            add(fields, &nf, "tty", "TTY");
            add(fields, &nf, "time", NULL);
            add(fields, &nf, "args", "CMD");
        } else {
            add(fields, &nf, "pid", NULL);
            add(fields, &nf, "tty", "TTY");
            add(fields, &nf, "time", NULL);
            add(fields, &nf, "ucmd", "CMD");
        }
    }

    char *uptime = read_file("/proc/uptime", NULL);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    now_time = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
    boot_time = now_time - (uptime ? strtod(uptime, NULL) : 0);
    free(uptime);
    char *meminfo = read_file("/proc/meminfo", NULL);
    if (meminfo && strncmp(meminfo, "MemTotal:", 9) == 0)
        mem_total_kb = strtoull(meminfo + 9, NULL, 10);
    free(meminfo);

    DIR *d = opendir("/proc");
    if (!d)
        fu_die(1, errno, "cannot open /proc");
    struct proc *procs = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        int pid = atoi(e->d_name);
        if (npids) {
            int wanted = 0;
            for (int k = 0; k < npids; k++)
                wanted |= pids[k] == pid;
            if (!wanted)
                continue;
        }
        procs = fu_xrealloc(procs, (n + 1) * sizeof *procs);
        if (load(pid, &procs[n]) == 0)
            n++;
    }
    closedir(d);
    (void)all; /* every process inside runs as root without a terminal: ps selects them all */
    qsort(procs, n, sizeof *procs, by_pid);

    int any_header = 0;
    for (size_t i = 0; i < nf; i++)
        any_header |= fields[i].header[0] != 0;
    const char *cells[64];
    if (!no_header && any_header) {
        for (size_t i = 0; i < nf; i++)
            cells[i] = fields[i].header;
        print_row(fields, nf, cells, 1);
    }
    char bufs[64][256];
    for (size_t k = 0; k < n; k++) {
        for (size_t i = 0; i < nf; i++) {
            const char *key = fields[i].col->key;
            if (!strcmp(key, "args") || !strcmp(key, "cmd") || !strcmp(key, "command"))
                cells[i] = procs[k].args; /* whole: a command line may be long */
            else
                value(fields[i].col, &procs[k], bufs[i], sizeof bufs[i]);
            if (strcmp(key, "args") && strcmp(key, "cmd") && strcmp(key, "command"))
                cells[i] = bufs[i];
        }
        print_row(fields, nf, cells, 1);
        free(procs[k].args);
    }
    free(procs);
    free(pids);
    fu_flush_stdout(1);
    return npids && n == 0 ? 1 : 0;
}
