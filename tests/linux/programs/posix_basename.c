/* basename as a GNU program gets it from <string.h> alone (glibc's GNU
 * basename: the part after the last '/', "" for a trailing slash, the
 * argument never changed), and dirname from <libgen.h>. */
#include "linuxtest.h"
#include <string.h>

char *dirname(char *); /* <libgen.h> would turn basename into the POSIX one */

int main(void) {
    const char *paths[] = {"/usr/lib", "/usr/", "usr", "/", ".", "..", "a//b", ""};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        char copy[32];
        strcpy(copy, paths[i]);
        char *b = basename(copy);
        char copy2[32];
        strcpy(copy2, paths[i]);
        printf("'%s': basename '%s' (arg kept %d) dirname '%s'\n", paths[i], b,
               strcmp(copy, paths[i]) == 0, dirname(copy2));
    }
    return 0;
}
