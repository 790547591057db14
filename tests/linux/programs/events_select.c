/* select and pselect: readiness in each set, EBADF for a closed fd, EINVAL for
 * a negative nfds or timeout, the time left written back, fds up to
 * FD_SETSIZE, an fd only in the exception set does not wake select. */
#include "linuxtest.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(void) {
    int p[2];
    MUST(pipe(p) == 0);
    fd_set r, w, e;
    struct timeval tv = {0, 0};
    int nfds = (p[0] > p[1] ? p[0] : p[1]) + 1;

    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    FD_SET(p[0], &e);
    CHECK(select(nfds, &r, &w, &e, &tv));
    printf("r %d w %d e %d\n", FD_ISSET(p[0], &r), FD_ISSET(p[1], &w), FD_ISSET(p[0], &e));

    MUST(write(p[1], "x", 1) == 1);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    FD_SET(p[0], &e);
    CHECK(select(nfds, &r, &w, &e, &tv));
    printf("r %d w %d e %d\n", FD_ISSET(p[0], &r), FD_ISSET(p[1], &w), FD_ISSET(p[0], &e));

    /* An fd in a set but not below nfds is ignored. */
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    CHECK(select(p[1], NULL, &w, NULL, &tv));
    printf("w %d\n", FD_ISSET(p[1], &w));

    /* Errors: a closed fd in a set, negative nfds, bad timeouts. */
    /* fd 70 closed, and inside the fd table: Linux clamps select's nfds to the
     * table's size (64 in a process that never had more fds), so a closed fd
     * past it would be ignored instead of EBADF. */
    MUST(dup2(0, 100) == 100);
    close(100);
    close(70);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(70, &r);
    CHECK(select(71, &r, NULL, NULL, &tv));
    printf("sets untouched on EBADF: %d %d\n", FD_ISSET(p[0], &r), FD_ISSET(70, &r));
    CHECK(select(-1, NULL, NULL, NULL, &tv));
    struct timeval bad = {-1, 0};
    CHECK(select(0, NULL, NULL, NULL, &bad));
    struct timeval badu = {0, -1};
    CHECK(select(0, NULL, NULL, NULL, &badu));
    struct timeval big_usec = {0, 1500000}; /* normalized by Linux: 1.5 s */
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK(select(nfds, &r, NULL, NULL, &big_usec));
    struct timespec bad_ts = {0, 1000000000};
    CHECK(pselect(0, NULL, NULL, NULL, &bad_ts, NULL));

    /* The time left is written back: the whole timeout spent -> 0. */
    char c;
    MUST(read(p[0], &c, 1) == 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval t = {0, 60000};
    long t0 = now_ms();
    CHECK(select(nfds, &r, NULL, NULL, &t));
    long spent = now_ms() - t0;
    printf("left %ld.%06ld, set %d, slept 50..3000 ms: %d\n", (long)t.tv_sec, (long)t.tv_usec,
           FD_ISSET(p[0], &r), spent >= 50 && spent < 3000);
    /* ... and what is left when something is ready at once. */
    MUST(write(p[1], "y", 1) == 1);
    FD_SET(p[0], &r);
    t.tv_sec = 5;
    t.tv_usec = 0;
    CHECK(select(nfds, &r, NULL, NULL, &t));
    printf("left 4..5 s: %d\n", t.tv_sec == 4 || (t.tv_sec == 5 && t.tv_usec == 0));

    /* Exceptions only: a hung-up pipe does not wake select (POLLPRI only). */
    CHECK(close(p[1]));
    FD_ZERO(&e);
    FD_SET(p[0], &e);
    t.tv_sec = 0;
    t.tv_usec = 30000;
    CHECK(select(nfds, NULL, NULL, &e, &t));
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    CHECK(select(nfds, &r, NULL, NULL, &t));
    printf("readable at EOF: %d\n", FD_ISSET(p[0], &r));

    /* A high fd, near FD_SETSIZE. */
    int q[2];
    MUST(pipe(q) == 0);
    MUST(dup2(q[1], FD_SETSIZE - 1) == FD_SETSIZE - 1);
    FD_ZERO(&w);
    FD_SET(FD_SETSIZE - 1, &w);
    tv.tv_sec = 0;
    tv.tv_usec = 0;
    CHECK(select(FD_SETSIZE, NULL, &w, NULL, &tv));
    printf("high fd writable %d\n", FD_ISSET(FD_SETSIZE - 1, &w));

    /* pselect with a NULL timeout and a ready fd; with a signal mask. */
    FD_ZERO(&w);
    FD_SET(q[1], &w);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    CHECK(pselect(q[1] + 1, NULL, &w, NULL, NULL, &mask));
    struct timespec ts = {0, 20000000};
    FD_ZERO(&r);
    FD_SET(q[0], &r);
    CHECK(pselect(q[0] + 1, &r, NULL, NULL, &ts, &mask));
    printf("timeout untouched by pselect: %ld\n", ts.tv_nsec);
    CHECK(select(0, NULL, NULL, NULL, &tv));
    return 0;
}
