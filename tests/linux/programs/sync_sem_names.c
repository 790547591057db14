/* Names of named semaphores (sem_open with O_CREAT, then sem_unlink): leading
 * slashes dropped, empty names and inner slashes EINVAL (sem_unlink: ENOENT),
 * "." and ".." allowed, ENAMETOOLONG past NAME_MAX with the "sem." prefix. */
// linux-test: cflags=-pthread
#include "linuxtest.h"
#include <fcntl.h>
#include <limits.h>
#include <semaphore.h>
#include <unistd.h>

static void try_name(const char *label, const char *name) {
    errno = 0;
    sem_t *s = sem_open(name, O_CREAT, 0600, 0);
    int e = errno;
    printf("%s: open %s", label, s == SEM_FAILED ? errname(e) : "ok");
    if (s != SEM_FAILED)
        sem_close(s);
    errno = 0;
    int r = sem_unlink(name);
    e = errno;
    printf(", unlink %d %s\n", r, r ? errname(e) : "");
}

int main(void) {
    char buf[64], longest[NAME_MAX], too_long[NAME_MAX + 1];
    long pid = (long)getpid();
    try_name("slash only", "/");
    try_name("empty", "");
    try_name("inner slash", "lt-a/b");
    try_name("trailing slash", "/lt-a/");
    snprintf(buf, sizeof buf, "//lt-two-slashes-%ld", pid);
    try_name("two leading slashes", buf);
    snprintf(buf, sizeof buf, "lt-no-slash-%ld", pid);
    try_name("no slash", buf);
    try_name("dot", ".");
    try_name("dot dot", "/..");
    /* "sem." + 251 characters is NAME_MAX (255). */
    memset(longest, 'x', sizeof longest);
    longest[0] = '/';
    snprintf(longest + 1, 12, "%010ld", pid);
    longest[11] = 'x';
    longest[252] = 0;
    try_name("251 characters", longest);
    memset(too_long, 'y', sizeof too_long);
    too_long[0] = '/';
    too_long[253] = 0;
    try_name("252 characters", too_long);
    return 0;
}
