/* sysconf, pathconf and fpathconf values programs rely on, printed as Linux
 * gives them (or as relations where the machine decides): page size agrees
 * with getpagesize() and getauxval(AT_PAGESZ), _SC_CLK_TCK 100, name and path
 * limits, unknown names (EINVAL), pathconf of a missing file (ENOENT). */
#include "linuxtest.h"
#include <fcntl.h>
#include <limits.h>
#include <sys/auxv.h>
#include <unistd.h>

int main(void) {
    long pg = sysconf(_SC_PAGESIZE);
    printf("pagesize: _SC_PAGE_SIZE same %d getpagesize same %d AT_PAGESZ same %d power of 2 %d\n",
           sysconf(_SC_PAGE_SIZE) == pg, getpagesize() == pg, (long)getauxval(AT_PAGESZ) == pg,
           pg > 0 && (pg & (pg - 1)) == 0);
    printf("_SC_CLK_TCK %ld\n", sysconf(_SC_CLK_TCK));
    printf("_SC_ARG_MAX >= 4096 %d\n", sysconf(_SC_ARG_MAX) >= 4096);
    printf("_SC_CHILD_MAX > 0 %d\n", sysconf(_SC_CHILD_MAX) > 0 || sysconf(_SC_CHILD_MAX) == -1);
    printf("_SC_OPEN_MAX > 0 %d\n", sysconf(_SC_OPEN_MAX) > 0);
    printf("_SC_NPROCESSORS_ONLN >= 1 %d <= CONF %d\n", sysconf(_SC_NPROCESSORS_ONLN) >= 1,
           sysconf(_SC_NPROCESSORS_ONLN) <= sysconf(_SC_NPROCESSORS_CONF));
    printf("_SC_PHYS_PAGES > 0 %d AVPHYS <= PHYS %d\n", sysconf(_SC_PHYS_PAGES) > 0,
           sysconf(_SC_AVPHYS_PAGES) <= sysconf(_SC_PHYS_PAGES));
    printf("_SC_HOST_NAME_MAX %ld\n", sysconf(_SC_HOST_NAME_MAX));
    printf("_SC_LOGIN_NAME_MAX %ld\n", sysconf(_SC_LOGIN_NAME_MAX));
    printf("_SC_LINE_MAX %ld\n", sysconf(_SC_LINE_MAX));
    printf("_SC_IOV_MAX %ld\n", sysconf(_SC_IOV_MAX));
    printf("_SC_NGROUPS_MAX %ld\n", sysconf(_SC_NGROUPS_MAX));
    printf("_SC_VERSION %ld\n", sysconf(_SC_VERSION));
    printf("_SC_GETPW_R_SIZE_MAX -1 or > 0 %d\n", sysconf(_SC_GETPW_R_SIZE_MAX) != 0);
    printf("_SC_SYMLOOP_MAX %ld\n", sysconf(_SC_SYMLOOP_MAX));
    printf("_SC_TTY_NAME_MAX %ld\n", sysconf(_SC_TTY_NAME_MAX));
    printf("_SC_RTSIG_MAX %ld\n", sysconf(_SC_RTSIG_MAX));
    printf("_SC_SIGQUEUE_MAX > 0 %d\n", sysconf(_SC_SIGQUEUE_MAX) > 0);
    printf("_SC_MONOTONIC_CLOCK > 0 %d\n", sysconf(_SC_MONOTONIC_CLOCK) > 0);
    CHECK(sysconf(-1));
    CHECK(sysconf(100000));

    printf("PATH_MAX %d NAME_MAX %d\n", PATH_MAX, NAME_MAX);
    CHECK(pathconf("/", _PC_NAME_MAX));
    CHECK(pathconf("/", _PC_PATH_MAX));
    CHECK(pathconf(".", _PC_NAME_MAX));
    CHECK(pathconf(".", _PC_PIPE_BUF));
    CHECK(pathconf(".", _PC_LINK_MAX) > 0);
    CHECK(pathconf(".", _PC_NO_TRUNC));
    CHECK(pathconf(".", _PC_CHOWN_RESTRICTED));
    CHECK(pathconf("/tmp", _PC_NAME_MAX));
    CHECK(pathconf("missing", _PC_NAME_MAX));
    CHECK(pathconf(".", -1));
    int fd = open(".", O_RDONLY);
    MUST(fd >= 0);
    CHECK(fpathconf(fd, _PC_NAME_MAX));
    CHECK(fpathconf(fd, _PC_PATH_MAX));
    int p[2];
    MUST(pipe(p) == 0);
    CHECK(fpathconf(p[0], _PC_PIPE_BUF));
    CHECK(fpathconf(999, _PC_NAME_MAX));
    CHECK(fpathconf(fd, 12345));
    return 0;
}
