/* The device numbers of the device files: st_rdev of /dev/null, /dev/zero,
 * /dev/full, /dev/random, /dev/urandom and /dev/tty (major:minor as Linux's
 * mem and tty drivers number them), and 0 for a regular file. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

int main(void) {
    const char *devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
                          "/dev/tty"};
    for (size_t i = 0; i < sizeof devs / sizeof devs[0]; i++) {
        struct stat st;
        MUST(stat(devs[i], &st) == 0);
        printf("%s chr %d rdev %u:%u\n", devs[i], S_ISCHR(st.st_mode), major(st.st_rdev),
               minor(st.st_rdev));
    }
    int fd = open("file", O_CREAT | O_WRONLY, 0644);
    MUST(fd >= 0);
    struct stat st;
    MUST(fstat(fd, &st) == 0);
    printf("file rdev %u\n", (unsigned)st.st_rdev);
    return 0;
}
