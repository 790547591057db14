/* kill: send a signal to processes, or list signal names (procps-ng's kill,
 * the one Debian installs as /usr/bin/kill: -SIGNAL, -s SIGNAL, -l [SIGNAL], -L). */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fileutil.h"

static const char *const names[] = {
    NULL,   "HUP",  "INT",  "QUIT", "ILL",    "TRAP", "ABRT", "BUS",  "FPE",    "KILL", "USR1",
    "SEGV", "USR2", "PIPE", "ALRM", "TERM",   "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
    "TTOU", "URG",  "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "POLL", "PWR",  "SYS",
};
#define NSIG_NAMES 31

static const char usage_text[] =
    "\n"
    "Usage:\n"
    " kill [options] <pid> [...]\n"
    "\n"
    "Options:\n"
    " <pid> [...]            send signal to every <pid> listed\n"
    " -<signal>, -s, --signal <signal>\n"
    "                        specify the <signal> to be sent\n"
    " -q, --queue <value>    integer value to be sent with the signal\n"
    " -l, --list=[<signal>]  list all signal names, or convert one to a name\n"
    " -L, --table            list all signal names in a nice table\n"
    "\n"
    " -h, --help     display this help and exit\n"
    " -V, --version  output version information and exit\n"
    "\n"
    "For more details see kill(1).\n";

static _Noreturn void usage(FILE *out, int status) {
    fputs(usage_text, out);
    exit(status);
}

/* A signal by number (0-31) or name (any case, optional SIG prefix); -1 if unknown. */
static int signal_number(const char *s) {
    if (isdigit((unsigned char)*s)) {
        char *end;
        long n = strtol(s, &end, 10);
        return (*end || n > NSIG_NAMES) ? -1 : (int)n;
    }
    if (strncasecmp(s, "SIG", 3) == 0)
        s += 3;
    if (strcasecmp(s, "IO") == 0)
        return SIGIO;
    if (strcasecmp(s, "IOT") == 0)
        return SIGABRT;
    if (strcasecmp(s, "CLD") == 0)
        return SIGCHLD;
    for (int i = 1; i <= NSIG_NAMES; i++)
        if (strcasecmp(s, names[i]) == 0)
            return i;
    return -1;
}

static void print_list(void) {
    int pos = 0;
    for (int i = 1; i <= NSIG_NAMES; i++) {
        if (i > 1) {
            if (pos > 73) {
                putchar('\n');
                pos = 0;
            } else {
                putchar(' ');
                pos++;
            }
        }
        pos += printf("%s", names[i]);
    }
    putchar('\n');
}

static void print_table(void) {
    int i;
    for (i = 1; i <= NSIG_NAMES; i++) {
        int n = printf("%2d %s", i, names[i]);
        if (i % 7)
            printf("%*s", 11 - n, "");
        else
            putchar('\n');
    }
    if ((i - 1) % 7)
        putchar('\n');
}

/* kill -l ARG: a number gives the name, a name the number. */
static int list_one(const char *arg) {
    int sig = signal_number(arg);
    if (sig <= 0) {
        fprintf(stderr, "%s: unknown signal name %s\n", fu_prog, arg);
        return 0; /* procps exits 0 here */
    }
    if (isdigit((unsigned char)*arg))
        printf("%s\n", names[sig]);
    else
        printf("%d\n", sig);
    return 0;
}

int main(int argc, char **argv) {
    fu_init(argv);
    int sig = SIGTERM, i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-l") == 0 || strcmp(a, "--list") == 0) {
            if (i + 1 < argc)
                return list_one(argv[i + 1]);
            print_list();
            return 0;
        }
        if (strncmp(a, "--list=", 7) == 0)
            return list_one(a + 7);
        if (strcmp(a, "-L") == 0 || strcmp(a, "--table") == 0) {
            print_table();
            return 0;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
            usage(stdout, 0);
        if (strcmp(a, "-s") == 0 || strcmp(a, "--signal") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "%s: invalid argument s\n", fu_prog);
                usage(stderr, 1);
            }
            sig = signal_number(argv[++i]); /* unknown: -1, which kill() refuses per pid */
            continue;
        }
        if (strcmp(a, "-q") == 0 || strcmp(a, "--queue") == 0) {
            i++; /* sigqueue's value: PyOcclum has no queued signals; sent as a plain kill */
            continue;
        }
        int n = signal_number(a + 1);
        if (n < 0) {
            fprintf(stderr, "%s: invalid argument %c\n", fu_prog, a[1]);
            usage(stderr, 1);
        }
        sig = n;
    }
    if (i >= argc) {
        usage(stderr, 1);
    }
    int status = 0;
    for (; i < argc; i++) {
        char *end;
        errno = 0;
        long pid = strtol(argv[i], &end, 10);
        if (!*argv[i] || *end || errno) {
            fprintf(stderr, "%s: failed to parse argument: '%s'\n", fu_prog, argv[i]);
            status = 1;
            continue;
        }
        if (kill((pid_t)pid, sig) != 0) {
            fprintf(stderr, "%s: (%ld): %s\n", fu_prog, pid, fu_strerror(errno));
            status = 1;
        }
    }
    return status;
}
