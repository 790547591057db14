/* The CPUs and the scheduler: sysconf's processor count agrees with
 * sched_getaffinity, the CPU_* macros, sched_setaffinity (EINVAL for an empty
 * mask, ESRCH for no such process), sched_getcpu, sched_yield, the policy
 * calls, getpriority/setpriority/nice, getauxval. */
#include "linuxtest.h"
#include <sched.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    long conf = sysconf(_SC_NPROCESSORS_CONF);
    printf("online >= 1: %d, conf >= online: %d\n", online >= 1, conf >= online);

    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK(sched_getaffinity(0, sizeof set, &set));
    printf("affinity count == online: %d\n", CPU_COUNT(&set) == online);
    printf("cpu 0 set: %d\n", CPU_ISSET(0, &set) != 0);
    CHECK(sched_getaffinity(getpid(), sizeof set, &set));
    CHECK(sched_getaffinity(0, 0, &set));
    CHECK(sched_getaffinity(0, 3, &set));
    CHECK(sched_getaffinity(999999, sizeof set, &set));
    CHECK(sched_getaffinity(-1, sizeof set, &set));

    /* Only CPU 0: the mask comes back, sched_getcpu follows. */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    CHECK(sched_setaffinity(0, sizeof one, &one));
    CPU_ZERO(&set);
    CHECK(sched_getaffinity(0, sizeof set, &set));
    printf("count %d equal %d\n", CPU_COUNT(&set), CPU_EQUAL(&set, &one));
    CHECK(sched_getcpu());
    CPU_ZERO(&one);
    CHECK(sched_setaffinity(0, sizeof one, &one));
    CPU_SET(CPU_SETSIZE - 1, &one);
    CHECK(sched_setaffinity(0, sizeof one, &one));
    CHECK(sched_setaffinity(999999, sizeof one, &one));

    /* The macros on dynamically sized sets. */
    cpu_set_t *dyn = CPU_ALLOC(200);
    size_t size = CPU_ALLOC_SIZE(200);
    CPU_ZERO_S(size, dyn);
    CPU_SET_S(3, size, dyn);
    CPU_SET_S(130, size, dyn);
    CPU_SET_S(5000, size, dyn); /* beyond the set: ignored */
    printf("dyn count %d has 130 %d has 4 %d\n", CPU_COUNT_S(size, dyn),
           CPU_ISSET_S(130, size, dyn) != 0, CPU_ISSET_S(4, size, dyn) != 0);
    CPU_CLR_S(3, size, dyn);
    printf("dyn count %d\n", CPU_COUNT_S(size, dyn));
    CPU_FREE(dyn);
    cpu_set_t a, b, c;
    CPU_ZERO(&a);
    CPU_ZERO(&b);
    CPU_SET(1, &a);
    CPU_SET(2, &a);
    CPU_SET(2, &b);
    CPU_AND(&c, &a, &b);
    printf("and %d ", CPU_COUNT(&c));
    CPU_OR(&c, &a, &b);
    printf("or %d ", CPU_COUNT(&c));
    CPU_XOR(&c, &a, &b);
    printf("xor %d\n", CPU_COUNT(&c));

    CHECK(sched_yield());
    CHECK(sched_getscheduler(0));
    struct sched_param sp = {0};
    CHECK(sched_getparam(0, &sp));
    printf("priority %d\n", sp.sched_priority);
    CHECK(sched_get_priority_max(SCHED_OTHER));
    CHECK(sched_get_priority_min(SCHED_OTHER));
    CHECK(sched_get_priority_max(SCHED_FIFO));
    CHECK(sched_get_priority_min(SCHED_RR));
    CHECK(sched_get_priority_max(12345));
    CHECK(sched_setscheduler(0, SCHED_OTHER, &sp));
    sp.sched_priority = 5;
    CHECK(sched_setscheduler(0, SCHED_OTHER, &sp));
    CHECK(sched_setscheduler(0, 12345, &sp));
    CHECK(sched_getscheduler(999999));

    /* Nice values. */
    errno = 0;
    CHECK(getpriority(PRIO_PROCESS, 0));
    CHECK(setpriority(PRIO_PROCESS, 0, 7));
    CHECK(getpriority(PRIO_PROCESS, 0));
    CHECK(getpriority(PRIO_PROCESS, getpid()));
    CHECK(nice(2));
    CHECK(nice(100));
    CHECK(setpriority(PRIO_PROCESS, 0, -25));
    CHECK(getpriority(PRIO_PROCESS, 0));
    CHECK(setpriority(PRIO_PROCESS, 999999, 1));
    CHECK(getpriority(12345, 0));
    CHECK(setpriority(PRIO_PROCESS, 0, 0));

    /* The auxiliary vector. */
    printf("pagesz %d\n", getauxval(AT_PAGESZ) == (unsigned long)sysconf(_SC_PAGESIZE));
    printf("getpagesize %d\n", getpagesize() == sysconf(_SC_PAGESIZE));
    printf("clktck %d\n", getauxval(AT_CLKTCK) == (unsigned long)sysconf(_SC_CLK_TCK));
    errno = 0;
    unsigned long r = getauxval(AT_RANDOM);
    int e = errno;
    printf("random %d errno %s\n", r != 0, errname(e));
    printf("secure %lu uid %d gid %d\n", getauxval(AT_SECURE), getauxval(AT_UID) == getuid(),
           getauxval(AT_EGID) == getegid());
    errno = 0;
    r = getauxval(12345);
    e = errno;
    printf("unknown %lu %s\n", r, errname(e));
    errno = 0;
    r = getauxval(AT_NULL);
    e = errno;
    printf("null %lu %s\n", r, errname(e));
    return 0;
}
