"""libocclum: the POSIX process, signal and descriptor API over the `occlum` ABI v2.

Two kinds of checks, neither needs the PyOcclum kernel:

* a corpus of small, unmodified POSIX programs builds with ``occlum-cc -Wall
  -Wextra -Werror`` (and links: every function exists), and what it imports
  from ``occlum`` has exactly the signatures of docs/abi.md;
* a probe program runs under wasmtime's own WASI (allowed in tests) with a
  *recording* fake ``occlum`` module (`FakeKernel`), which checks what each
  POSIX function passes to the kernel: records, Linux flag values, table
  indices, ... The fake runs signal handlers the way the kernel will: by
  calling the guest's ``__occlum_signal_trampoline`` from inside a host call.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import wasmtime

from pyocclum.abi.errno import Errno
from pyocclum.cli import cc

# Build libocclum into a fresh cache of this module, not the user's (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("private_cache")


def occlum_cc(*argv: str | Path, cxx: bool = False) -> int:
    return cc.run([str(a) for a in argv], cxx)


# --- the contract: docs/abi.md ------------------------------------------------

I32, I64 = "i32", "i64"
ERRNO = (I32,)

#: Every `occlum` import of ABI versions 1 and 2: name -> (params, results).
ABI: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "abi_version": ((), ERRNO),
    "chdir": ((I32, I32), ERRNO),
    "getcwd": ((I32, I32, I32), ERRNO),
    "spawn": ((I32,) * 10, ERRNO),
    "execve": ((I32,) * 6, ERRNO),
    "wait4": ((I32,) * 4, ERRNO),
    "getpid": ((), ERRNO),
    "getppid": ((), ERRNO),
    "getpgid": ((I32, I32), ERRNO),
    "setpgid": ((I32, I32), ERRNO),
    "getsid": ((I32, I32), ERRNO),
    "setsid": ((I32,), ERRNO),
    "kill": ((I32, I32), ERRNO),
    "sigaction": ((I32, I32, I32), ERRNO),
    "sigprocmask": ((I32, I32, I32), ERRNO),
    "sigpending": ((I32,), ERRNO),
    "sigsuspend": ((I64,), ERRNO),
    "alarm": ((I32, I32), ERRNO),
    "pipe2": ((I32, I32), ERRNO),
    "dup": ((I32, I32), ERRNO),
    "dup3": ((I32, I32, I32), ERRNO),
    "fcntl": ((I32, I32, I32, I32), ERRNO),
    "fchdir": ((I32,), ERRNO),
    "umask": ((I32, I32), ERRNO),
    "openat": ((I32,) * 6, ERRNO),
    "getrlimit": ((I32, I32), ERRNO),
    "setrlimit": ((I32, I32), ERRNO),
    "uname": ((I32,), ERRNO),
    "sysinfo": ((I32,), ERRNO),
    # version 3: files
    "statfs": ((I32,) * 5, ERRNO),
    "fallocate": ((I32, I32, I64, I64), ERRNO),
    "open_tmpfile": ((I32,) * 6, ERRNO),
    "lock": ((I32,) * 4, ERRNO),
    "flock": ((I32, I32), ERRNO),
    "syncfs": ((I32,), ERRNO),
    "getdents64": ((I32,) * 4, ERRNO),
    # version 3: events and the rest
    "epoll_create1": ((I32, I32), ERRNO),
    "epoll_ctl": ((I32,) * 4, ERRNO),
    "epoll_pwait": ((I32, I32, I32, I64, I32, I32), ERRNO),
    "poll": ((I32, I32, I32, I32, I64, I32, I32), ERRNO),
    "eventfd2": ((I32,) * 3, ERRNO),
    "timerfd_create": ((I32,) * 3, ERRNO),
    "timerfd_settime": ((I32,) * 4, ERRNO),
    "timerfd_gettime": ((I32, I32), ERRNO),
    "cpu_count": ((), ERRNO),
    "set_comm": ((I32, I32), ERRNO),
    "get_comm": ((I32, I32, I32), ERRNO),
    "getpriority": ((I32,) * 3, ERRNO),
    "setpriority": ((I32,) * 3, ERRNO),
    "getrusage": ((I32, I32), ERRNO),
    "wait4_usage": ((I32,) * 5, ERRNO),
    # version 3: modes, ownership and paths (with version 2's fchmodat; fstatat2 is
    # version 2's fstatat with the device number, which libocclum no longer calls)
    "fstatat2": ((I32,) * 5, ERRNO),
    "fchmodat": ((I32,) * 5, ERRNO),
    "mkdirat": ((I32,) * 4, ERRNO),
    "unlinkat": ((I32,) * 4, ERRNO),
    "renameat2": ((I32,) * 7, ERRNO),
    "linkat": ((I32,) * 7, ERRNO),
    "symlinkat": ((I32,) * 5, ERRNO),
    "readlinkat": ((I32,) * 6, ERRNO),
    "realpath": ((I32,) * 5, ERRNO),
    "utimensat": ((I32,) * 5, ERRNO),
    "faccessat": ((I32,) * 5, ERRNO),
    "fchownat": ((I32,) * 6, ERRNO),
    # version 3: synchronization
    "sched_check": ((I64,), ERRNO),
    # version 3: threads (occlum-cc -pthread programs)
    "thread_spawn": ((I32, I32), ERRNO),
    "thread_exit": ((), ()),
    "gettid": ((), ERRNO),
    "tkill": ((I32, I32), ERRNO),
    # version 3: signals
    "sigqueueinfo": ((I32,) * 4, ERRNO),
    "sigtimedwait": ((I64, I64, I32), ERRNO),
    "setitimer": ((I32, I32, I32), ERRNO),
    # version 3: raw WASI (Linux's lseek beside wasmtime's fd_seek)
    "lseek": ((I32, I64, I32, I32), ERRNO),
}
TRAMPOLINE = "__occlum_signal_trampoline"
#: Its version-3 type: (sig, handler, flags, code, pid, uid, value, status, mask) -> mask.
TRAMPOLINE_TYPE = ((I32,) * 8 + (I64,), (I64,))

# Linux (x86-64) values, which the kernel takes.
O_WRONLY, O_RDWR, O_CREAT, O_EXCL, O_TRUNC = 0o1, 0o2, 0o100, 0o200, 0o1000
O_APPEND, O_NONBLOCK, O_DIRECTORY, O_NOFOLLOW = 0o2000, 0o4000, 0o200000, 0o400000
O_CLOEXEC, O_SYNC = 0o2000000, 0o4010000
F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC = 0, 1, 2, 3, 4, 1030
SA_SIGINFO, SA_ONSTACK, SA_RESTART = 4, 0x08000000, 0x10000000
SA_NODEFER, SA_RESETHAND = 0x40000000, 0x80000000
SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGTERM, SIGCHLD = 1, 2, 3, 10, 12, 13, 15, 17
SI_TKILL = -6
FA_OPEN, FA_DUP2, FA_CLOSE, FA_CHDIR, FA_FCHDIR = 1, 2, 3, 4, 5
SPAWN_SETPGROUP, SPAWN_SETSIGDEF, SPAWN_SETSIGMASK, SPAWN_SETSID = 2, 4, 8, 0x80
WNOHANG = 1
RLIMIT_NPROC, RLIMIT_NOFILE = 6, 7


def bit(*signals: int) -> int:
    return sum(1 << (s - 1) for s in set(signals))


# --- (a) the corpus: unmodified POSIX programs --------------------------------

SPAWN_PIPELINE = r"""
/* ls | wc: a pipeline of two children, as a small shell would run it. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static pid_t run(const char *prog, char *const argv[], int in, int out, int closefd) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (in != STDIN_FILENO) posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
    if (out != STDOUT_FILENO) posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
    if (closefd >= 0) posix_spawn_file_actions_addclose(&fa, closefd);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY | O_APPEND, 0);
    posix_spawn_file_actions_addchdir_np(&fa, "/tmp");
    posix_spawn_file_actions_addfchdir_np(&fa, 3);
    pid_t pid = -1;
    int rc = posix_spawnp(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) { fprintf(stderr, "%s: %s\n", prog, strerror(rc)); return -1; }
    return pid;
}

int main(void) {
    int p[2];
    if (pipe(p) < 0) { perror("pipe"); return 1; }
    char *ls[] = {"ls", "-l", NULL}, *wc[] = {"wc", "-l", NULL};
    pid_t a = run("ls", ls, STDIN_FILENO, p[1], p[0]);
    pid_t b = run("wc", wc, p[0], STDOUT_FILENO, p[1]);
    close(p[0]);
    close(p[1]);
    int status, failed = 0;
    for (pid_t pid; (pid = wait(&status)) > 0;) {
        if (WIFEXITED(status) && WEXITSTATUS(status) != 0) failed = 1;
        if (WIFSIGNALED(status)) printf("%d killed by %d\n", pid, WTERMSIG(status));
    }
    if (errno != ECHILD) perror("wait");
    return failed || a < 0 || b < 0;
}
"""

SPAWN_ATTRS = r"""
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>

int main(int argc, char **argv) {
    posix_spawnattr_t attr;
    sigset_t mask, def;
    short flags;
    pid_t pgroup, pid;
    (void)argc;
    posix_spawnattr_init(&attr);
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigfillset(&def);
    sigdelset(&def, SIGKILL);
    posix_spawnattr_setsigmask(&attr, &mask);
    posix_spawnattr_setsigdefault(&attr, &def);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID |
                                    POSIX_SPAWN_RESETIDS);
    posix_spawnattr_getflags(&attr, &flags);
    posix_spawnattr_getpgroup(&attr, &pgroup);
    posix_spawnattr_getsigmask(&attr, &mask);
    posix_spawnattr_getsigdefault(&attr, &def);
    int rc = posix_spawn(&pid, argv[0], NULL, &attr, argv, NULL);
    posix_spawnattr_destroy(&attr);
    if (rc == 0 && waitpid(pid, NULL, 0) == pid)
        printf("flags %d pgroup %d usr1 %d\n", flags, (int)pgroup, sigismember(&mask, SIGUSR1));
    return rc;
}
"""

SIGNALS = r"""
/* A daemon's signal set-up: SIGCHLD reaper, SIGTERM flag, SIGALRM tick. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop, ticks;

static void on_chld(int sig, siginfo_t *info, void *ctx) {
    (void)sig; (void)info; (void)ctx;
    int saved = errno;
    while (waitpid(-1, NULL, WNOHANG) > 0) {}
    errno = saved;
}
static void on_term(int sig) { (void)sig; stop = 1; }
static void on_alarm(int sig) { (void)sig; ticks++; alarm(1); }

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGCHLD, &sa, NULL) < 0) perror("sigaction");
    sa.sa_handler = on_term;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    sigaddset(&sa.sa_mask, SIGINT);
    sigaction(SIGTERM, &sa, NULL);
    sighandler_t old = signal(SIGALRM, on_alarm);
    if (old == SIG_ERR) perror("signal");
    signal(SIGPIPE, SIG_IGN);
    signal(SIGHUP, SIG_DFL);
    siginterrupt(SIGALRM, 1);

    sigset_t block, orig, pending;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &orig);
    pthread_sigmask(SIG_SETMASK, &orig, NULL);
    sigpending(&pending);
    if (sigismember(&pending, SIGTERM)) printf("pending\n");
    alarm(1);
    while (!stop && ticks < 3) sigsuspend(&orig);
    pause();
    kill(getpid(), SIGUSR1);
    killpg(getpgrp(), 0);
    raise(SIGTERM);
    psignal(SIGINT, "info");
    printf("%s %d\n", strsignal(SIGTERM), NSIG);
    /* version 3: queued real-time signals, waiting for them, the alternate stack */
    sigaddset(&block, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sigqueue(getpid(), SIGRTMIN, (union sigval){.sival_int = 7});
    siginfo_t si;
    struct timespec ts = {0, 0};
    if (sigtimedwait(&block, &si, &ts) == SIGRTMIN) printf("%d\n", si.si_value.sival_int);
    static char stack[SIGSTKSZ];
    stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack};
    sigaltstack(&ss, NULL);
    struct itimerval it = {{0, 0}, {0, 10000}};
    setitimer(ITIMER_REAL, &it, NULL);
    return 0;
}
"""

EXEC_FAMILY = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    char *env[] = {"PATH=/bin", "HOME=/root", NULL};
    char *args[] = {"prog", "--flag", NULL};
    if (argc > 5) execl("/bin/prog", "prog", "a", "b", (char *)NULL);
    if (argc > 4) execle("/bin/prog", "prog", (char *)NULL, env);
    if (argc > 3) execlp("prog", "prog", "c", (char *)NULL);
    if (argc > 2) execv("/bin/prog", args);
    if (argc > 1) execvp(argv[1], argv + 1);
    if (argc > 6) execvpe("prog", args, env);
    execve("/bin/prog", args, environ);
    fprintf(stderr, "exec: %s\n", strerror(errno));
    pid_t pid = fork();
    if (pid < 0 && errno == ENOSYS) printf("no fork\n");
    if (pid == 0) _exit(0);
    if (vfork() < 0) printf("no vfork either\n");
    exit(127);
}
"""

DESCRIPTORS = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

static int set_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int main(void) {
    int p[2], q[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0 || pipe(q) < 0) return 1;
    set_nonblock(q[0]);
    int a = dup(p[0]);
    int b = dup2(a, 10);
    int c = dup3(b, 11, O_CLOEXEC);
    int d = fcntl(c, F_DUPFD_CLOEXEC, 20);
    int e = fcntl(d, F_DUPFD, 30);
    int flags = fcntl(e, F_GETFD);
    fcntl(e, F_SETFD, flags | FD_CLOEXEC);
    int fd = open("/tmp/file", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    int dir = openat(AT_FDCWD, "/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0 && lseek(dir, 0, SEEK_SET) != 0) return 2;
    if (dir >= 0 && fchdir(dir) == 0) {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd)) printf("cwd %s\n", cwd);
    }
    chdir("/");
    mode_t old = umask(077);
    umask(old);
    printf("%d %d %d %d %d %d %d pipe_buf %d\n", a, b, c, d, e, fd, dir, PIPE_BUF);
    char buf[PIPE_BUF];
    ssize_t n = read(p[0], buf, sizeof buf);
    if (n < 0 && errno == EAGAIN) printf("empty\n");
    return 0;
}
"""

SYSTEM_INFO = r"""
#include <linux/limits.h>
#include <limits.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct utsname u;
    struct sysinfo si;
    struct rlimit rl;
    struct timeval tv;
    struct timespec ts = {0, 1000}, now;
    gid_t groups[NGROUPS_MAX];
    unsigned char key[32];
    if (uname(&u) == 0)
        printf("%s %s %s %s %s\n", u.sysname, u.nodename, u.release, u.version, u.machine);
    if (sysinfo(&si) == 0)
        printf("up %ld s, %lu of %lu units of %u, %d procs\n", (long)si.uptime, si.freeram,
               si.totalram, si.mem_unit, si.procs);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    getrlimit(RLIMIT_NPROC, &rl);
    getrlimit(RLIMIT_AS, &rl);
    getrlimit(RLIMIT_DATA, &rl);
    getrlimit(RLIMIT_STACK, &rl);
    gettimeofday(&tv, NULL);
    nanosleep(&ts, NULL);
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    clock_gettime(CLOCK_REALTIME_COARSE, &now);
    if (getrandom(key, sizeof key, 0) != (ssize_t)sizeof key) return 1;
    printf("uid %d euid %d gid %d egid %d groups %d\n", (int)getuid(), (int)geteuid(),
           (int)getgid(), (int)getegid(), getgroups(NGROUPS_MAX, groups));
    printf("pid %d ppid %d pgid %d pgrp %d sid %d\n", (int)getpid(), (int)getppid(),
           (int)getpgid(0), (int)getpgrp(), (int)getsid(0));
    if (setpgid(0, 0) < 0) perror("setpgid");
    if (setsid() < 0) perror("setsid");
    printf("%d %d\n", PATH_MAX, NAME_MAX);
    return 0;
}
"""

SHELL = r"""
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

int main(void) {
    if (!system(NULL)) { puts("no shell"); return 1; }
    int st = system("exit 3");
    if (st == -1) perror("system");
    else if (WIFEXITED(st)) printf("exit %d\n", WEXITSTATUS(st));
    else if (WIFSIGNALED(st)) printf("signal %d\n", WTERMSIG(st));
    FILE *in = popen("ls /", "r");
    char line[256];
    while (in && fgets(line, sizeof line, in)) fputs(line, stdout);
    if (in) printf("ls: %d\n", pclose(in));
    FILE *out = popen("cat > /tmp/x", "we");
    if (out) { fputs("hello\n", out); pclose(out); }
    return 0;
}
"""

WAITING = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

int main(void) {
    int status;
    struct rusage ru;
    siginfo_t info;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    pid = wait4(-1, &status, WNOHANG, &ru);
    pid = wait3(&status, 0, &ru);
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG) == 0 && info.si_pid != 0)
        printf("%d %d %d\n", info.si_pid, info.si_code == CLD_EXITED, info.si_status);
    waitid(P_PID, 5, &info, WEXITED);
    waitid(P_PGID, 0, &info, WEXITED);
    if (pid < 0 && errno == ECHILD) puts("no children");
    if (WIFEXITED(status) || WIFSIGNALED(status) || WIFSTOPPED(status) || WIFCONTINUED(status))
        printf("%d %d %d %d\n", WEXITSTATUS(status), WTERMSIG(status), WSTOPSIG(status),
               WCOREDUMP(status));
    return 0;
}
"""

#: Built with -std=c11 (strict ISO C): the wrappers must not break it.
STRICT_C11 = r"""
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static volatile sig_atomic_t seen;
static void on_int(int sig) { seen = sig; }
int main(void) {
    if (signal(SIGINT, on_int) == SIG_ERR) return 1;
    raise(SIGINT);
    printf("%d %d\n", (int)seen, time(NULL) > 0);
    return EXIT_SUCCESS;
}
"""

#: Built with -std=c99 -D_POSIX_C_SOURCE=200809L: POSIX only, no BSD/GNU.
POSIX_ONLY = r"""
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char *argv[]) {
    struct sigaction sa = {0};
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGPIPE, &sa, NULL);
    pid_t pid;
    int p[2];
    if (argc < 2 || pipe(p) != 0) return 2;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    if (posix_spawnp(&pid, argv[1], &fa, NULL, argv + 1, NULL) != 0) return 1;
    close(p[1]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {}
    kill(getpid(), 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
"""

#: C++: the declarations must be extern "C" and accept C++ (restrict, arrays).
CXX = r"""
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

static void on_usr1(int) {}

int main(int argc, char **argv) {
    std::vector<std::string> args(argv, argv + argc);
    struct sigaction sa {};
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, nullptr);
    std::signal(SIGUSR2, SIG_IGN);
    pid_t pid;
    std::vector<char *> cargv{argv[0], nullptr};
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, cargv.data(), nullptr) == 0)
        waitpid(pid, nullptr, 0);
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) == 0) dup2(fds[0], 5);
    struct utsname u;
    uname(&u);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    std::printf("%s %zu %d\n", u.sysname, args.size(), getppid());
    return 0;
}
"""

#: Linux file calls of ABI version 3 (statfs, fallocate, O_TMPFILE, locks, flock, sync).
FILES = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>
int main(void) {
    char dents[256];
    int dir = open("/", O_RDONLY | O_DIRECTORY);
    if (syscall(SYS_getdents64, dir, dents, sizeof dents) < 0) return 7;
    struct statfs sf;
    struct statvfs sv;
    if (statfs("/", &sf) != 0 || statvfs("/", &sv) != 0) return 1;
    int fd = open("/tmp", O_TMPFILE | O_RDWR, 0600);
    if (fd < 0 || fstatfs(fd, &sf) != 0 || fstatvfs(fd, &sv) != 0) return 2;
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 4096) != 0) return 3;
    if (posix_fallocate(fd, 0, 10) != 0) return 4;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    if (fcntl(fd, F_SETLK, &fl) != 0 || fcntl(fd, F_GETLK, &fl) != 0) return 5;
    if (lockf(fd, F_TLOCK, 0) != 0 || flock(fd, LOCK_EX | LOCK_NB) != 0) return 6;
    sync();
    printf("%lu %lu\n", (unsigned long)sf.f_namelen, (unsigned long)sv.f_namemax);
    return syncfs(fd);
}
"""

#: Events and the rest of ABI version 3 (epoll, poll, select, eventfd, timerfd, prctl, ...).
EVENTS = r"""
#define _GNU_SOURCE
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <unistd.h>
int main(void) {
    int ep = epoll_create1(EPOLL_CLOEXEC), efd = eventfd(1, EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1}, out[2];
    if (ep < 0 || efd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) != 0) return 1;
    if (epoll_wait(ep, out, 2, 0) != 1) return 2;
    struct pollfd pfd = {.fd = efd, .events = POLLIN};
    fd_set set;
    FD_ZERO(&set);
    FD_SET(efd, &set);
    struct timeval tv = {0, 0};
    if (poll(&pfd, 1, 0) != 1 || select(efd + 1, &set, NULL, NULL, &tv) != 1) return 3;
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    struct itimerspec its = {{0, 0}, {1, 0}}, cur;
    if (timerfd_settime(tfd, 0, &its, NULL) != 0 || timerfd_gettime(tfd, &cur) != 0) return 4;
    char name[16];
    if (prctl(PR_SET_NAME, "corpus") != 0 || prctl(PR_GET_NAME, name) != 0) return 5;
    if (setpriority(PRIO_PROCESS, 0, 1) != 0 || getpriority(PRIO_PROCESS, 0) != 1) return 6;
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) != 0) return 8;
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) != 0) return 7;
    printf("%s %ld %d %lu\n", name, sysconf(_SC_NPROCESSORS_ONLN), CPU_COUNT(&cpus),
           getauxval(AT_PAGESZ));
    return 0;
}
"""

# libocclum's sync objects replace wasi-libc's pthread stubs (which never
# wait, so a program linked with them imports no sched_check).
SYNC = r"""
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <time.h>
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int inits;
static void init(void) { inits++; }
int main(void) {
    pthread_mutexattr_t a;
    pthread_mutex_t m;
    if (pthread_mutexattr_init(&a) || pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK) ||
        pthread_mutex_init(&m, &a)) return 1;
    if (pthread_mutex_lock(&m) || pthread_mutex_lock(&m) != EDEADLK ||
        pthread_mutex_destroy(&m) != EBUSY) return 2;
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    struct timespec at = {0, 0};
    if (pthread_cond_timedwait(&c, &m, &at) != ETIMEDOUT || pthread_mutex_unlock(&m)) return 3;
    sem_t s;
    clock_gettime(CLOCK_REALTIME, &at);
    at.tv_sec += 1;
    if (sem_init(&s, 0, 1) || sem_timedwait(&s, &at) || sem_trywait(&s) != -1) return 4;
    pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    if (pthread_rwlock_rdlock(&rw) || pthread_rwlock_trywrlock(&rw) != EBUSY ||
        pthread_rwlock_unlock(&rw)) return 5;
    pthread_barrier_t b;
    if (pthread_barrier_init(&b, NULL, 1) ||
        pthread_barrier_wait(&b) != PTHREAD_BARRIER_SERIAL_THREAD) return 6;
    pthread_key_t k;
    if (pthread_key_create(&k, NULL) || pthread_setspecific(k, &k) ||
        pthread_getspecific(k) != &k) return 7;
    pthread_spinlock_t sp;
    if (pthread_spin_init(&sp, 0) || pthread_spin_lock(&sp) ||
        pthread_spin_trylock(&sp) != EBUSY) return 8;
    pthread_once(&once, init);
    pthread_once(&once, init);
    printf("%d\n", inits);
    return 0;
}
"""

#: name -> (source, extra flags, C++?)
#: Modes, owners and the path calls of ABI version 3 (syscalls/paths.py).
PATHS = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>
int main(void) {
    char buf[PATH_MAX];
    struct stat st;
    if (mkdir("/tmp/d", 0750) != 0 || stat("/tmp/d", &st) != 0 || chmod("/tmp/d", 0700) != 0)
        return 1;
    int fd = creat("/tmp/d/f", 0644);
    if (fd < 0 || access("/tmp/d/f", R_OK) != 0 || chown("/tmp/d/f", 1, 1) != 0) return 2;
    if (link("/tmp/d/f", "/tmp/d/g") != 0 || symlink("g", "/tmp/d/l") != 0) return 3;
    if (readlink("/tmp/d/l", buf, sizeof buf) != 1 || !realpath("/tmp/d/l", buf)) return 4;
    if (rename("/tmp/d/g", "/tmp/d/h") != 0 || utimes("/tmp/d/h", NULL) != 0) return 5;
    if (futimens(fd, NULL) != 0 || utime("/tmp/d/h", NULL) != 0) return 6;
    if (unlink("/tmp/d/h") != 0 || remove("/tmp/d/l") != 0 || unlink("/tmp/d/f") != 0) return 7;
    printf("%s\n", buf);
    return rmdir("/tmp/d");
}
"""

#: Threads (occlum-cc -pthread: a shared memory, one instance per thread).
THREADS = r"""
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
static __thread int tls = 1;
static void *run(void *arg) {
    tls += (int)(long)arg;
    if (arg == (void *)2) pthread_exit((void *)(long)tls);
    return (void *)(long)(tls + (gettid() != getpid()));
}
int main(void) {
    pthread_t t[2];
    void *r[2];
    for (long i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, run, (void *)(i + 1))) return 1;
    if (pthread_kill(t[0], 0) > 0 && pthread_kill(t[0], 0) != 3) return 2;
    for (int i = 0; i < 2; i++)
        if (pthread_join(t[i], &r[i])) return 3;
    char *p = malloc(10);
    free(p);
    printf("%ld %ld %d\n", (long)r[0], (long)r[1], tls);
    return 0;
}
"""

CORPUS: Mapping[str, tuple[str, tuple[str, ...], bool]] = {
    "spawn_pipeline": (SPAWN_PIPELINE, (), False),
    "spawn_attrs": (SPAWN_ATTRS, (), False),
    "signals": (SIGNALS, (), False),
    "exec_family": (EXEC_FAMILY, (), False),
    "descriptors": (DESCRIPTORS, (), False),
    "system_info": (SYSTEM_INFO, (), False),
    "shell": (SHELL, (), False),
    "waiting": (WAITING, (), False),
    "files": (FILES, (), False),
    "events": (EVENTS, (), False),
    "sync": (SYNC, (), False),
    "paths": (PATHS, (), False),
    "threads": (THREADS, ("-pthread",), False),
    "strict_c11": (STRICT_C11, ("-std=c11",), False),
    "posix_only": (POSIX_ONLY, ("-std=c99", "-D_POSIX_C_SOURCE=200809L"), False),
    "cxx": (CXX, ("-std=c++17",), True),
}

#: The headers libocclum adds or wraps; each must compile on its own.
HEADERS = (
    "spawn.h", "sys/wait.h", "signal.h", "unistd.h", "fcntl.h", "stdio.h", "time.h",
    "limits.h", "linux/limits.h", "sys/resource.h", "sys/random.h", "sys/stat.h",
    "sys/utsname.h", "sys/sysinfo.h", "sys/statfs.h", "sys/vfs.h", "sys/statvfs.h", "sys/file.h",
    "sys/sendfile.h", "linux/stat.h",
    "linux/magic.h", "poll.h", "sched.h", "sys/select.h", "sys/epoll.h", "sys/eventfd.h",
    "sys/timerfd.h", "sys/syscall.h", "asm/unistd.h", "sys/auxv.h", "sys/prctl.h", "sys/times.h",
    "stdlib.h", "sys/time.h", "utime.h", "ucontext.h", "sys/ucontext.h",
    "semaphore.h", "linux/futex.h", "pthread.h", "errno.h", "dirent.h",
)


@dataclass(frozen=True)
class Built:
    rc: int
    wasm: Path
    seconds: float


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    """Every corpus program, built in parallel (after one libocclum build)."""
    folder = tmp_path_factory.mktemp("corpus")
    cc.ensure_libocclum()

    def build(name: str) -> tuple[str, Built]:
        source, flags, cxx = CORPUS[name]
        src = folder / f"{name}.{'cpp' if cxx else 'c'}"
        src.write_text(source)
        out = folder / f"{name}.wasm"
        start = time.monotonic()
        rc = occlum_cc("-Wall", "-Wextra", "-Werror", *flags, src, "-o", out, cxx=cxx)
        return name, Built(rc, out, time.monotonic() - start)

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(pool.map(build, CORPUS))


def occlum_imports(wasm: Path) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(wasm))
    found: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
    for imp in module.imports:
        if imp.module == "occlum":
            assert imp.name is not None
            found[imp.name] = signature(imp.type)
        elif (imp.module, imp.name) != ("env", "memory"):  # -pthread: a shared memory
            assert imp.module == "wasi_snapshot_preview1", imp.module
    return found


def signature(ty: object) -> tuple[tuple[str, ...], tuple[str, ...]]:
    assert isinstance(ty, wasmtime.FuncType)
    return tuple(str(t) for t in ty.params), tuple(str(t) for t in ty.results)


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_builds_warning_free(corpus: dict[str, Built], name: str) -> None:
    built = corpus[name]
    assert built.rc == 0, f"{name} did not build (compiler output above)"
    imports = occlum_imports(built.wasm)
    for fn, types in imports.items():
        assert fn in ABI, f"{name} imports occlum.{fn}, which docs/abi.md does not define"
        assert types == ABI[fn], f"occlum.{fn}: {types} != {ABI[fn]}"
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(built.wasm))
    exports = {e.name: e.type for e in module.exports}
    assert signature(exports[TRAMPOLINE]) == TRAMPOLINE_TYPE


def test_corpus_uses_the_whole_abi(corpus: dict[str, Built]) -> None:
    """Between them the corpus programs reach every ABI function (via libc)."""
    used: set[str] = set()
    for built in corpus.values():
        if built.rc == 0:
            used |= set(occlum_imports(built.wasm))
    assert used == set(ABI) - {"abi_version"}


def test_pthread_programs_import_a_shared_memory(corpus: dict[str, Built]) -> None:
    """-pthread: the memory is imported and shared, with the thread exports
    (docs/abi.md, Threads); without it, the memory is the program's own."""
    engine = wasmtime.Engine()
    threaded = wasmtime.Module.from_file(engine, str(corpus["threads"].wasm))
    memories = [i.type for i in threaded.imports if isinstance(i.type, wasmtime.MemoryType)]
    assert len(memories) == 1
    assert memories[0].is_shared
    exports = {e.name: signature(e.type) for e in threaded.exports
               if isinstance(e.type, wasmtime.FuncType)}
    assert exports["__occlum_thread_start"] == ((I32, I32), ())
    assert exports["__occlum_thread_done"] == ((I32,), ())
    plain = wasmtime.Module.from_file(engine, str(corpus["sync"].wasm))
    assert not [i for i in plain.imports if isinstance(i.type, wasmtime.MemoryType)]
    assert "__occlum_thread_start" not in {e.name for e in plain.exports}


def compiles(src: Path, *flags: str) -> bool:
    """Compile only (zig's driver rejects -fsyntax-only with -Werror)."""
    obj = src.with_suffix(".o")
    return occlum_cc("-Wall", "-Wextra", "-Werror", *flags, "-c", src, "-o", obj) == 0


@pytest.mark.parametrize("header", HEADERS)
def test_header_compiles_alone(tmp_path: Path, header: str) -> None:
    src = tmp_path / "h.c"
    src.write_text(f"#include <{header}>\nint x;\n")
    assert compiles(src)
    # Twice, and after every other header: guards and wraps hold.
    others = "".join(f"#include <{h}>\n" for h in HEADERS)
    src.write_text(f"#include <{header}>\n{others}#include <{header}>\nint x;\n")
    assert compiles(src)


def test_header_values(tmp_path: Path) -> None:
    """The values a program sees are Linux's, where the kernel takes them."""
    src = tmp_path / "values.c"
    src.write_text(r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#define SAME(a, b) _Static_assert((a) == (b), #a)
SAME(sizeof(sigset_t), 8);
SAME(SA_NOCLDSTOP, 1); SAME(SA_SIGINFO, 4); SAME(SA_ONSTACK, 0x08000000);
SAME(SA_RESTART, 0x10000000); SAME(SA_NODEFER, 0x40000000); SAME(SA_RESETHAND, 0x80000000u);
SAME(SIG_BLOCK, 0); SAME(SIG_UNBLOCK, 1); SAME(SIG_SETMASK, 2);
SAME(SIGKILL, 9); SAME(SIGPIPE, 13); SAME(SIGCHLD, 17); SAME(SIGSYS, 31); SAME(NSIG, 65);
SAME(WNOHANG, 1); SAME(WUNTRACED, 2); SAME(WEXITSTATUS(0x0300), 3); SAME(WTERMSIG(9), 9);
SAME(WIFSIGNALED(9), 1); SAME(WIFEXITED(9), 0); SAME(WIFEXITED(0x0300), 1);
SAME(F_DUPFD, 0); SAME(F_GETFD, 1); SAME(F_SETFD, 2); SAME(F_GETFL, 3); SAME(F_SETFL, 4);
SAME(F_DUPFD_CLOEXEC, 1030); SAME(FD_CLOEXEC, 1);
_Static_assert(O_CLOEXEC != 0, "O_CLOEXEC is a real flag");
_Static_assert((O_CLOEXEC & (O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_NONBLOCK
    | O_DIRECTORY | O_NOFOLLOW | O_SYNC | O_DSYNC | O_RSYNC)) == 0, "O_CLOEXEC is its own bit");
SAME(POSIX_SPAWN_RESETIDS, 1); SAME(POSIX_SPAWN_SETPGROUP, 2); SAME(POSIX_SPAWN_SETSIGDEF, 4);
SAME(POSIX_SPAWN_SETSIGMASK, 8); SAME(POSIX_SPAWN_SETSID, 0x80);
SAME(RLIMIT_DATA, 2); SAME(RLIMIT_STACK, 3); SAME(RLIMIT_NPROC, 6); SAME(RLIMIT_NOFILE, 7);
SAME(RLIMIT_AS, 9); SAME(RLIM_INFINITY, ~0ull);
SAME(P_ALL, 0); SAME(P_PID, 1); SAME(P_PGID, 2); SAME(sizeof(siginfo_t), 128);
int x;
""")
    assert compiles(src)


# --- (b) the probe, under a recording fake kernel --------------------------------

PROBE = r"""
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t last_signal, info_signal;

__attribute__((export_name("probe_last_signal"))) int probe_last_signal(void) {
    return last_signal;
}

static void on_signal(int sig) { last_signal = sig; }
static void on_info(int sig, siginfo_t *info, void *ctx) {
    info_signal = info != NULL && ctx != NULL && info->si_signo == sig ? sig : -1;
}

/* "label value errno" (errno 0 unless the value is -1). */
#define SHOW(label, expr)                                                      \
    do {                                                                       \
        errno = 0;                                                             \
        long v_ = (long)(expr);                                                \
        printf("%s %ld %d\n", (label), v_, v_ == -1 ? errno : 0);             \
    } while (0)

static void spawn(void) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/tmp/out", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                                     0640);
    posix_spawn_file_actions_addopen(&fa, 0, "/etc/in", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 5, "/d",
                                     O_RDWR | O_APPEND | O_NONBLOCK | O_EXCL | O_DIRECTORY |
                                         O_NOFOLLOW | O_SYNC, 0);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawn_file_actions_addclose(&fa, 7);
    posix_spawn_file_actions_addchdir_np(&fa, "/work");
    posix_spawn_file_actions_addfchdir_np(&fa, 4);
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                  POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID |
                                  POSIX_SPAWN_USEVFORK);
    posix_spawnattr_setpgroup(&at, 9);
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR1);
    sigaddset(&m, 64);
    posix_spawnattr_setsigmask(&at, &m);
    sigemptyset(&m);
    sigaddset(&m, SIGINT);
    posix_spawnattr_setsigdefault(&at, &m);
    char *args[] = {"child", "a b", "", NULL};
    char *env[] = {"K=V", "EMPTY=", NULL};
    pid_t pid = -1;
    int rc = posix_spawn(&pid, "/bin/child", &fa, &at, args, env);
    printf("spawn %d pid %d\n", rc, (int)pid);
    rc = posix_spawn(&pid, "/bin/bare", NULL, NULL, NULL, NULL);
    printf("bare %d pid %d\n", rc, (int)pid);
    rc = posix_spawn(&pid, "/bin/fails", NULL, NULL, args, NULL);
    printf("fails %d pid %d\n", rc, (int)pid);
    printf("bad fds %d %d %d %d\n", posix_spawn_file_actions_addclose(&fa, -1),
           posix_spawn_file_actions_adddup2(&fa, -1, 1),
           posix_spawn_file_actions_addopen(&fa, -1, "/x", O_RDONLY, 0),
           posix_spawn_file_actions_addfchdir_np(&fa, -1));
    printf("bad flags %d\n", posix_spawnattr_setflags(&at, 0x100));
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
}

static void spawnp(void) {
    char *args[] = {"prog", NULL};
    pid_t pid = -1;
    printf("spawnp %d\n", posix_spawnp(&pid, "prog", NULL, NULL, args, NULL));
    printf("spawnp slash %d\n", posix_spawnp(&pid, "./rel/prog", NULL, NULL, args, NULL));
    printf("spawnp empty %d\n", posix_spawnp(&pid, "", NULL, NULL, args, NULL));
}

static void signals(void) {
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART | SA_NODEFER;
    sigaddset(&sa.sa_mask, SIGUSR2);
    sigaddset(&sa.sa_mask, SIGTERM);
    SHOW("sigaction", sigaction(SIGUSR1, &sa, &old));
    printf("handler %u old-dfl %d\n", (unsigned)(uintptr_t)on_signal, old.sa_handler == SIG_DFL);
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    SHOW("ignore", sigaction(SIGPIPE, &sa, NULL));
    SHOW("query", sigaction(SIGPIPE, NULL, &old));
    printf("old-ign %d\n", old.sa_handler == SIG_IGN);
    SHOW("query", sigaction(SIGUSR1, NULL, &old));
    printf("old handler %d flags %#x mask %d\n", old.sa_handler == on_signal,
           (unsigned)old.sa_flags,
           sigismember(&old.sa_mask, SIGUSR2) && sigismember(&old.sa_mask, SIGTERM));
    sa.sa_sigaction = on_info;
    sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
    SHOW("siginfo", sigaction(SIGUSR2, &sa, NULL));
    printf("info-handler %u\n", (unsigned)(uintptr_t)on_info);
    sa.sa_handler = SIG_ERR;
    SHOW("sig_err", sigaction(SIGUSR2, &sa, NULL));
    SHOW("signal", signal(SIGTERM, on_signal) == SIG_DFL);
    SHOW("signal-again", signal(SIGTERM, SIG_DFL) == on_signal);
    SHOW("raise", raise(SIGUSR1));
    printf("last %d\n", (int)last_signal);
    SHOW("raise-info", raise(SIGUSR2));
    printf("info %d\n", (int)info_signal);
    SHOW("kill", kill(9, SIGTERM));
    SHOW("killpg", killpg(5, SIGHUP));
    SHOW("killpg-bad", killpg(-1, SIGHUP));
    sigset_t set, oldset;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGCHLD);
    SHOW("block", sigprocmask(SIG_BLOCK, &set, &oldset));
    printf("old-mask %d\n", sigismember(&oldset, SIGQUIT));
    SHOW("pthread_sigmask", pthread_sigmask(SIG_SETMASK, &oldset, NULL));
    SHOW("pthread_sigmask-bad", pthread_sigmask(7, &oldset, NULL));
    SHOW("pending", sigpending(&set));
    printf("pending %d %d\n", sigismember(&set, SIGHUP), sigismember(&set, SIGINT));
    SHOW("sigsuspend", sigsuspend(&set));
    SHOW("pause", pause());
    SHOW("alarm", alarm(3));
    SHOW("addset-0", sigaddset(&set, 0));
    SHOW("addset-65", sigaddset(&set, 65));
    SHOW("fillset", sigfillset(&set) + sigismember(&set, 64) + sigismember(&set, 1));
}

static void fds(void) {
    int p[2] = {-1, -1};
    SHOW("pipe", pipe(p));
    printf("fds %d %d\n", p[0], p[1]);
    SHOW("pipe2", pipe2(p, O_CLOEXEC | O_NONBLOCK));
    SHOW("pipe2-cloexec", pipe2(p, O_CLOEXEC));
    SHOW("pipe2-bad", pipe2(p, O_APPEND));
    SHOW("dup", dup(4));
    SHOW("dup2", dup2(4, 9));
    SHOW("dup2-same", dup2(4, 4));
    SHOW("dup3", dup3(4, 9, O_CLOEXEC));
    SHOW("dup3-bad", dup3(4, 9, O_NONBLOCK));
    SHOW("getfd", fcntl(4, F_GETFD));
    SHOW("setfd", fcntl(4, F_SETFD, FD_CLOEXEC));
    SHOW("dupfd", fcntl(4, F_DUPFD, 10));
    SHOW("dupfd-cloexec", fcntl(4, F_DUPFD_CLOEXEC, 10));
    int fl = fcntl(4, F_GETFL);
    printf("getfl wronly %d append %d nonblock %d\n", (fl & O_ACCMODE) == O_WRONLY,
           !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
    SHOW("setfl", fcntl(4, F_SETFL, O_RDWR | O_NONBLOCK | O_APPEND));
    SHOW("lease", fcntl(4, 1024 /* F_SETLEASE */, 0));
    int fd = open("/data.txt", O_RDONLY | O_CLOEXEC);
    printf("open-cloexec %d\n", fd >= 0);
    close(fd);
    fd = open("/data.txt", O_RDONLY);
    printf("open %d\n", fd >= 0);
    close(fd);
    fd = openat(AT_FDCWD, "/data.txt", O_RDONLY | O_CLOEXEC);
    printf("openat-cloexec %d\n", fd >= 0);
    close(fd);
    fd = openat(5, "new", O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_APPEND, 0640);
    printf("openat-create %d\n", fd >= 0);
    close(fd);
    SHOW("fchdir", fchdir(3));
    char buf[64];
    printf("cwd %s\n", getcwd(buf, sizeof buf));
    SHOW("umask", umask(01777));
}

static void waiting(void) {
    int st = 12345;
    SHOW("wnohang", waitpid(-1, &st, WNOHANG));
    printf("untouched %d\n", st == 12345);
    SHOW("waitpid", waitpid(100, &st, 0));
    printf("exited %d code %d\n", WIFEXITED(st), WEXITSTATUS(st));
    SHOW("wait", wait(&st));
    printf("signaled %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
    struct rusage ru;
    memset(&ru, 0xff, sizeof ru);
    SHOW("wait4", wait4(0, &st, 0, &ru));
    /* The kernel's figures (FakeKernel: 1.5 s user, 250 us system, 2 MiB), the rest 0. */
    printf("rusage %ld.%06ld %ld.%06ld %ld %ld\n", (long)ru.ru_utime.tv_sec,
           (long)ru.ru_utime.tv_usec, (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
           ru.ru_maxrss, ru.ru_nvcsw);
    siginfo_t si;
    SHOW("waitid", waitid(P_PGID, 5, &si, WEXITED | WNOHANG));
    printf("si %d %d %d %d\n", si.si_signo, (int)si.si_pid, si.si_code, si.si_status);
    SHOW("waitid-nowait", waitid(P_ALL, 0, &si, WEXITED | WNOWAIT));
    SHOW("echild", wait(NULL));
    SHOW("fork", fork());
    SHOW("vfork", vfork());
}

static void procs(void) {
    SHOW("getpid", getpid());
    SHOW("getppid", getppid());
    SHOW("getpgid", getpgid(0));
    SHOW("getpgrp", getpgrp());
    SHOW("setpgid", setpgid(3, 4));
    SHOW("setpgrp", setpgrp());
    SHOW("getsid", getsid(8));
    SHOW("setsid", setsid());
    SHOW("ids", getuid() + geteuid() + getgid() + getegid() + getgroups(0, NULL));
    struct rlimit rl;
    SHOW("getrlimit", getrlimit(RLIMIT_NOFILE, &rl));
    printf("rlimit %llu %llu\n", rl.rlim_cur, rl.rlim_max);
    rl.rlim_cur = 100;
    rl.rlim_max = RLIM_INFINITY;
    SHOW("setrlimit", setrlimit(RLIMIT_NPROC, &rl));
    struct utsname u;
    memset(&u, 'x', sizeof u);
    SHOW("uname", uname(&u));
    printf("uname %s|%s|%s|%s|%s|%s\n", u.sysname, u.nodename, u.release, u.version,
           u.machine, u.domainname);
    struct sysinfo si;
    SHOW("sysinfo", sysinfo(&si));
    printf("sysinfo up %lu total %llu free %llu procs %u unit %u\n", si.uptime,
           (unsigned long long)si.totalram * si.mem_unit,
           (unsigned long long)si.freeram * si.mem_unit, si.procs, si.mem_unit);
    char r[300];
    SHOW("getrandom", getrandom(r, sizeof r, GRND_NONBLOCK));
    SHOW("getrandom-bad", getrandom(r, 1, 0x100));
}

static void exec(void) {
    char *args[] = {"prog", "x", NULL};
    char *env[] = {"A=1", NULL};
    SHOW("execve", execve("/bin/prog", args, env));
    SHOW("execve-null", execve("/bin/prog", NULL, NULL));
    SHOW("execv", execv("/bin/prog", args));
    SHOW("execvp", execvp("prog", args));
    SHOW("execl", execl("/bin/prog", "prog", "1", "2", (char *)NULL));
    SHOW("execle", execle("/bin/prog", "prog", (char *)NULL, env));
    SHOW("execlp", execlp("prog", "prog", "z", (char *)NULL));
}

static void shell(void) {
    SHOW("system", system("echo hi"));
    SHOW("system-missing", system("x"));
    FILE *f = popen("ls /", "r");
    printf("popen %d\n", f != NULL);
    FILE *w = popen("cat", "we");
    printf("popen-w %d\n", w != NULL);
    SHOW("pclose-unknown", pclose(stdout));
    SHOW("pclose", pclose(f));
    SHOW("pclose-w", pclose(w));
    SHOW("popen-bad", popen("x", "rw") == NULL);
}

/* fcntl without the kernel (ENOSYS): wasi-libc's behaviour, over WASI. */
static void fallback(void) {
    int fd = open("/data.txt", O_RDWR | O_APPEND | O_CLOEXEC);
    printf("open-cloexec %d\n", fd >= 0);
    int fl = fcntl(fd, F_GETFL);
    printf("getfl rdwr %d append %d nonblock %d\n", (fl & O_ACCMODE) == O_RDWR,
           !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
    SHOW("setfl", fcntl(fd, F_SETFL, fl | O_NONBLOCK));
    printf("nonblock %d\n", !!(fcntl(fd, F_GETFL) & O_NONBLOCK));
    SHOW("getfd", fcntl(fd, F_GETFD));
    SHOW("setfd", fcntl(fd, F_SETFD, 0));
    SHOW("dupfd", fcntl(fd, F_DUPFD, 0));
    SHOW("badfd", fcntl(99, F_GETFL));
}

int main(int argc, char **argv) {
    const char *cmd = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "spawn")) spawn();
    else if (!strcmp(cmd, "spawnp")) spawnp();
    else if (!strcmp(cmd, "signals")) signals();
    else if (!strcmp(cmd, "fds")) fds();
    else if (!strcmp(cmd, "wait")) waiting();
    else if (!strcmp(cmd, "procs")) procs();
    else if (!strcmp(cmd, "exec")) exec();
    else if (!strcmp(cmd, "shell")) shell();
    else if (!strcmp(cmd, "fallback")) fallback();
    else if (!strcmp(cmd, "register")) {
        signal(SIGUSR1, on_signal);
        printf("handler %u\n", (unsigned)(uintptr_t)on_signal);
    } else return 2;
    return 0;
}
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("probe")
    src = folder / "probe.c"
    src.write_text(PROBE)
    out = folder / "probe.wasm"
    assert occlum_cc("-Wall", "-Wextra", "-Werror", src, "-o", out) == 0
    return out


class Memory:
    """Typed access to the calling instance's memory."""

    def __init__(self, caller: Any) -> None:
        self.caller = caller
        self.mem = caller["memory"]

    def read(self, ptr: int, size: int) -> bytes:
        return bytes(self.mem.read(self.caller, ptr, ptr + size))

    def u32(self, ptr: int) -> int:
        value: int = struct.unpack("<I", self.read(ptr, 4))[0]
        return value

    def cstr(self, ptr: int) -> str:
        out = bytearray()
        while (b := self.read(ptr + len(out), 1)) != b"\0":
            out += b
        return out.decode()

    def strings(self, ptr: int, count: int) -> list[str]:
        return [self.cstr(self.u32(ptr + 4 * i)) for i in range(count)]

    def write(self, ptr: int, data: bytes) -> None:
        self.mem.write(self.caller, data, ptr)


@dataclass
class Spawn:
    path: str
    argv: list[str]
    envp: list[str]
    actions: list[tuple[int, ...]]  # the 8 u32 fields of each 32-byte record
    action_paths: list[str | None]
    attr: tuple[int, ...] | None  # flags, pgroup, sigdefault, sigmask, reserved


@dataclass
class FakeKernel:
    """The `occlum` module, recording every call and answering from scripts.

    ``errnos[name]`` is a queue of results for that import (default 0);
    imports in ``absent`` always answer ENOSYS (as a harness without the
    kernel does); ``waits`` a queue of (errno, pid, status) for wait4. Signals sent to
    pid 7 (the caller) run the registered handler through the guest's
    trampoline before kill returns, as the kernel does.
    """

    cwd: str = "/"
    pid: int = 7
    errnos: dict[str, list[int]] = field(default_factory=dict)
    absent: set[str] = field(default_factory=set)
    waits: list[tuple[int, int, int]] = field(default_factory=list)
    pipes: list[tuple[int, int]] = field(default_factory=lambda: [(5, 6), (7, 8), (9, 10)])
    getfl: int = O_WRONLY | O_APPEND
    fchdir_to: str = "/tmp"
    calls: list[tuple[Any, ...]] = field(default_factory=list)
    spawns: list[Spawn] = field(default_factory=list)
    execs: list[Spawn] = field(default_factory=list)
    actions: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    mask: int = bit(SIGQUIT)
    next_pid: int = 100

    def result(self, name: str) -> int:
        if name in self.absent:
            return Errno.ENOSYS
        queue = self.errnos.get(name)
        return queue.pop(0) if queue else 0

    def names(self) -> list[str]:
        return [c[0] for c in self.calls]

    def of(self, name: str) -> list[tuple[Any, ...]]:
        return [c[1:] for c in self.calls if c[0] == name]

    def define(self, linker: Any, module: Any) -> None:
        for imp in module.imports:
            if imp.module != "occlum":
                continue
            handler: Callable[..., int] = getattr(self, f"_{imp.name}")

            def call(caller: Any, *args: int, _h: Callable[..., int] = handler) -> int:
                return _h(Memory(caller), *args)

            linker.define_func("occlum", imp.name, imp.type, call, access_caller=True)

    # processes

    def _abi_version(self, m: Memory) -> int:
        return 2

    def _getcwd(self, m: Memory, buf: int, size: int, out_len: int) -> int:
        data = self.cwd.encode()
        if len(data) > size:
            return Errno.ERANGE
        m.write(buf, data)
        m.write(out_len, struct.pack("<I", len(data)))
        return 0

    def _chdir(self, m: Memory, ptr: int, length: int) -> int:
        self.cwd = m.read(ptr, length).decode()
        self.calls.append(("chdir", self.cwd))
        return 0

    def _record(self, m: Memory, path: int, path_len: int, argv: int, argc: int,
                envp: int, envc: int) -> Spawn:
        return Spawn(m.read(path, path_len).decode(), m.strings(argv, argc),
                     m.strings(envp, envc), [], [], None)

    def _spawn(self, m: Memory, path: int, path_len: int, argv: int, argc: int, envp: int,
               envc: int, actions: int, nactions: int, attr: int, out_pid: int) -> int:
        s = self._record(m, path, path_len, argv, argc, envp, envc)
        for i in range(nactions):
            record = struct.unpack("<8I", m.read(actions + 32 * i, 32))
            s.actions.append(record)
            s.action_paths.append(m.read(record[5], record[6]).decode() if record[5] else None)
        if attr:
            s.attr = struct.unpack("<IiQQQ", m.read(attr, 32))
        self.spawns.append(s)
        self.calls.append(("spawn", s.path))
        rc = self.result("spawn")
        if rc == 0:
            m.write(out_pid, struct.pack("<i", self.next_pid))
            self.next_pid += 1
        return rc

    def _execve(self, m: Memory, path: int, path_len: int, argv: int, argc: int, envp: int,
                envc: int) -> int:
        s = self._record(m, path, path_len, argv, argc, envp, envc)
        self.execs.append(s)
        self.calls.append(("execve", s.path))
        return self.result("execve") or Errno.ENOEXEC

    def _wait4(self, m: Memory, pid: int, options: int, out_status: int, out_pid: int) -> int:
        self.calls.append(("wait4", pid, options))
        rc, child, status = self.waits.pop(0) if self.waits else (Errno.ECHILD, 0, 0)
        if rc == 0:
            m.write(out_status, struct.pack("<i", status))
            m.write(out_pid, struct.pack("<i", child))
        return rc

    def _wait4_usage(self, m: Memory, pid: int, options: int, out_status: int, out_pid: int,
                     out_usage: int) -> int:
        rc = self._wait4(m, pid, options, out_status, out_pid)
        if rc == 0 and out_usage:
            m.write(out_usage, struct.pack("<QQQ", 1_500_000_000, 250_000, 2048))
        return rc

    def _getrusage(self, m: Memory, who: int, out: int) -> int:
        self.calls.append(("getrusage", who))
        m.write(out, struct.pack("<QQQ", 3_000_001_000, 2_000, 4096))
        return 0

    def _getpid(self, m: Memory) -> int:
        return self.pid

    def _getppid(self, m: Memory) -> int:
        return 1

    def _getpgid(self, m: Memory, pid: int, out: int) -> int:
        self.calls.append(("getpgid", pid))
        m.write(out, struct.pack("<i", 70))
        return 0

    def _setpgid(self, m: Memory, pid: int, pgid: int) -> int:
        self.calls.append(("setpgid", pid, pgid))
        return self.result("setpgid")

    def _getsid(self, m: Memory, pid: int, out: int) -> int:
        self.calls.append(("getsid", pid))
        m.write(out, struct.pack("<i", 71))
        return 0

    def _setsid(self, m: Memory, out: int) -> int:
        self.calls.append(("setsid",))
        rc = self.result("setsid")
        if rc == 0:
            m.write(out, struct.pack("<i", self.pid))
        return rc

    def _deliver(self, m: Memory, pid: int, sig: int, code: int, value: int) -> None:
        handler, flags, _ = self.actions.get(sig, (0, 0, 0))
        if pid == self.pid and handler > 1:
            trampoline = m.caller[TRAMPOLINE]
            # re-entrant, as the kernel does; the ucontext's mask comes back
            mask = trampoline(m.caller, sig, handler, flags, code, self.pid, 0, value, 0,
                              self.mask)
            assert mask == self.mask

    def _kill(self, m: Memory, pid: int, sig: int) -> int:
        self.calls.append(("kill", pid, sig))
        self._deliver(m, pid, sig, 0, 0)  # SI_USER
        return self.result("kill")

    def _sigqueueinfo(self, m: Memory, pid: int, sig: int, code: int, value: int) -> int:
        self.calls.append(("sigqueueinfo", pid, sig, code, value))
        self._deliver(m, pid, sig, code, value)
        return self.result("sigqueueinfo")

    # signals

    def _sigaction(self, m: Memory, sig: int, act: int, oldact: int) -> int:
        new = struct.unpack("<IIQ", m.read(act, 16)) if act else None
        self.calls.append(("sigaction", sig, new, bool(oldact)))
        if oldact:
            m.write(oldact, struct.pack("<IIQ", *self.actions.get(sig, (0, 0, 0))))
        if new is not None:
            self.actions[sig] = new
        return 0

    def _sigprocmask(self, m: Memory, how: int, set_: int, oldset: int) -> int:
        new = struct.unpack("<Q", m.read(set_, 8))[0] if set_ else None
        self.calls.append(("sigprocmask", how, new, bool(oldset)))
        if how not in (0, 1, 2):
            return Errno.EINVAL
        if oldset:
            m.write(oldset, struct.pack("<Q", self.mask))
        return 0

    def _sigpending(self, m: Memory, out: int) -> int:
        self.calls.append(("sigpending",))
        m.write(out, struct.pack("<Q", bit(SIGHUP)))
        return 0

    def _sigsuspend(self, m: Memory, mask: int) -> int:
        self.calls.append(("sigsuspend", mask & 0xFFFF_FFFF_FFFF_FFFF))
        return Errno.EINTR

    def _alarm(self, m: Memory, seconds: int, out: int) -> int:
        self.calls.append(("alarm", seconds))
        m.write(out, struct.pack("<I", 5))
        return 0

    def _sigtimedwait(self, m: Memory, mask: int, timeout_ns: int, out: int) -> int:
        self.calls.append(("sigtimedwait", mask, timeout_ns, bool(out)))
        return self.result("sigtimedwait") or Errno.EAGAIN

    # descriptors

    def _pipe2(self, m: Memory, flags: int, out: int) -> int:
        self.calls.append(("pipe2", flags))
        m.write(out, struct.pack("<2i", *self.pipes.pop(0)))
        return 0

    def _dup(self, m: Memory, fd: int, out: int) -> int:
        self.calls.append(("dup", fd))
        m.write(out, struct.pack("<i", 20))
        return 0

    def _dup3(self, m: Memory, fd: int, newfd: int, flags: int) -> int:
        self.calls.append(("dup3", fd, newfd, flags))
        return 0

    def _fcntl(self, m: Memory, fd: int, cmd: int, arg: int, out: int) -> int:
        self.calls.append(("fcntl", fd, cmd, arg))
        rc = self.result("fcntl")
        if rc == 0:
            value = {F_GETFL: self.getfl, F_GETFD: 1, F_DUPFD: 30, F_DUPFD_CLOEXEC: 31}.get(cmd, 0)
            m.write(out, struct.pack("<i", value))
        return rc

    def _fchdir(self, m: Memory, fd: int) -> int:
        self.calls.append(("fchdir", fd))
        self.cwd = self.fchdir_to
        return 0

    def _umask(self, m: Memory, mask: int, out: int) -> int:
        self.calls.append(("umask", mask))
        m.write(out, struct.pack("<I", 0o022))
        return 0

    def _openat(self, m: Memory, dirfd: int, path: int, path_len: int, flags: int, mode: int,
                out: int) -> int:
        self.calls.append(("openat", dirfd, m.read(path, path_len).decode(), flags, mode))
        rc = self.result("openat")
        if rc == 0:
            m.write(out, struct.pack("<i", 40))
        return rc

    # system

    def _getrlimit(self, m: Memory, resource: int, out: int) -> int:
        self.calls.append(("getrlimit", resource))
        m.write(out, struct.pack("<2Q", 1024, 4096))
        return 0

    def _setrlimit(self, m: Memory, resource: int, new: int) -> int:
        self.calls.append(("setrlimit", resource, *struct.unpack("<2Q", m.read(new, 16))))
        return 0

    def _uname(self, m: Memory, out: int) -> int:
        fields = (b"Linux", b"occlum", b"5.15.0", b"#1 PyOcclum", b"x86_64")
        m.write(out, b"".join(f.ljust(65, b"\0") for f in fields))
        return 0

    def _sysinfo(self, m: Memory, out: int) -> int:
        m.write(out, struct.pack("<QQQII", 3600, 8 << 30, 6 << 30, 3, 1))
        return 0

    # files (version 3): recorded; answers are all-zero records

    def _statfs(self, m: Memory, fd: int, path: int, length: int, flags: int, out: int) -> int:
        self.calls.append(("statfs", fd, m.read(path, length).decode(), flags))
        m.write(out, bytes(88))
        return self.result("statfs")

    def _fallocate(self, m: Memory, fd: int, mode: int, offset: int, length: int) -> int:
        self.calls.append(("fallocate", fd, mode, offset, length))
        return self.result("fallocate")

    def _open_tmpfile(
        self, m: Memory, dirfd: int, path: int, length: int, flags: int, mode: int, out: int
    ) -> int:
        self.calls.append(("open_tmpfile", dirfd, m.read(path, length).decode(), flags, mode))
        m.write(out, struct.pack("<i", 9))
        return self.result("open_tmpfile")

    def _lock(self, m: Memory, fd: int, cmd: int, req: int, out: int) -> int:
        self.calls.append(("lock", fd, cmd, m.read(req, 32)))
        if out:
            m.write(out, m.read(req, 32))
        return self.result("lock")

    def _flock(self, m: Memory, fd: int, op: int) -> int:
        self.calls.append(("flock", fd, op))
        return self.result("flock")

    def _getdents64(self, m: Memory, fd: int, buf: int, size: int, out_len: int) -> int:
        self.calls.append(("getdents64", fd, size))
        m.write(out_len, struct.pack("<I", 0))
        return self.result("getdents64")

    def _syncfs(self, m: Memory, fd: int) -> int:
        self.calls.append(("syncfs", fd))
        return self.result("syncfs")


@dataclass
class Run:
    code: int
    out: list[str]
    store: Any
    instance: Any


def run_probe(probe: Path, root: Path, kernel: FakeKernel, *args: str,
              env: Sequence[tuple[str, str]] = ()) -> Run:
    engine = wasmtime.Engine()
    module = wasmtime.Module.from_file(engine, str(probe))
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    kernel.define(linker, module)
    store = wasmtime.Store(engine)
    config = wasmtime.WasiConfig()
    config.argv = ["probe", *args]
    config.env = list(env)
    out = root.parent / "probe.stdout"
    config.stdout_file = str(out)
    config.inherit_stderr()
    config.preopen_dir(str(root), "/")
    store.set_wasi(config)
    instance = linker.instantiate(store, module)
    start = instance.exports(store)["_start"]
    assert isinstance(start, wasmtime.Func)
    try:
        start(store)
        code = 0
    except wasmtime.ExitTrap as e:
        code = e.code
    return Run(code, out.read_text().splitlines(), store, instance)


def shown(run: Run) -> dict[str, tuple[int, int]]:
    """The probe's SHOW lines: label -> (value, errno)."""
    values: dict[str, tuple[int, int]] = {}
    for line in run.out:
        parts = line.split()
        if len(parts) == 3 and all(p.lstrip("-").isdigit() for p in parts[1:]):
            values[parts[0]] = (int(parts[1]), int(parts[2]))
    return values


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "tmp").mkdir(parents=True)
    (r / "data.txt").write_text("data\n")
    return r


def pick(values: Mapping[str, tuple[int, int]], *labels: str) -> dict[str, tuple[int, int]]:
    return {label: values[label] for label in labels}


def test_posix_spawn_passes_documented_records(probe: Path, root: Path) -> None:
    kernel = FakeKernel(errnos={"spawn": [0, 0, Errno.EAGAIN]})
    run = run_probe(probe, root, kernel, "spawn")
    assert run.code == 0
    ebadf, einval = int(Errno.EBADF), int(Errno.EINVAL)
    assert run.out == [
        "spawn 0 pid 100", "bare 0 pid 101", f"fails {int(Errno.EAGAIN)} pid 101",
        f"bad fds {ebadf} {ebadf} {ebadf} {ebadf}", f"bad flags {einval}",
    ]
    first, bare, fails = kernel.spawns
    assert (first.path, first.argv, first.envp) == ("/bin/child", ["child", "a b", ""],
                                                    ["K=V", "EMPTY="])
    ptr = [a[5] for a in first.actions]
    assert first.actions == [
        (FA_OPEN, 1, 0, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640, ptr[0], 8, 0),
        (FA_OPEN, 0, 0, 0, 0, ptr[1], 7, 0),
        (FA_OPEN, 5, 0, O_RDWR | O_APPEND | O_NONBLOCK | O_EXCL | O_DIRECTORY | O_NOFOLLOW
         | O_SYNC, 0, ptr[2], 2, 0),
        (FA_DUP2, 1, 2, 0, 0, 0, 0, 0),
        (FA_CLOSE, 7, 0, 0, 0, 0, 0, 0),
        (FA_CHDIR, 0, 0, 0, 0, ptr[5], 5, 0),
        (FA_FCHDIR, 4, 0, 0, 0, 0, 0, 0),
    ]
    assert first.action_paths == ["/tmp/out", "/etc/in", "/d", None, None, "/work", None]
    # USEVFORK is accepted but not the kernel's business.
    assert first.attr == (SPAWN_SETPGROUP | SPAWN_SETSIGMASK | SPAWN_SETSIGDEF | SPAWN_SETSID,
                          9, bit(SIGINT), bit(SIGUSR1, 64), 0)
    # NULL argv and envp are empty arrays; no attributes, no actions.
    assert (bare.argv, bare.envp, bare.actions, bare.attr) == ([], [], [], None)
    assert (fails.argv, fails.envp) == (["child", "a b", ""], [])


def test_posix_spawnp_searches_path(probe: Path, root: Path) -> None:
    kernel = FakeKernel(errnos={"spawn": [Errno.ENOENT, Errno.EACCES, Errno.ENOTDIR, 0]})
    run = run_probe(probe, root, kernel, "spawnp", env=[("PATH", "/nope:/locked::/x/y:/bin")])
    assert run.out[:3] == ["spawnp 0", "spawnp slash 0", f"spawnp empty {int(Errno.ENOENT)}"]
    assert kernel.names() == ["spawn"] * 5
    assert [s.path for s in kernel.spawns] == [
        "/nope/prog", "/locked/prog", "prog", "/x/y/prog", "./rel/prog"]
    # Without PATH: /bin, then /usr/bin; EACCES wins over a later ENOENT.
    kernel = FakeKernel(errnos={"spawn": [Errno.EACCES, Errno.ENOENT]})
    run = run_probe(probe, root, kernel, "spawnp")
    assert run.out[0] == f"spawnp {int(Errno.EACCES)}"
    assert [s.path for s in kernel.spawns][:2] == ["/bin/prog", "/usr/bin/prog"]
    # ENOEXEC (or any other real error) ends the search.
    kernel = FakeKernel(errnos={"spawn": [Errno.ENOEXEC]})
    run = run_probe(probe, root, kernel, "spawnp", env=[("PATH", "/a:/b")])
    assert run.out[0] == f"spawnp {int(Errno.ENOEXEC)}"
    assert [s.path for s in kernel.spawns][:2] == ["/a/prog", "./rel/prog"]


def test_signals(probe: Path, root: Path) -> None:
    kernel = FakeKernel()
    run = run_probe(probe, root, kernel, "signals")
    assert run.code == 0
    values = shown(run)
    handler = int(run.out[1].split()[1])
    info_handler = int(next(line for line in run.out if line.startswith("info-handler")).split()[1])
    assert min(handler, info_handler) > 1  # table indices; 0 and 1 mean SIG_DFL and SIG_IGN
    assert handler != info_handler
    assert run.out[1] == f"handler {handler} old-dfl 1"
    assert kernel.of("sigaction")[:5] == [
        (SIGUSR1, (handler, SA_RESTART | SA_NODEFER, bit(SIGUSR2, SIGTERM)), True),
        (SIGPIPE, (1, 0, 0), False),  # SIG_IGN is 1
        (SIGPIPE, None, True),
        (SIGUSR1, None, True),
        (SIGUSR2, (info_handler, SA_SIGINFO | SA_RESETHAND | SA_ONSTACK, 0), False),
    ]
    assert {"old-ign 1", f"old handler 1 flags {SA_RESTART | SA_NODEFER:#x} mask 1"} <= set(run.out)
    # SIG_ERR is refused before the kernel sees it; signal() is BSD-style.
    assert values["sig_err"] == (-1, Errno.EINVAL)
    assert kernel.of("sigaction")[5:7] == [
        (SIGTERM, (handler, SA_RESTART, 0), True), (SIGTERM, (0, SA_RESTART, 0), True)]
    assert pick(values, "signal", "signal-again") == {"signal": (1, 0), "signal-again": (1, 0)}
    # raise: sigqueueinfo(getpid(), SI_TKILL) runs the handler through the trampoline,
    # inside the call; an SA_SIGINFO handler gets a siginfo_t and a ucontext_t.
    assert pick(values, "raise", "raise-info") == {"raise": (0, 0), "raise-info": (0, 0)}
    assert {"last 10", "info 12"} <= set(run.out)
    assert kernel.of("sigqueueinfo") == [(7, SIGUSR1, SI_TKILL, 0), (7, SIGUSR2, SI_TKILL, 0)]
    assert kernel.of("kill") == [(9, SIGTERM), (-5, SIGHUP)]
    assert values["killpg-bad"] == (-1, Errno.EINVAL)
    assert kernel.of("sigprocmask") == [
        (0, bit(SIGUSR1, SIGCHLD), True),  # SIG_BLOCK
        (2, bit(SIGQUIT), False),  # SIG_SETMASK with the old mask
        (7, bit(SIGQUIT), False),
        (0, None, True),  # pause() reads the mask ...
    ]
    assert kernel.of("sigsuspend") == [(bit(SIGHUP),), (bit(SIGQUIT),)]  # ... and waits with it
    assert {"old-mask 1", "pending 1 0"} <= set(run.out)
    assert kernel.of("alarm") == [(3,)]
    assert pick(values, "pthread_sigmask-bad", "sigsuspend", "pause", "alarm", "addset-0",
                "addset-65", "fillset") == {
        "pthread_sigmask-bad": (Errno.EINVAL, 0),  # returned, not in errno
        "sigsuspend": (-1, Errno.EINTR),
        "pause": (-1, Errno.EINTR),
        "alarm": (5, 0),
        "addset-0": (-1, Errno.EINVAL),
        "addset-65": (-1, Errno.EINVAL),
        "fillset": (2, 0),
    }


def test_trampoline_is_exported_and_runs_handlers(probe: Path, root: Path) -> None:
    kernel = FakeKernel()
    run = run_probe(probe, root, kernel, "register")
    handler = int(run.out[0].split()[1])
    assert kernel.of("sigaction") == [(SIGUSR1, (handler, SA_RESTART, 0), True)]
    exports = run.instance.exports(run.store)
    trampoline, last = exports[TRAMPOLINE], exports["probe_last_signal"]
    assert last(run.store) == 0
    # (sig, handler, flags, si_code, si_pid, si_uid, si_value, si_status, mask) -> mask
    assert trampoline(run.store, SIGUSR2, handler, 0, 0, 1, 0, 0, 0, -1) == -1
    assert last(run.store) == SIGUSR2
    # 0 (SIG_DFL) and 1 (SIG_IGN) are not handlers: nothing runs, the mask comes back.
    assert trampoline(run.store, SIGTERM, 0, 0, 0, 1, 0, 0, 0, 5) == 5
    trampoline(run.store, SIGTERM, 1, 0, 0, 1, 0, 0, 0, 0)
    assert last(run.store) == SIGUSR2


def test_descriptors_use_linux_flags(probe: Path, root: Path) -> None:
    kernel = FakeKernel()
    run = run_probe(probe, root, kernel, "fds")
    assert run.code == 0
    values = shown(run)
    assert kernel.of("pipe2") == [(0,), (O_CLOEXEC | O_NONBLOCK,), (O_CLOEXEC,)]
    assert kernel.of("dup") == [(4,)]
    # dup2(fd, fd) checks fd with F_GETFD instead of calling dup3.
    assert kernel.of("dup3") == [(4, 9, 0), (4, 9, O_CLOEXEC)]
    fcntls = kernel.of("fcntl")
    assert fcntls[:7] == [
        (4, F_GETFD, 0),  # from dup2-same
        (4, F_GETFD, 0), (4, F_SETFD, 1), (4, F_DUPFD, 10), (4, F_DUPFD_CLOEXEC, 10),
        (4, F_GETFL, 0), (4, F_SETFL, O_RDWR | O_NONBLOCK | O_APPEND),
    ]
    assert pick(values, "pipe2-bad", "dup", "dup2", "dup2-same", "dup3", "dup3-bad", "dupfd",
                "dupfd-cloexec", "lease", "fchdir", "umask") == {
        "pipe2-bad": (-1, Errno.EINVAL),
        "dup": (20, 0),
        "dup2": (9, 0),
        "dup2-same": (4, 0),
        "dup3": (9, 0),
        "dup3-bad": (-1, Errno.EINVAL),
        "dupfd": (30, 0),
        "dupfd-cloexec": (31, 0),
        "lease": (-1, Errno.EINVAL),  # not sent to the kernel
        "fchdir": (0, 0),
        "umask": (0o022, 0),
    }
    assert {"fds 5 6", "getfl wronly 1 append 1 nonblock 0", "open-cloexec 1", "open 1",
            "openat-cloexec 1", "openat-create 1", "cwd /tmp"} <= set(run.out)
    # open/openat go to the kernel with Linux's flags, AT_FDCWD as -100 and the
    # mode of a file they may create (wasi-libc's open would drop it).
    assert kernel.of("openat") == [
        (-100, "/data.txt", O_CLOEXEC, 0), (-100, "/data.txt", 0, 0),
        (-100, "/data.txt", O_CLOEXEC, 0),
        (5, "new", O_WRONLY | O_CREAT | O_EXCL | O_TRUNC | O_APPEND, 0o640),
    ]
    assert len(fcntls) == 7  # close-on-exec came with the open
    assert kernel.of("fchdir") == [(3,)]
    assert kernel.of("umask") == [(0o777,)]


def test_fcntl_without_the_kernel_falls_back_to_wasi(probe: Path, root: Path) -> None:
    """A harness without the kernel answers ENOSYS: fcntl behaves as wasi-libc's."""
    kernel = FakeKernel(absent={"fcntl", "openat"})
    run = run_probe(probe, root, kernel, "fallback")
    assert run.code == 0
    assert {"open-cloexec 1", "getfl rdwr 1 append 1 nonblock 0", "nonblock 1"} <= set(run.out)
    assert pick(shown(run), "setfl", "getfd", "setfd", "dupfd", "badfd") == {
        "setfl": (0, 0),
        "getfd": (1, 0),  # wasi-libc: "as if close-on-exec were always set"
        "setfd": (0, 0),
        "dupfd": (-1, Errno.EINVAL),
        "badfd": (-1, Errno.EBADF),
    }
    assert [cmd for _, cmd, _ in kernel.of("fcntl")] == [
        F_SETFD, F_GETFL, F_SETFL, F_GETFL, F_GETFD, F_SETFD, F_DUPFD, F_GETFL]


def test_wait_family(probe: Path, root: Path) -> None:
    kernel = FakeKernel(waits=[(0, 0, 0), (0, 100, 3 << 8), (0, 101, 9), (0, 102, 0),
                               (0, 103, SIGINT)])
    run = run_probe(probe, root, kernel, "wait")
    assert run.code == 0
    assert pick(shown(run), "wnohang", "waitpid", "wait", "wait4", "waitid", "waitid-nowait",
                "echild", "fork", "vfork") == {
        "wnohang": (0, 0),
        "waitpid": (100, 0),
        "wait": (101, 0),
        "wait4": (102, 0),
        "waitid": (0, 0),
        "waitid-nowait": (-1, Errno.EINVAL),
        "echild": (-1, Errno.ECHILD),
        "fork": (-1, Errno.ENOSYS),
        "vfork": (-1, Errno.ENOSYS),
    }
    assert {"untouched 1", "exited 1 code 3", "signaled 1 sig 9", "rusage 1.500000 0.000250 2048 0",
            f"si {SIGCHLD} 103 2 {SIGINT}"} <= set(run.out)
    assert kernel.of("wait4") == [(-1, WNOHANG), (100, 0), (-1, 0), (0, 0), (-5, WNOHANG),
                                  (-1, 0)]


def test_process_and_system_calls(probe: Path, root: Path) -> None:
    kernel = FakeKernel()
    run = run_probe(probe, root, kernel, "procs")
    assert run.code == 0
    assert pick(shown(run), "getpid", "getppid", "getpgid", "getpgrp", "setpgid", "setpgrp",
                "getsid", "setsid", "ids", "getrandom", "getrandom-bad") == {
        "getpid": (7, 0),
        "getppid": (1, 0),
        "getpgid": (70, 0),
        "getpgrp": (70, 0),
        "setpgid": (0, 0),
        "setpgrp": (0, 0),
        "getsid": (71, 0),
        "setsid": (7, 0),
        "ids": (1, 0),  # uid, gid 0; getgroups counts root's group 0
        "getrandom": (300, 0),
        "getrandom-bad": (-1, Errno.EINVAL),
    }
    assert [c for c in kernel.calls if c[0] in ("getpgid", "setpgid", "getsid", "setsid")] == [
        ("getpgid", 0), ("getpgid", 0), ("setpgid", 3, 4), ("setpgid", 0, 0), ("getsid", 8),
        ("setsid",)]
    assert kernel.of("getrlimit") == [(RLIMIT_NOFILE,)]
    assert kernel.of("setrlimit") == [(RLIMIT_NPROC, 100, 2**64 - 1)]
    assert {
        "rlimit 1024 4096",
        "uname Linux|occlum|5.15.0|#1 PyOcclum|x86_64|",
        # 8 GiB does not fit a 32-bit unsigned long: counted in 4-byte units.
        f"sysinfo up 3600 total {8 << 30} free {6 << 30} procs 3 unit 4",
    } <= set(run.out)


def test_exec_family(probe: Path, root: Path) -> None:
    kernel = FakeKernel(errnos={"execve": [0, 0, 0, Errno.ENOENT, Errno.EACCES, Errno.ENOENT]})
    run = run_probe(probe, root, kernel, "exec", env=[("PATH", "/a:/b:/c"), ("X", "y")])
    assert run.code == 0
    labels = ("execve", "execve-null", "execv", "execvp", "execl", "execle", "execlp")
    enoexec = (-1, Errno.ENOEXEC)
    assert pick(shown(run), *labels) == {
        label: (-1, Errno.EACCES) if label == "execvp" else enoexec for label in labels}
    environ = ["PATH=/a:/b:/c", "X=y"]
    assert [(e.path, e.argv, e.envp) for e in kernel.execs] == [
        ("/bin/prog", ["prog", "x"], ["A=1"]),
        ("/bin/prog", [], []),
        ("/bin/prog", ["prog", "x"], environ),
        ("/a/prog", ["prog", "x"], environ),  # execvp: ENOENT, EACCES, ENOENT -> EACCES
        ("/b/prog", ["prog", "x"], environ),
        ("/c/prog", ["prog", "x"], environ),
        ("/bin/prog", ["prog", "1", "2"], environ),
        ("/bin/prog", ["prog"], ["A=1"]),
        ("/a/prog", ["prog", "z"], environ),  # ENOEXEC ends the search
    ]


def test_system_and_popen(probe: Path, root: Path) -> None:
    kernel = FakeKernel(errnos={"spawn": [0, Errno.ENOENT]},
                        waits=[(Errno.EINTR, 0, 0), (0, 100, 5 << 8), (0, 101, 0), (0, 102, 0)])
    run = run_probe(probe, root, kernel, "shell", env=[("E", "1")])
    assert run.code == 0
    assert pick(shown(run), "system", "system-missing", "pclose-unknown", "pclose", "pclose-w",
                "popen-bad") == {
        "system": (5 << 8, 0),
        "system-missing": (127 << 8, 0),  # as if the shell had exited with 127
        "pclose-unknown": (-1, Errno.ECHILD),
        "pclose": (0, 0),
        "pclose-w": (0, 0),
        "popen-bad": (1, 0),
    }
    assert {"popen 1", "popen-w 1"} <= set(run.out)
    sh = kernel.spawns[0]
    assert (sh.path, sh.argv, sh.envp) == ("/bin/sh", ["sh", "-c", "echo hi"], ["E=1"])
    assert sh.attr == (SPAWN_SETSIGDEF | SPAWN_SETSIGMASK, 0, bit(SIGINT, SIGQUIT), bit(SIGQUIT),
                       0)
    # The caller ignores SIGINT/SIGQUIT and blocks SIGCHLD meanwhile, then restores.
    assert kernel.of("sigaction")[:2] == [(SIGINT, (1, 0, 0), True), (SIGQUIT, (1, 0, 0), True)]
    assert kernel.of("sigprocmask")[0] == (0, bit(SIGCHLD), True)
    # popen "r": the shell's stdout is the pipe's write end; ours loses close-on-exec.
    reader = kernel.spawns[2]
    assert (reader.path, reader.argv) == ("/bin/sh", ["sh", "-c", "ls /"])
    assert reader.actions == [(FA_DUP2, 6, 1, 0, 0, 0, 0, 0)]
    assert kernel.of("pipe2") == [(O_CLOEXEC,), (O_CLOEXEC,)]
    assert (5, F_SETFD, 0) in kernel.of("fcntl")
    # popen "we": stdin from the read end; the open "r" stream is closed in the
    # child; the parent's end stays close-on-exec.
    writer = kernel.spawns[3]
    assert writer.actions == [(FA_DUP2, 7, 0, 0, 0, 0, 0, 0), (FA_CLOSE, 5, 0, 0, 0, 0, 0, 0)]
    assert (8, F_SETFD, 0) not in kernel.of("fcntl")
    # A wait interrupted by a handler is retried.
    assert kernel.of("wait4") == [(100, 0), (100, 0), (101, 0), (102, 0)]


def test_hello_world_stays_small_and_imports_only_getcwd(tmp_path: Path) -> None:
    src = tmp_path / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n')
    out = tmp_path / "hello.wasm"
    assert occlum_cc(src, "-o", out) == 0
    assert set(occlum_imports(out)) == {"getcwd"}
    assert out.stat().st_size < 20_000
