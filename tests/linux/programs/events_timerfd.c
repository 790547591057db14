/* timerfd: create/settime/gettime and their errors, one-shot and interval
 * expirations counted on read, TFD_TIMER_ABSTIME on both clocks, TFD_NONBLOCK,
 * disarming, short reads. */
#include "linuxtest.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000L

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * MS};
    nanosleep(&ts, NULL);
}

int main(void) {
    uint64_t n = 0;
    struct itimerspec its, cur;
    CHECK(timerfd_create(CLOCK_MONOTONIC, 0x12345));
    int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    MUST(fd >= 0);
    CHECK(fcntl(fd, F_GETFD));

    /* Disarmed: nothing to read, gettime all zero. */
    CHECK(read(fd, &n, 8));
    CHECK(timerfd_gettime(fd, &cur));
    printf("disarmed %ld %ld %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec,
           (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);

    /* Errors. */
    its = (struct itimerspec){{0, 0}, {0, 1000000000}};
    CHECK(timerfd_settime(fd, 0, &its, NULL));
    its = (struct itimerspec){{0, -1}, {1, 0}};
    CHECK(timerfd_settime(fd, 0, &its, NULL));
    its = (struct itimerspec){{0, 0}, {-1, 0}};
    CHECK(timerfd_settime(fd, 0, &its, NULL));
    its = (struct itimerspec){{0, 0}, {1, 0}};
    CHECK(timerfd_settime(fd, 0x100, &its, NULL));
    CHECK(timerfd_settime(77, 0, &its, NULL));
    CHECK(timerfd_settime(0, 0, &its, NULL));
    CHECK(timerfd_gettime(0, &cur));

    /* One-shot in 40 ms: gettime counts down, one expiration. */
    its = (struct itimerspec){{0, 0}, {0, 40 * MS}};
    CHECK(timerfd_settime(fd, 0, &its, NULL));
    CHECK(timerfd_gettime(fd, &cur));
    printf("left 0..40 ms: %d, interval %ld\n",
           cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
               cur.it_value.tv_nsec <= 40 * MS,
           cur.it_interval.tv_nsec);
    CHECK(read(fd, &n, 8));
    sleep_ms(80);
    CHECK(read(fd, &n, 4));
    CHECK(read(fd, &n, 8));
    printf("expirations %llu\n", (unsigned long long)n);
    CHECK(read(fd, &n, 8));
    CHECK(timerfd_gettime(fd, &cur));
    printf("after expiry %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);

    /* Interval 20 ms: several expirations by the time we read; the old value
     * comes back from the next settime. */
    its = (struct itimerspec){{0, 20 * MS}, {0, 20 * MS}};
    CHECK(timerfd_settime(fd, 0, &its, NULL));
    sleep_ms(110);
    CHECK(read(fd, &n, 8));
    printf("interval expirations 3..8: %d\n", n >= 3 && n <= 8);
    struct itimerspec old;
    its = (struct itimerspec){{0, 0}, {0, 0}};
    CHECK(timerfd_settime(fd, 0, &its, &old));
    printf("old interval %ld, old value 0..20 ms: %d\n", old.it_interval.tv_nsec,
           old.it_value.tv_sec == 0 && old.it_value.tv_nsec <= 20 * MS);
    sleep_ms(50);
    CHECK(read(fd, &n, 8));
    CHECK(close(fd));

    /* Absolute times: in the past fires at once; 30 ms ahead, blocking read. */
    int mono = timerfd_create(CLOCK_MONOTONIC, 0);
    MUST(mono >= 0);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    its = (struct itimerspec){{0, 0}, {now.tv_sec - 1, now.tv_nsec}};
    CHECK(timerfd_settime(mono, TFD_TIMER_ABSTIME, &its, NULL));
    CHECK(read(mono, &n, 8));
    printf("past expirations %llu\n", (unsigned long long)n);
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long target = now.tv_sec * 1000000000LL + now.tv_nsec + 30 * MS;
    its = (struct itimerspec){{0, 0}, {target / 1000000000LL, target % 1000000000LL}};
    CHECK(timerfd_settime(mono, TFD_TIMER_ABSTIME, &its, NULL));
    CHECK(read(mono, &n, 8));
    clock_gettime(CLOCK_MONOTONIC, &now);
    printf("woke at or after the target: %d, n %llu\n",
           now.tv_sec * 1000000000LL + now.tv_nsec >= target, (unsigned long long)n);
    CHECK(close(mono));

    int real = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    MUST(real >= 0);
    clock_gettime(CLOCK_REALTIME, &now);
    its = (struct itimerspec){{0, 0}, {now.tv_sec + 100, 0}};
    CHECK(timerfd_settime(real, TFD_TIMER_ABSTIME, &its, NULL));
    CHECK(timerfd_gettime(real, &cur));
    printf("realtime left 98..101 s: %d\n", cur.it_value.tv_sec >= 98 && cur.it_value.tv_sec <= 101);
    CHECK(read(real, &n, 8));
    CHECK(write(real, &n, 8));
    CHECK(close(real));
    return 0;
}
