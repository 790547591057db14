/* ITIMER_PROF and ITIMER_VIRTUAL count CPU time: they fire (SIGPROF,
 * SIGVTALRM) while the process computes, periodically, and not while it
 * sleeps; getitimer reads them back; setitimer returns the old one. */
#include "linuxtest.h"
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t prof, vtalrm;
static void on_prof(int sig) { (void)sig; prof++; }
static void on_vtalrm(int sig) { (void)sig; vtalrm++; }

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Computes between clock reads: on Linux, reading a CPU-time clock is a
 * system call, and ITIMER_VIRTUAL counts user time only. */
static unsigned long burn(double seconds) {
    double until = cpu_now() + seconds;
    volatile unsigned long n = 0;
    while (cpu_now() < until)
        for (int i = 0; i < 100000; i++)
            n++;
    return n;
}

static long usec(const struct timeval *tv) { return tv->tv_sec * 1000000L + tv->tv_usec; }

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = {0};
    sa.sa_handler = on_prof;
    CHECK(sigaction(SIGPROF, &sa, NULL));
    sa.sa_handler = on_vtalrm;
    CHECK(sigaction(SIGVTALRM, &sa, NULL));

    struct itimerval it = {{0, 20000}, {0, 20000}}, old;
    CHECK(setitimer(ITIMER_PROF, &it, &old));
    printf("old disarmed %d\n", usec(&old.it_value) == 0);
    CHECK(getitimer(ITIMER_PROF, &old));
    printf("armed: interval %ld, value in (0, 30 ms] %d\n", usec(&old.it_interval),
           usec(&old.it_value) > 0 && usec(&old.it_value) <= 30000);
    burn(0.3);
    printf("SIGPROF while computing 0.3 s at 20 ms: between 5 and 25: %d\n",
           prof >= 5 && prof <= 25);
    int before = prof;
    usleep(300000);
    printf("none while sleeping: %d\n", prof - before <= 1);
    it.it_value.tv_usec = 0;
    CHECK(setitimer(ITIMER_PROF, &it, &old));
    printf("old interval %ld\n", usec(&old.it_interval));
    before = prof;
    burn(0.1);
    printf("disarmed: no more %d\n", prof == before);

    /* a one-shot virtual timer */
    it.it_value.tv_usec = 50000;
    it.it_interval.tv_usec = 0;
    CHECK(setitimer(ITIMER_VIRTUAL, &it, NULL));
    burn(0.3);
    printf("SIGVTALRM once: %d\n", vtalrm);
    CHECK(getitimer(ITIMER_VIRTUAL, &old));
    printf("expired: %d\n", usec(&old.it_value) == 0);
    it.it_value.tv_sec = -1;
    CHECK(setitimer(ITIMER_VIRTUAL, &it, NULL));
    return 0;
}
