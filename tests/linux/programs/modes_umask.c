/* umask at creation: open, creat, mkdir, mkdirat, mkfifo-free; the old mask
 * returned; a setgid directory passes its bit to new subdirectories. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0) {
        printf("%s: stat %s\n", path, errname(errno));
        return;
    }
    printf("%s: %06o\n", path, (unsigned)st.st_mode);
}

int main(void) {
    printf("old mask %03o\n", (unsigned)umask(022));
    static const mode_t masks[] = {0, 022, 077, 0777, 0257};
    char name[32];
    for (unsigned i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        printf("umask %03o returns %03o\n", (unsigned)masks[i], (unsigned)umask(masks[i]));
        snprintf(name, sizeof name, "f%u", i);
        int fd = open(name, O_CREAT | O_WRONLY | O_EXCL, 0777);
        MUST(fd >= 0);
        close(fd);
        show(name);
        snprintf(name, sizeof name, "c%u", i);
        fd = creat(name, 06666);
        MUST(fd >= 0);
        close(fd);
        show(name);
        snprintf(name, sizeof name, "d%u", i);
        CHECK(mkdir(name, 07777));
        show(name);
        snprintf(name, sizeof name, "e%u", i);
        CHECK(mkdirat(AT_FDCWD, name, 0750));
        show(name);
    }
    umask(022);
    CHECK(mkdir("s", 0755));
    CHECK(chmod("s", 02775));
    CHECK(mkdir("s/sub", 0700));
    show("s/sub");
    CHECK(close(open("s/file", O_CREAT | O_WRONLY, 0640)));
    show("s/file");
    printf("mask now %03o\n", (unsigned)umask(0));
    printf("mask now %03o\n", (unsigned)umask(01777)); /* only 0777 is kept */
    printf("mask now %03o\n", (unsigned)umask(0));
    return 0;
}
