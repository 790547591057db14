/* symlink(2) with an empty target or link path fails with ENOENT (Linux). */
#include "linuxtest.h"
#include <unistd.h>

int main(void) {
    CHECK(symlink("", "l"));
    CHECK(symlink("t", ""));
    CHECK(symlink("t", "l"));
    CHECK(symlink("t", "l"));
    char buf[8] = {0};
    CHECK(readlink("l", buf, sizeof buf - 1));
    printf("%s\n", buf);
    CHECK(unlink("l"));
    return 0;
}
