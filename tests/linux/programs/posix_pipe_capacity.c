/* A new pipe's size: F_GETPIPE_SZ says 65536 on Linux, and that many bytes
 * fit before a non-blocking write fails with EAGAIN. */
// linux-test: xfail=a new pipe holds 1 MiB inside (ipc/pipe.py DEFAULT_CAPACITY, chosen for throughput); F_SETPIPE_SZ sets Linux's sizes
#include "linuxtest.h"
#include <fcntl.h>
#include <unistd.h>

int main(void) {
    int p[2];
    MUST(pipe(p) == 0);
    CHECK(fcntl(p[1], F_GETPIPE_SZ));
    MUST(fcntl(p[1], F_SETFL, O_NONBLOCK) == 0);
    static char buf[4096];
    long total = 0;
    for (;;) {
        errno = 0;
        ssize_t w = write(p[1], buf, sizeof buf);
        if (w < 0) break;
        total += w;
    }
    printf("filled %ld then %s\n", total, errname(errno));
    return 0;
}
