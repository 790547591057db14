// linux-test: cflags=-pthread
/* Waits in one thread woken by another: epoll_wait on an eventfd, poll on a
 * pipe, and a blocking read of a timerfd, each in a second thread while the
 * main thread writes or arms; /proc/self/status counts the threads. */
#include "linuxtest.h"
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int ep, efd, p[2], tfd;
static char result[128]; /* what the thread saw, printed after the join */

/* The Threads: line of /proc/self/status. */
static void threads_line(void) {
    char buf[8192];
    FILE *f = fopen("/proc/self/status", "r");
    MUST(f != NULL);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *line = strstr(buf, "\nThreads:");
    MUST(line != NULL);
    printf("%.*s\n", (int)strcspn(line + 1, "\n"), line + 1);
}

static void *epoll_waiter(void *arg) {
    (void)arg;
    struct epoll_event out;
    int n = epoll_wait(ep, &out, 1, 10000);
    snprintf(result, sizeof result, "epoll thread: %d events %#x data %llu", n, out.events,
             (unsigned long long)out.data.u64);
    return NULL;
}

static void *poll_waiter(void *arg) {
    (void)arg;
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    int n = poll(&pfd, 1, 10000);
    snprintf(result, sizeof result, "poll thread: %d revents %#x", n, pfd.revents);
    return NULL;
}

static void *timer_reader(void *arg) {
    (void)arg;
    uint64_t n = 0;
    ssize_t r = read(tfd, &n, sizeof n);
    snprintf(result, sizeof result, "timer thread: read %zd expirations %llu", r,
             (unsigned long long)n);
    return NULL;
}

static void pause_ms(long ms) {
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void) {
    pthread_t t;
    ep = epoll_create1(0);
    efd = eventfd(0, 0);
    MUST(ep >= 0 && efd >= 0 && pipe(p) == 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
    MUST(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev) == 0);

    threads_line();
    MUST(pthread_create(&t, NULL, epoll_waiter, NULL) == 0);
    pause_ms(50);
    threads_line();
    CHECK(eventfd_write(efd, 1));
    CHECK_ERRNO(pthread_join(t, NULL));
    printf("%s\n", result);

    MUST(pthread_create(&t, NULL, poll_waiter, NULL) == 0);
    pause_ms(50);
    CHECK(write(p[1], "x", 1));
    CHECK_ERRNO(pthread_join(t, NULL));
    printf("%s\n", result);

    tfd = timerfd_create(CLOCK_MONOTONIC, 0);
    MUST(tfd >= 0);
    MUST(pthread_create(&t, NULL, timer_reader, NULL) == 0);
    pause_ms(50);
    struct itimerspec its = {{0, 0}, {0, 20 * 1000 * 1000}};
    CHECK(timerfd_settime(tfd, 0, &its, NULL));
    CHECK_ERRNO(pthread_join(t, NULL));
    printf("%s\n", result);
    threads_line();
    return 0;
}
