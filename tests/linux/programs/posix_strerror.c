/* Error texts: strerror/strerror_r/perror/strsignal give a text for every
 * errno and signal (musl's texts differ from glibc's, so only properties are
 * printed: nonempty, distinct; the GNU strerror_r under _GNU_SOURCE), and
 * errno names survive a round trip through the calls that set them. */
#include "linuxtest.h"
#include <signal.h>
#include <unistd.h>

int main(void) {
    int codes[] = {EPERM, ENOENT, EINTR, EBADF, EAGAIN, ENOMEM, EACCES, EEXIST, ENOTDIR,
                   EISDIR, EINVAL, EMFILE, ENOSPC, EPIPE, ERANGE, ENOSYS, ENOTEMPTY, ELOOP,
                   ETIMEDOUT, ECONNREFUSED};
    size_t n = sizeof codes / sizeof codes[0];
    int nonempty = 1, distinct = 1;
    for (size_t i = 0; i < n; i++) {
        char a[256];
        snprintf(a, sizeof a, "%s", strerror(codes[i]));
        if (!a[0]) nonempty = 0;
        for (size_t j = 0; j < i; j++)
            if (strcmp(a, strerror(codes[j])) == 0) distinct = 0;
    }
    printf("strerror nonempty %d distinct %d\n", nonempty, distinct);
    const char *unk = strerror(99999);
    printf("strerror unknown nonempty %d\n", unk != NULL && unk[0] != 0);
    printf("strerror(0) nonempty %d\n", strerror(0)[0] != 0);


    char buf[256];
    char *gnu = strerror_r(ENOENT, buf, sizeof buf); /* the GNU one: _GNU_SOURCE */
    printf("GNU strerror_r gives strerror's text %d\n", gnu && strcmp(gnu, strerror(ENOENT)) == 0);
    printf("strsignal differs %d\n", strcmp(strsignal(SIGINT), strsignal(SIGTERM)) != 0);
    /* errno is kept by successful calls and set by failing ones */
    errno = 0;
    CHECK(close(-1));
    CHECK(close(-1) == -1 && errno == EBADF);
    errno = EINTR;
    int pid_ok = getpid() > 0;
    printf("getpid ok %d, errno kept %s\n", pid_ok, errname(errno));
    fflush(stdout);
    errno = ENOENT;
    perror("perror to stderr");
    return 0;
}
