/*
 * hostile: a malicious process for tests/hardening/test_hostile_programs.py
 * (issue 16). Each mode attacks the LibOS in one way and prints what it saw,
 * one "name: result" line per attempt (errors by NAME), then exits 0 if it
 * ended by itself. Modes (argv[1]):
 *   memory           malloc(1 MiB) + memset until malloc returns NULL, then a
 *                    small malloc: "memory: NULL after N MiB", "small: ok".
 *                    The blocks are never read: written like this, clang
 *                    deletes the allocations and the loop never ends, unless
 *                    occlum-cc keeps them (issue 16's memory bomb)
 *   hold             as memory, then "holding N bytes" (its memory's size) and
 *                    pause() until killed
 *   tmpfill DIR MB   write 1 MiB files into DIR until a write fails or MB MiB
 *                    are written: "tmpfill: N MiB then ENAME" (OK: all
 *                    written), then remove them: "removed: N"
 *   deepdir DIR N    mkdir+chdir N levels below DIR: "deepdir: N levels then
 *                    ENAME", then getcwd: "getcwd: ENAME"
 *   files DIR N      create N empty files in DIR: "files: N then ENAME"
 *                    (OK: all made), then remove them: "removed: N"
 *   pipes N          make N pipes and fill each (non-blocking) until EAGAIN:
 *                    "pipes: N then ENAME, B bytes buffered"
 *   sockets N        make N AF_UNIX stream socketpairs and fill each (non-blocking)
 *                    until EAGAIN: "sockets: N then ENAME, B bytes queued"
 *   grow             memory.grow by one page until it fails: "grow: N pages"
 *   fds              open /dev/null until it fails: "fds: N then ENAME"; then
 *                    close them and open one again: "reopen: ok"
 *   spawn            spawn "hostile block" children (stdin a pipe) until
 *                    posix_spawn fails: "spawn: N then ENAME", then close the
 *                    pipe and reap them: "reaped: N"
 *   block            read stdin until EOF, exit 0
 *   spin             ignore SIGTERM, print "spinning", loop forever
 *   storm PID N      kill(PID, SIGUSR1) N times: "storm: sent N"
 *   pipe             fill a pipe (non-blocking) until EAGAIN: "pipe: full at
 *                    N bytes", then a blocking write to it, never read
 *   recurse          recursion without end (the stack overflows)
 *   escape           leave /host by every path we know; see case_escape
 *   proc PID         read /proc/PID/{mem,environ,maps,pagemap,...}
 *   bigargs N SIZE   spawn "hostile count" with N arguments of SIZE bytes:
 *                    "bigargs: ENAME" (OK when it ran) and the child's line
 *   bigenv N SIZE    the same with N environment variables of SIZE bytes
 *   count            print "count: argc=A envc=E bytes=B" (B: argument bytes)
 *   exec PATH        execve(PATH): "exec: ENAME" if it returns
 *   spawnfile PATH   posix_spawn(PATH), wait: "spawnfile: ENAME" and, if it
 *                    started, "status: exited N" or "status: signaled N"
 */
#include "common.h"

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

/* common.h's errname(), naming a few more errors. */
static const char *ename(int e) {
    return e == E2BIG ? "E2BIG" : e == ENOSPC ? "ENOSPC" : e == ENOEXEC ? "ENOEXEC" : e == ESRCH ? "ESRCH" : (errname)(e);
}
#define errname(e) ename(e)

static void say(const char *what, int err) {
    printf("%s: %s\n", what, errname(err));
    fflush(stdout);
}

static int case_memory(void) {
    size_t n = 0;
    for (;;) {
        char *p = malloc(1 << 20);
        if (p == NULL)
            break;
        memset(p, 0xAB, 1 << 20);
        n++;
    }
    printf("memory: NULL after %zu MiB\n", n);
    char *small = malloc(100);
    printf("small: %s\n", small != NULL ? "ok" : "NULL");
    return 0;
}

static int case_tmpfill(const char *dir, long max_mb) {
    static char chunk[1 << 20];
    char path[512];
    memset(chunk, 't', sizeof chunk);
    long n = 0;
    int err = 0;
    while (n < max_mb) {
        snprintf(path, sizeof path, "%s/fill.%ld", dir, n);
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0) {
            err = errno;
            break;
        }
        ssize_t w = write(fd, chunk, sizeof chunk);
        err = w < 0 ? errno : w != (ssize_t)sizeof chunk ? ENOSPC : 0;
        close(fd);
        if (err != 0) {
            unlink(path);
            break;
        }
        n++;
    }
    printf("tmpfill: %ld MiB then %s\n", n, errname(err));
    long removed = 0;
    for (long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/fill.%ld", dir, i);
        removed += unlink(path) == 0;
    }
    printf("removed: %ld\n", removed);
    return 0;
}

static int case_deepdir(const char *dir, long levels) {
    if (chdir(dir) != 0) {
        say("chdir", errno);
        return 1;
    }
    long n = 0;
    int err = 0;
    while (n < levels) {
        if (mkdir("d", 0755) != 0 || chdir("d") != 0) {
            err = errno;
            break;
        }
        n++;
    }
    printf("deepdir: %ld levels then %s\n", n, errname(err));
    static char cwd[1 << 16];
    say("getcwd", getcwd(cwd, sizeof cwd) != NULL ? 0 : errno);
    fflush(stdout);
    return 0;
}

static int case_files(const char *dir, long count) {
    char path[512];
    long n = 0;
    int err = 0;
    while (n < count) {
        snprintf(path, sizeof path, "%s/f%ld", dir, n);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd < 0) {
            err = errno;
            break;
        }
        close(fd);
        n++;
    }
    printf("files: %ld then %s\n", n, errname(err));
    long removed = 0;
    for (long i = 0; i < n; i++) {
        snprintf(path, sizeof path, "%s/f%ld", dir, i);
        removed += unlink(path) == 0;
    }
    printf("removed: %ld\n", removed);
    return 0;
}

/* Make `count` pipes (sockets: AF_UNIX stream socketpairs) and fill each one's
 * writing end (non-blocking) until it takes no more; the bytes it took. */
static int case_fill(long count, int sockets) {
    static char chunk[65536];
    memset(chunk, 'q', sizeof chunk);
    long n = 0, bytes = 0;
    int err = 0;
    while (n < count) {
        int fds[2];
        if ((sockets ? socketpair(AF_UNIX, SOCK_STREAM, 0, fds) : pipe(fds)) != 0) {
            err = errno;
            break;
        }
        int w = sockets ? fds[0] : fds[1];
        fcntl(w, F_SETFL, O_NONBLOCK);
        for (ssize_t put; (put = write(w, chunk, sizeof chunk)) > 0;)
            bytes += put;
        n++;
    }
    printf("%s: %ld then %s, %ld bytes %s\n", sockets ? "sockets" : "pipes", n, errname(err),
           bytes, sockets ? "queued" : "buffered");
    return 0;
}

static int case_grow(void) {
    size_t pages = 0;
    while (__builtin_wasm_memory_grow(0, 1) != (size_t)-1)
        pages++;
    printf("grow: %zu pages\n", pages);
    return 0;
}

#define MAX_FDS 100000
static int case_fds(void) {
    static int fds[MAX_FDS];
    int n = 0, err = 0;
    while (n < MAX_FDS) {
        int fd = open("/dev/null", O_RDONLY);
        if (fd < 0) {
            err = errno;
            break;
        }
        fds[n++] = fd;
    }
    printf("fds: %d then %s\n", n, errname(err));
    for (int i = 0; i < n; i++)
        close(fds[i]);
    int fd = open("/dev/null", O_RDONLY);
    say("reopen", fd < 0 ? errno : 0);
    return 0;
}

#define MAX_KIDS 100000
static int case_spawn(void) {
    static pid_t kids[MAX_KIDS];
    int p[2];
    if (pipe(p) != 0) {
        say("pipe", errno);
        return 1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[0], 0);
    posix_spawn_file_actions_addclose(&fa, p[1]);
    char *argv[] = {"hostile", "block", NULL};
    int n = 0, rc = 0;
    while (n < MAX_KIDS && (rc = posix_spawn(&kids[n], "/bin/hostile", &fa, NULL, argv,
                                             environ)) == 0)
        n++;
    printf("spawn: %d then %s\n", n, errname(rc));
    fflush(stdout);
    close(p[1]);
    int reaped = 0;
    for (int i = 0; i < n; i++) {
        int st;
        reaped += waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    printf("reaped: %d\n", reaped);
    return 0;
}

static int case_block(void) {
    char buf[256];
    while (read(0, buf, sizeof buf) != 0) {
    }
    return 0;
}

static int case_spin(void) {
    signal(SIGTERM, SIG_IGN);
    puts("spinning");
    fflush(stdout);
    volatile unsigned long spins = 0;
    for (;;)
        spins++;
}

static int case_storm(pid_t pid, long n) {
    long sent = 0;
    for (long i = 0; i < n; i++)
        sent += kill(pid, SIGUSR1) == 0;
    printf("storm: sent %ld\n", sent);
    return 0;
}

static int case_pipe(void) {
    int p[2];
    if (pipe(p) != 0) {
        say("pipe", errno);
        return 1;
    }
    int flags = fcntl(p[1], F_GETFL);
    fcntl(p[1], F_SETFL, flags | O_NONBLOCK);
    static char chunk[4096];
    memset(chunk, 'p', sizeof chunk);
    long total = 0;
    for (;;) {
        ssize_t w = write(p[1], chunk, sizeof chunk);
        if (w < 0)
            break;
        total += w;
    }
    printf("pipe: full at %ld bytes (%s)\n", total, errname(errno));
    fflush(stdout);
    fcntl(p[1], F_SETFL, flags);
    ssize_t w = write(p[1], chunk, sizeof chunk); /* blocks: nobody reads */
    printf("pipe: blocking write returned %ld\n", (long)w);
    return 0;
}

/* Ends only when `limit` is reached: never (main passes -1). */
static int depth(volatile char *up, long n, long limit) {
    volatile char frame[256];
    frame[0] = (char)n;
    frame[255] = up != NULL ? up[0] : 0;
    if (n == limit)
        return 0;
    return depth(frame, n + 1, limit) + frame[0];
}

static int case_recurse(void) {
    puts("recursing");
    fflush(stdout);
    return depth(NULL, 0, -1);
}

/* Reads at most 4 KiB of path; prints "LABEL: ENAME" and, if it opened, the
 * bytes read (printable ones, others as '.') after "LABEL: data ". */
static void try_read(const char *label, const char *path) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        say(label, errno);
        return;
    }
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    int err = n < 0 ? errno : 0;
    close(fd);
    printf("%s: %s data ", label, errname(err));
    for (ssize_t i = 0; i < n; i++)
        putchar(buf[i] >= 32 && buf[i] < 127 ? buf[i] : '.');
    putchar('\n');
    fflush(stdout);
}

/* Every way out of /host we know of. The test puts a secret file beside
 * the instance's host folder (../secret in the host's view) and host-side
 * symlinks host/out-rel -> ../secret, host/out-abs -> <absolute secret path>,
 * host/out-dir -> .. ; it passes the secret's absolute host path as argv[2]. */
static int case_escape(const char *abs_secret) {
    char path[1024];
    try_read("dotdot", "/host/../secret");
    try_read("dotdot-deep", "/host/../../../../../../secret");
    snprintf(path, sizeof path, "/host/../../../../../../..%s", abs_secret);
    try_read("dotdot-abs", path);
    try_read("host-abs", abs_secret);
    snprintf(path, sizeof path, "/host%s", abs_secret);
    try_read("host-prefixed", path);
    try_read("symlink-rel", "/host/out-rel");
    try_read("symlink-abs", "/host/out-abs");
    try_read("symlink-dir", "/host/out-dir/secret");
    /* symlinks made inside, pointing out */
    say("mk-symlink-rel", symlink("../secret", "/host/in-rel") == 0 ? 0 : errno);
    try_read("in-rel", "/host/in-rel");
    say("mk-symlink-abs", symlink(abs_secret, "/host/in-abs") == 0 ? 0 : errno);
    try_read("in-abs", "/host/in-abs");
    say("mk-symlink-up", symlink("../../../../..", "/host/in-up") == 0 ? 0 : errno);
    snprintf(path, sizeof path, "/host/in-up%s", abs_secret);
    try_read("in-up", path);
    /* chdir into /host, then climb */
    if (chdir("/host") == 0) {
        try_read("cwd-dotdot", "../secret");
        try_read("cwd-deep", "../../../../secret");
        chdir("/");
    }
    /* WASI's own face: a path relative to the root preopen (fd 3) */
    say("mkdir-out", mkdir("/host/../escape-dir", 0755) == 0 ? 0 : errno);
    /* hard links and renames across mounts */
    say("put-inside", put_file("/tmp/inside", "written inside\n") == 0 ? 0 : errno);
    say("link-tmp-to-host", link("/tmp/inside", "/host/linked") == 0 ? 0 : errno);
    say("link-host-out", link("/host/out-rel", "/tmp/link-out") == 0 ? 0 : errno);
    say("rename-tmp-to-host", rename("/tmp/inside", "/host/renamed") == 0 ? 0 : errno);
    say("rename-host-up", rename("/host/victim", "/host/../victim-moved") == 0 ? 0 : errno);
    say("rename-host-to-root", rename("/host/victim", "/victim-moved") == 0 ? 0 : errno);
    /* listing the folder above /host */
    DIR *d = opendir("/host/..");
    if (d != NULL) {
        struct dirent *e;
        printf("list-up:");
        while ((e = readdir(d)) != NULL)
            printf(" %s", e->d_name);
        printf("\n");
        closedir(d);
    } else {
        say("list-up", errno);
    }
    /* writing through an outward symlink */
    int fd = open("/host/out-rel", O_WRONLY | O_TRUNC);
    say("write-through-symlink", fd < 0 ? errno : 0);
    if (fd >= 0) {
        write(fd, "overwritten\n", 12);
        close(fd);
    }
    return 0;
}

static int case_proc(const char *pid) {
    static const char *names[] = {"mem", "environ", "maps", "smaps", "pagemap", "auxv",
                                   "stack", "syscall", "cmdline", "status", "root/secret",
                                   "cwd/innocent.data", "exe", NULL};
    char path[256], label[64];
    for (int i = 0; names[i] != NULL; i++) {
        snprintf(path, sizeof path, "/proc/%s/%s", pid, names[i]);
        snprintf(label, sizeof label, "proc-%s", names[i]);
        try_read(label, path);
    }
    for (int fd = 0; fd < 8; fd++) {
        snprintf(path, sizeof path, "/proc/%s/fd/%d", pid, fd);
        snprintf(label, sizeof label, "proc-fd-%d", fd);
        try_read(label, path);
    }
    return 0;
}

static int spawn_and_report(const char *what, const char *path, char **argv, char **envp) {
    pid_t pid;
    int rc = posix_spawn(&pid, path, NULL, NULL, argv, envp);
    say(what, rc);
    if (rc != 0)
        return 0;
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        say("waitpid", errno);
        return 1;
    }
    if (WIFSIGNALED(st))
        printf("status: signaled %d\n", WTERMSIG(st));
    else
        printf("status: exited %d\n", WEXITSTATUS(st));
    return 0;
}

static int case_big(int env, long n, long size) {
    char **list = calloc((size_t)n + 3, sizeof *list);
    char *one = malloc((size_t)size + 1);
    if (list == NULL || one == NULL) {
        say("bigargs-alloc", ENOMEM);
        return 1;
    }
    memset(one, 'A', (size_t)size);
    one[size] = '\0';
    if (env && size >= 2)
        one[1] = '=';
    char *small_argv[] = {"hostile", "count", NULL};
    char *small_env[] = {NULL};
    if (env) {
        for (long i = 0; i < n; i++)
            list[i] = one;
        fflush(stdout);
        return spawn_and_report("bigenv", "/bin/hostile", small_argv, list);
    }
    list[0] = "hostile";
    list[1] = "count";
    for (long i = 0; i < n; i++)
        list[i + 2] = one;
    fflush(stdout);
    return spawn_and_report("bigargs", "/bin/hostile", list, small_env);
}

static int case_count(int argc, char **argv) {
    long bytes = 0, envc = 0;
    for (int i = 0; i < argc; i++)
        bytes += (long)strlen(argv[i]) + 1;
    for (char **e = environ; *e != NULL; e++)
        envc++;
    printf("count: argc=%d envc=%ld bytes=%ld\n", argc, envc, bytes);
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "memory"))
        return case_memory();
    if (!strcmp(mode, "hold")) {
        case_memory();
        printf("holding %zu bytes\n", __builtin_wasm_memory_size(0) * 65536);
        fflush(stdout);
        for (;;)
            pause();
    }
    if (!strcmp(mode, "grow"))
        return case_grow();
    if (!strcmp(mode, "deepdir") && argc > 3)
        return case_deepdir(argv[2], atol(argv[3]));
    if (!strcmp(mode, "files") && argc > 3)
        return case_files(argv[2], atol(argv[3]));
    if (!strcmp(mode, "pipes") && argc > 2)
        return case_fill(atol(argv[2]), 0);
    if (!strcmp(mode, "sockets") && argc > 2)
        return case_fill(atol(argv[2]), 1);
    if (!strcmp(mode, "tmpfill") && argc > 3)
        return case_tmpfill(argv[2], atol(argv[3]));
    if (!strcmp(mode, "fds"))
        return case_fds();
    if (!strcmp(mode, "spawn"))
        return case_spawn();
    if (!strcmp(mode, "block"))
        return case_block();
    if (!strcmp(mode, "spin"))
        return case_spin();
    if (!strcmp(mode, "storm") && argc > 3)
        return case_storm((pid_t)atoi(argv[2]), atol(argv[3]));
    if (!strcmp(mode, "pipe"))
        return case_pipe();
    if (!strcmp(mode, "recurse"))
        return case_recurse();
    if (!strcmp(mode, "escape") && argc > 2)
        return case_escape(argv[2]);
    if (!strcmp(mode, "proc") && argc > 2)
        return case_proc(argv[2]);
    if ((!strcmp(mode, "bigargs") || !strcmp(mode, "bigenv")) && argc > 3)
        return case_big(!strcmp(mode, "bigenv"), atol(argv[2]), atol(argv[3]));
    if (!strcmp(mode, "count"))
        return case_count(argc, argv);
    if (!strcmp(mode, "exec") && argc > 2) {
        char *args[] = {argv[2], NULL};
        execve(argv[2], args, environ);
        say("exec", errno);
        return 0;
    }
    if (!strcmp(mode, "spawnfile") && argc > 2) {
        char *args[] = {argv[2], NULL};
        return spawn_and_report("spawnfile", argv[2], args, environ);
    }
    fprintf(stderr, "hostile: unknown mode %s\n", mode);
    return 2;
}
