/*
 * mt_child: the helper the multitasking tests (mt_*.c) spawn. Install it as
 * /bin/mt_child, and a copy as /bin/sh (for system() and popen()).
 *
 * The mode is argv[1]; results go to stdout, or are the exit status.
 *   exit N              exit(N)
 *   args A...           print "[A]" for each argument, then a newline
 *   env NAME            print the variable's value, or "(unset)"
 *   cwd                 print the current directory
 *   fd-open N           exit 0 if descriptor N is open, 1 if not
 *   cat                 copy stdin to stdout
 *   count               read stdin to EOF; print "BYTES CHECKSUM" (see checksum())
 *   produce N           write N bytes of pattern(i) to stdout
 *   sleep MS            sleep, then exit 0
 *   delay-echo MS TEXT  sleep, then write TEXT to stdout
 *   spin                loop forever without a system call
 *   wait-eof            read stdin until EOF, then exit 0
 *   pause               wait for a signal (pause()), then exit 0
 *   kill-parent SIG     kill(getppid(), SIG), then exit 0
 *   sigpipe             write to stdout until an error: exit 3 on EPIPE
 *                       (only if SIGPIPE is ignored, else it kills us)
 *   orphan MS FILE      spawn "report-ppid MS FILE" and exit at once
 *   report-ppid MS FILE sleep, then write getppid() to FILE (atomically)
 *   ids                 print "PID PPID PGID SID"
 *   mask                print "blocked HEX ignored HEX": signals 1..31, bit n-1
 *                       for signal n
 *   handle-exec N       install a handler for 10, ignore 12, block 15,
 *                       then exec "mt_child mask" (exit N if exec fails)
 *   exec-keep FD        open a close-on-exec fd, then exec
 *                       "after-exec FD PID CLOEXEC_FD"
 *   after-exec FD PID C write "pid-same F fd-open F cloexec-closed F ppid P"
 *                       to FD (F = 0/1), then exit 7
 *   alloc MB            allocate and touch MB MiB, 1 MiB at a time; abort()
 *                       when out of memory, exit 0 if everything fit
 *   (NULL argv)         exit 42
 * As /bin/sh: "sh -c CMD" runs one command of a tiny shell: "exit N",
 * "echo WORDS", "cat", "cat > FILE", "true", "false", "kill -N $$".
 *
 * The helper directory is $MT_BIN if set (for running the tests natively on
 * Linux), else /bin.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* Where "alloc" keeps its memory (external, so malloc cannot be elided). */
#define MAX_CHUNKS 8192
char *allocated[MAX_CHUNKS];

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static const char *helper(void) {
    static char path[512];
    const char *dir = getenv("MT_BIN");
    snprintf(path, sizeof path, "%s/mt_child", dir ? dir : "/bin");
    return path;
}

/* The byte at offset i of a "produce" stream. */
static unsigned char pattern(size_t i) {
    return (unsigned char)(i * 7 + i / 4096 + 3);
}

/* FNV-1a, 32 bits, over everything read. */
static uint32_t checksum(uint32_t h, const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static int tiny_shell(const char *cmd) {
    if (strncmp(cmd, "exit ", 5) == 0)
        return atoi(cmd + 5);
    if (strcmp(cmd, "true") == 0)
        return 0;
    if (strcmp(cmd, "false") == 0)
        return 1;
    if (strncmp(cmd, "echo ", 5) == 0 || strcmp(cmd, "echo") == 0) {
        printf("%s\n", cmd[4] ? cmd + 5 : "");
        return 0;
    }
    if (strncmp(cmd, "kill -", 6) == 0 && strstr(cmd, "$$") != NULL) {
        fflush(stdout);
        raise(atoi(cmd + 6));
        return 0;
    }
    if (strncmp(cmd, "cat", 3) == 0) {
        int out = STDOUT_FILENO;
        const char *redirect = strchr(cmd, '>');
        if (redirect != NULL) {
            while (*++redirect == ' ') {
            }
            out = open(redirect, O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (out < 0)
                return 1;
        }
        char buf[4096];
        ssize_t n;
        while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0)
            if (write_all(out, buf, (size_t)n) != 0)
                return 1;
        return n < 0;
    }
    fprintf(stderr, "sh: %s: not found\n", cmd);
    return 127;
}

/* Bit n-1 for signal n, for signals 1..31. */
static unsigned long signals_where(int (*has)(int)) {
    unsigned long bits = 0;
    for (int sig = 1; sig < 32; sig++)
        if (has(sig))
            bits |= 1ul << (sig - 1);
    return bits;
}

static int is_blocked(int sig) {
    sigset_t set;
    sigprocmask(SIG_BLOCK, NULL, &set);
    return sigismember(&set, sig) == 1;
}

static int is_ignored(int sig) {
    struct sigaction sa;
    return sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

static void on_usr1(int sig) {
    (void)sig;
}

int main(int argc, char **argv) {
    /* Spawned with a NULL argv: argc 0 (Linux 5.18+ passes one "" instead). */
    if (argc == 0 || (argc == 1 && argv[0][0] == '\0'))
        return 42;
    if (argc >= 3 && strcmp(argv[1], "-c") == 0)
        return tiny_shell(argv[2]);
    if (argc < 2)
        return 2;
    const char *mode = argv[1];
    const char *arg = argc > 2 ? argv[2] : "0";

    if (strcmp(mode, "exit") == 0)
        return atoi(arg);
    if (strcmp(mode, "args") == 0) {
        for (int i = 2; i < argc; i++)
            printf("[%s]", argv[i]);
        printf("\n");
        return 0;
    }
    if (strcmp(mode, "env") == 0) {
        const char *v = getenv(arg);
        printf("%s\n", v ? v : "(unset)");
        return 0;
    }
    if (strcmp(mode, "cwd") == 0) {
        char buf[512];
        printf("%s\n", getcwd(buf, sizeof buf) ? buf : "(error)");
        return 0;
    }
    if (strcmp(mode, "fd-open") == 0)
        return fcntl(atoi(arg), F_GETFD) >= 0 ? 0 : 1;
    if (strcmp(mode, "cat") == 0)
        return tiny_shell("cat");
    if (strcmp(mode, "count") == 0) {
        unsigned char buf[8192];
        size_t total = 0;
        uint32_t h = 2166136261u;
        ssize_t n;
        while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0) {
            h = checksum(h, buf, (size_t)n);
            total += (size_t)n;
        }
        printf("%zu %08x\n", total, (unsigned)h);
        return n < 0;
    }
    if (strcmp(mode, "produce") == 0) {
        size_t total = (size_t)atol(arg);
        unsigned char buf[8192];
        for (size_t done = 0; done < total;) {
            size_t n = total - done < sizeof buf ? total - done : sizeof buf;
            for (size_t i = 0; i < n; i++)
                buf[i] = pattern(done + i);
            if (write_all(STDOUT_FILENO, buf, n) != 0)
                return 1;
            done += n;
        }
        return 0;
    }
    if (strcmp(mode, "sleep") == 0) {
        sleep_ms(atol(arg));
        return 0;
    }
    if (strcmp(mode, "delay-echo") == 0 && argc > 3) {
        sleep_ms(atol(arg));
        return write_all(STDOUT_FILENO, argv[3], strlen(argv[3])) != 0;
    }
    if (strcmp(mode, "spin") == 0) {
        for (volatile unsigned long i = 0;; i++) {
        }
    }
    if (strcmp(mode, "wait-eof") == 0) {
        char c;
        for (;;) {
            errno = 0;
            ssize_t n = read(STDIN_FILENO, &c, 1);
            if (n == 0 || (n < 0 && errno != EINTR))
                return 0;
        }
    }
    if (strcmp(mode, "pause") == 0) {
        pause();
        return 0;
    }
    if (strcmp(mode, "kill-parent") == 0)
        return kill(getppid(), atoi(arg)) != 0;
    if (strcmp(mode, "sigpipe") == 0) {
        static char buf[4096];
        for (int i = 0; i < 1000; i++)
            if (write(STDOUT_FILENO, buf, sizeof buf) < 0)
                return errno == EPIPE ? 3 : 4;
        return 0;
    }
    if (strcmp(mode, "orphan") == 0 && argc > 3) {
        char *args[] = {"mt_child", "report-ppid", argv[2], argv[3], NULL};
        pid_t pid;
        int rc = posix_spawn(&pid, helper(), NULL, NULL, args, environ);
        return rc != 0;
    }
    if (strcmp(mode, "report-ppid") == 0 && argc > 3) {
        sleep_ms(atol(arg));
        char tmp[512], text[32];
        snprintf(tmp, sizeof tmp, "%s.tmp", argv[3]);
        snprintf(text, sizeof text, "%d\n", (int)getppid());
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write_all(fd, text, strlen(text)) != 0 || close(fd) != 0)
            return 1;
        return rename(tmp, argv[3]) != 0;
    }
    if (strcmp(mode, "ids") == 0) {
        printf("%d %d %d %d\n", (int)getpid(), (int)getppid(), (int)getpgid(0), (int)getsid(0));
        return 0;
    }
    if (strcmp(mode, "mask") == 0) {
        printf("blocked %lx ignored %lx\n", signals_where(is_blocked), signals_where(is_ignored));
        return 0;
    }
    if (strcmp(mode, "handle-exec") == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sigaction(SIGUSR1, &sa, NULL);
        signal(SIGUSR2, SIG_IGN);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGTERM);
        sigprocmask(SIG_BLOCK, &set, NULL);
        char *args[] = {"mt_child", "mask", NULL};
        execv(helper(), args);
        return atoi(arg);
    }
    if (strcmp(mode, "exec-keep") == 0) {
        int cloexec = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        char pid[16], fd[16];
        snprintf(pid, sizeof pid, "%d", (int)getpid());
        snprintf(fd, sizeof fd, "%d", cloexec);
        char *args[] = {"mt_child", "after-exec", argv[2], pid, fd, NULL};
        execv(helper(), args);
        return 1;
    }
    if (strcmp(mode, "after-exec") == 0 && argc > 4) {
        int fd = atoi(argv[2]);
        char text[128];
        snprintf(text, sizeof text, "pid-same %d fd-open %d cloexec-closed %d ppid %d\n",
                 atoi(argv[3]) == (int)getpid(), fcntl(fd, F_GETFD) >= 0,
                 fcntl(atoi(argv[4]), F_GETFD) < 0 && errno == EBADF, (int)getppid());
        write_all(fd, text, strlen(text));
        return 7;
    }
    if (strcmp(mode, "alloc") == 0) {
        long mb = atol(arg);
        for (long i = 0; i < mb; i++) {
            char *p = malloc(1 << 20);
            if (p == NULL)
                abort();
            memset(p, (int)i, 1 << 20);
            allocated[i % MAX_CHUNKS] = p; /* escapes: the compiler keeps it */
        }
        return 0;
    }
    fprintf(stderr, "mt_child: unknown mode %s\n", mode);
    return 2;
}
