/* basename and dirname from <libgen.h> are the POSIX ones even under
 * _GNU_SOURCE and with <string.h> included too (after it, here): "usr" for
 * "/usr/", "/" for "/". */
#include "linuxtest.h"
#include <libgen.h>
#include <string.h>

int main(void) {
    const char *paths[] = {"/usr/lib", "/usr/", "usr", "/", ".", "a//b//", ""};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char b[32], d[32];
        strcpy(b, paths[i]);
        strcpy(d, paths[i]);
        printf("'%s': basename '%s' dirname '%s'\n", paths[i], basename(b), dirname(d));
    }
    return 0;
}
