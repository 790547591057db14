/* err/warn and syslog with LOG_PERROR write "name: message" lines to stderr
 * (read back here through a file), syslog without LOG_PERROR writes nothing
 * there, setlogmask; getlogin outside a login session, ctermid, and the
 * temporary names of tmpnam and tempnam. */
#include "linuxtest.h"
#include <err.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

/* Print what went to stderr since the last call, with the program's name
 * replaced by NAME (it differs between the two builds). */
static void show_stderr(int fd) {
    fflush(stderr);
    char buf[1024] = {0};
    MUST(lseek(fd, 0, SEEK_SET) == 0);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    MUST(n >= 0);
    MUST(ftruncate(fd, 0) == 0);
    MUST(lseek(fd, 0, SEEK_SET) == 0);
    const char *name = program_invocation_short_name;
    size_t nl = strlen(name);
    for (char *line = buf; *line;) {
        char *end = strchr(line, '\n');
        if (end) *end = 0;
        if (strncmp(line, name, nl) == 0)
            printf("stderr: NAME%s\n", line + nl);
        else
            printf("stderr: %s\n", line);
        if (!end) break;
        line = end + 1;
    }
}

int main(void) {
    int fd = open("stderr.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    MUST(fd >= 0);
    MUST(dup2(fd, 2) == 2);
    errno = ENOENT;
    warn("warn %d", 1);
    warnx("warnx %s", "two");
    errno = EACCES;
    warn(NULL);
    show_stderr(fd);

    openlog("ident", LOG_PERROR, LOG_USER);
    syslog(LOG_INFO, "info %d", 3);
    errno = EINVAL;
    syslog(LOG_ERR, "with m: %m");
    int old = setlogmask(LOG_UPTO(LOG_ERR));
    printf("setlogmask old has debug %d\n", (old & LOG_MASK(LOG_DEBUG)) != 0);
    syslog(LOG_INFO, "masked");
    syslog(LOG_ERR, "not masked");
    closelog();
    openlog("quiet", 0, LOG_DAEMON);
    syslog(LOG_ERR, "to the daemon only");
    closelog();
    show_stderr(fd);

    errno = 0;
    char *l = getlogin();
    printf("getlogin %s %s\n", l ? "name" : "NULL", l ? "" : errname(errno));
    char lb[64];
    CHECK_ERRNO(getlogin_r(lb, sizeof lb));
    printf("ctermid %s\n", ctermid(NULL));
    char cb[L_ctermid];
    ctermid(cb); /* (clang assumes ctermid's result aliases nothing: no == cb) */
    printf("ctermid buffer %s\n", cb);

    char t[L_tmpnam];
    char *n = tmpnam(t);
    struct stat st;
    printf("tmpnam in /tmp %d fits %d free %d\n", n == t && strncmp(t, "/tmp/", 5) == 0,
           strlen(t) < L_tmpnam, stat(t, &st) != 0);
    char *tn = tempnam("/tmp", "abcdefg");
    /* The prefix cut to 5 characters, then 6 random ones (which may be "fg"). */
    printf("tempnam dir+prefix %d\n", tn && strncmp(tn, "/tmp/abcde", 10) == 0 && strlen(tn) == 16);
    free(tn);
    tn = tempnam("/no/such/dir", "x");
    printf("tempnam missing dir -> P_tmpdir %d (%s)\n", tn && strncmp(tn, P_tmpdir "/x", 6) == 0,
           P_tmpdir);
    free(tn);
    MUST(mkdir("mytmp", 0755) == 0);
    setenv("TMPDIR", "mytmp", 1);
    tn = tempnam("/tmp", "y");
    printf("tempnam TMPDIR first %d\n", tn && strncmp(tn, "mytmp/y", 7) == 0);
    free(tn);

    errx(3, "errx exits %d", 3);
}
