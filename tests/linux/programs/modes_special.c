/* The modes /dev and /proc show (Linux's), access() on them as root, and
 * chmod of a /proc file refused (EPERM). */
#include "linuxtest.h"
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *path, int nofollow) {
    struct stat st;
    if ((nofollow ? lstat(path, &st) : stat(path, &st)) != 0) {
        printf("%s: %s\n", path, errname(errno));
        return;
    }
    printf("%s: %06o uid %u gid %u\n", path, (unsigned)st.st_mode, (unsigned)st.st_uid,
           (unsigned)st.st_gid);
}

int main(void) {
    static const char *const paths[] = {
        "/dev/null", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/full", "/dev",
        "/proc", "/proc/self/status", "/proc/self/cmdline", "/proc/meminfo", "/proc/uptime",
        "/proc/self/fd",
    };
    for (unsigned i = 0; i < sizeof paths / sizeof paths[0]; i++)
        show(paths[i], 0);
    show("/proc/self", 1);
    show("/proc/self/cwd", 1);
    show("/proc/self/exe", 1);
    CHECK(access("/dev/null", R_OK | W_OK));
    CHECK(access("/dev/null", X_OK));
    CHECK(access("/dev", X_OK));
    CHECK(access("/proc/self/status", R_OK | W_OK));
    CHECK(access("/proc/self/status", X_OK));
    CHECK(access("/proc/self/fd", X_OK));
    CHECK(chmod("/proc/self/status", 0444));
    CHECK(chmod("/proc/nope", 0444));
    return 0;
}
