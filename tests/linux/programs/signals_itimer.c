/* ITIMER_REAL: a periodic SIGALRM, getitimer, alarm() sharing the timer
 * (and never returning 0 while it is armed), disarming, bad values. */
#include "linuxtest.h"
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile int ticks;
static void on_alarm(int sig) { (void)sig; ticks++; }

static long usec(const struct timeval *tv) { return tv->tv_sec * 1000000L + tv->tv_usec; }

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    CHECK(sigaction(SIGALRM, &sa, NULL));
    struct itimerval it, old;
    CHECK(getitimer(ITIMER_REAL, &old));
    printf("initially disarmed %d\n", usec(&old.it_value) == 0 && usec(&old.it_interval) == 0);

    it.it_value = (struct timeval){0, 200000};
    it.it_interval = (struct timeval){0, 50000};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(setitimer(ITIMER_REAL, &it, &old));
    printf("old disarmed %d\n", usec(&old.it_value) == 0);
    CHECK(getitimer(ITIMER_REAL, &old));
    printf("armed: value in (0, 200 ms] %d, interval %ld us\n",
           usec(&old.it_value) > 0 && usec(&old.it_value) <= 200000, usec(&old.it_interval));
    while (ticks < 5)
        pause();
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("5 ticks after 200 ms + 4 x 50 ms: %d\n", took >= 0.39 && took < 2);

    /* alarm() replaces it (a one-shot) and reports the time left, never 0 */
    CHECK(alarm(10));
    CHECK(getitimer(ITIMER_REAL, &old));
    printf("alarm: value in (9, 10] s %d, interval %ld\n",
           usec(&old.it_value) > 9000000 && usec(&old.it_value) <= 10000000,
           usec(&old.it_interval));
    it.it_value = (struct timeval){0, 0};
    CHECK(setitimer(ITIMER_REAL, &it, &old));
    printf("old value in (9, 10] s %d\n",
           usec(&old.it_value) > 9000000 && usec(&old.it_value) <= 10000000);
    CHECK(getitimer(ITIMER_REAL, &old));
    printf("disarmed %d\n", usec(&old.it_value) == 0);
    it.it_value = (struct timeval){0, 300000};
    it.it_interval = (struct timeval){0, 0};
    CHECK(setitimer(ITIMER_REAL, &it, NULL));
    CHECK(alarm(0)); /* 0.3 s left: reported as 1 */
    CHECK(alarm(0));

    it.it_value = (struct timeval){0, 1000000};
    CHECK(setitimer(ITIMER_REAL, &it, NULL));
    it.it_value = (struct timeval){-1, 0};
    CHECK(setitimer(ITIMER_REAL, &it, NULL));
    it.it_value = (struct timeval){0, 0};
    CHECK(setitimer(99, &it, NULL));
    CHECK(getitimer(-1, &old));
    int before = ticks;
    CHECK(setitimer(ITIMER_REAL, NULL, NULL)); /* NULL: disarm */
    usleep(100000);
    printf("no more ticks %d\n", ticks == before);
    return 0;
}
