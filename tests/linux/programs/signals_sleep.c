/* nanosleep, clock_nanosleep, sleep and usleep: bad arguments (EFAULT,
 * EINVAL; clock_nanosleep returns the error), absolute deadlines, and a
 * signal handler interrupting each (EINTR, with the time left). */
#include "linuxtest.h"
#include <signal.h>
#include <time.h>
#include <unistd.h>

static volatile int alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static double since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct timespec req = {0, 1000}, rem;
    CHECK(nanosleep(NULL, NULL));
    CHECK(nanosleep(NULL, &rem));
    req.tv_nsec = 1000000000;
    CHECK(nanosleep(&req, NULL));
    req.tv_nsec = -1;
    CHECK(nanosleep(&req, NULL));
    req.tv_sec = -1;
    req.tv_nsec = 0;
    CHECK(nanosleep(&req, NULL));
    req.tv_sec = 0;
    req.tv_nsec = 1000;
    CHECK(nanosleep(&req, NULL));
    CHECK(nanosleep(&req, &rem));

    printf("clock_nanosleep NULL = %s\n", errname(clock_nanosleep(CLOCK_MONOTONIC, 0, NULL, NULL)));
    printf("clock_nanosleep thread cpu clock = %s\n",
           errname(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL)));
    printf("clock_nanosleep bad clock = %s\n",
           errname(clock_nanosleep((clockid_t)-1, 0, &req, NULL)));
    struct timespec badns = {0, 2000000000};
    printf("clock_nanosleep bad nsec = %s\n",
           errname(clock_nanosleep(CLOCK_REALTIME, 0, &badns, NULL)));
    printf("clock_nanosleep relative = %s\n", errname(clock_nanosleep(CLOCK_REALTIME, 0, &req, NULL)));
    struct timespec t0, at;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    at = t0;
    at.tv_nsec += 200 * 1000 * 1000;
    if (at.tv_nsec >= 1000000000) {
        at.tv_sec++;
        at.tv_nsec -= 1000000000;
    }
    printf("clock_nanosleep absolute = %s\n",
           errname(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL)));
    printf("  waited until the deadline %d\n", since(&t0) >= 0.19);
    struct timespec past = {0, 0};
    printf("clock_nanosleep absolute past = %s\n",
           errname(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL)));
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    now.tv_sec -= 1;
    printf("clock_nanosleep realtime past = %s\n",
           errname(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &now, NULL)));

    /* interrupted: EINTR and the time left (SA_RESTART does not restart sleeps) */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    CHECK(sigaction(SIGALRM, &sa, NULL));
    alarm(1);
    req.tv_sec = 5;
    req.tv_nsec = 0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(nanosleep(&req, &rem));
    printf("  alarms %d, left between 3.5 and 4.5 s: %d, slept < 2 s: %d\n", alarms,
           rem.tv_sec * 1e9 + rem.tv_nsec > 3.5e9 && rem.tv_sec * 1e9 + rem.tv_nsec < 4.5e9,
           since(&t0) < 2);
    alarm(1);
    rem.tv_sec = 99;
    printf("clock_nanosleep interrupted = %s\n",
           errname(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem)));
    printf("  alarms %d, left < 5 s: %d\n", alarms, rem.tv_sec < 5);
    alarm(1);
    unsigned left = sleep(4);
    printf("sleep interrupted: left 2 or 3: %d, alarms %d\n", left == 2 || left == 3, alarms);
    alarm(1);
    CHECK(usleep(3000000));
    printf("  alarms %d\n", alarms);
    CHECK(usleep(1000));
    printf("sleep(0) = %u\n", sleep(0));
    return 0;
}
