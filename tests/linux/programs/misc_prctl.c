/* prctl names (PR_SET_NAME/PR_GET_NAME: 15 bytes, shown in /proc/<pid>/comm
 * and status; a write to /proc/self/comm sets it too), the other prctl
 * options programs use, and /proc/self/status fields that ps reads (Umask,
 * signal sets, ids, Threads). */
#include "linuxtest.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

static char status[8192];

static void read_file(const char *path, char *buf, size_t size) {
    int fd = open(path, O_RDONLY);
    MUST(fd >= 0);
    ssize_t n = read(fd, buf, size - 1);
    MUST(n >= 0);
    buf[n] = '\0';
    close(fd);
}

/* Print the line of /proc/self/status that starts with key. */
static void field(const char *key) {
    read_file("/proc/self/status", status, sizeof status);
    size_t k = strlen(key);
    for (char *line = status; *line;) {
        char *end = strchr(line, '\n');
        if (strncmp(line, key, k) == 0 && line[k] == ':') {
            printf("%.*s\n", (int)(end ? end - line : (long)strlen(line)), line);
            return;
        }
        if (!end)
            break;
        line = end + 1;
    }
    printf("%s: missing\n", key);
}

static void on_sig(int sig) { (void)sig; }

int main(void) {
    char name[32];
    CHECK(prctl(PR_SET_NAME, "short"));
    memset(name, 'x', sizeof name);
    CHECK(prctl(PR_GET_NAME, name));
    printf("name '%s'\n", name);
    read_file("/proc/self/comm", status, sizeof status);
    printf("comm %s", status);
    field("Name");
    CHECK(prctl(PR_SET_NAME, "a-name-longer-than-fifteen"));
    CHECK(prctl(PR_GET_NAME, name));
    printf("name '%s' len %zu\n", name, strlen(name));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/comm", getpid());
    read_file(path, status, sizeof status);
    printf("comm %s", status);
    field("Name");

    /* Writing /proc/self/comm names the process too (a newline is kept). */
    int cfd = open("/proc/self/comm", O_WRONLY);
    MUST(cfd >= 0);
    CHECK(write(cfd, "abc\n", 4));
    CHECK(prctl(PR_GET_NAME, name));
    printf("name '%s' len %zu\n", name, strlen(name));
    CHECK(write(cfd, "0123456789abcdefghij", 20));
    CHECK(prctl(PR_GET_NAME, name));
    printf("name '%s'\n", name);
    CHECK(close(cfd));

    /* Other options. */
    CHECK(prctl(PR_GET_DUMPABLE));
    CHECK(prctl(PR_SET_DUMPABLE, 0));
    CHECK(prctl(PR_GET_DUMPABLE));
    CHECK(prctl(PR_SET_DUMPABLE, 5));
    CHECK(prctl(PR_SET_DUMPABLE, 1));
    int sig = -1;
    CHECK(prctl(PR_SET_PDEATHSIG, SIGTERM));
    CHECK(prctl(PR_GET_PDEATHSIG, &sig));
    printf("pdeathsig %d\n", sig);
    CHECK(prctl(PR_SET_PDEATHSIG, 1000));
    CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    CHECK(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
    CHECK(prctl(PR_SET_KEEPCAPS, 1));
    CHECK(prctl(PR_GET_KEEPCAPS));
    CHECK(prctl(PR_SET_KEEPCAPS, 0));
    CHECK(prctl(-5));
    CHECK(prctl(9999));

    /* status: identity and what ps shows. */
    umask(027);
    field("Umask");
    umask(022);
    field("State");
    char line[64];
    read_file("/proc/self/status", status, sizeof status);
    snprintf(line, sizeof line, "\nPid:\t%d\n", getpid());
    printf("Pid matches %d\n", strstr(status, line) != NULL);
    snprintf(line, sizeof line, "\nTgid:\t%d\n", getpid());
    printf("Tgid matches %d\n", strstr(status, line) != NULL);
    snprintf(line, sizeof line, "\nPPid:\t%d\n", getppid());
    printf("PPid matches %d\n", strstr(status, line) != NULL);
    field("TracerPid");
    field("Uid");
    field("Gid");
    field("Threads");
    field("ShdPnd");
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_SETMASK, &block, NULL);
    field("SigBlk");
    signal(SIGUSR2, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);
    field("SigIgn");
    signal(SIGHUP, on_sig);
    signal(SIGALRM, on_sig);
    field("SigCgt");
    raise(SIGUSR1);
    field("SigPnd");
    field("NoNewPrivs");
    for (const char *k = "VmPeak\0VmSize\0VmRSS\0FDSize\0Groups\0SigQ\0CapEff\0"
                         "Cpus_allowed\0voluntary_ctxt_switches\0";
         *k; k += strlen(k) + 1) {
        read_file("/proc/self/status", status, sizeof status);
        char key[64];
        snprintf(key, sizeof key, "\n%s:\t", k);
        printf("%s present %d\n", k, strstr(status, key) != NULL);
    }
    return 0;
}
