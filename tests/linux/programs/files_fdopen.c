/* fdopen's checks against the descriptor (access mode, a bad fd), 'a' turning on
 * O_APPEND, 'e'; freopen with NULL changing the mode; fileno and reading and
 * writing through the streams. */
#include "linuxtest.h"
#include <fcntl.h>
#include <unistd.h>

static void try_fdopen(int fd, const char *mode) {
    errno = 0;
    FILE *f = fdopen(fd, mode);
    printf("fdopen(%s, \"%s\"): %s\n", fd < 0 ? "-1" : "fd", mode, f ? "ok" : errname(errno));
}

int main(void) {
    int w = open("f", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    int r = open("f", O_RDONLY);
    int rw = open("f", O_RDWR);
    MUST(w >= 0 && r >= 0 && rw >= 0);
    try_fdopen(r, "w");
    try_fdopen(r, "a");
    try_fdopen(r, "r+");
    try_fdopen(w, "r");
    try_fdopen(w, "w+");
    try_fdopen(-1, "r");
    try_fdopen(99, "w");
    try_fdopen(rw, "q");
    int fl = fcntl(w, F_GETFL);
    printf("append before %d\n", (fl & O_APPEND) != 0);
    FILE *fa = fdopen(w, "a");
    MUST(fa != NULL);
    fl = fcntl(w, F_GETFL);
    printf("append after fdopen a %d\n", (fl & O_APPEND) != 0);
    fputs("one\n", fa);
    fflush(fa);
    FILE *fr = fdopen(r, "re");
    MUST(fr != NULL);
    printf("fileno same %d\n", fileno(fr) == r);
    char line[32];
    MUST(fgets(line, sizeof line, fr) != NULL);
    printf("read %s", line);
    FILE *frw = fdopen(rw, "r+");
    MUST(frw != NULL);
    fputs("ONE", frw);
    fflush(frw);
    rewind(fr);
    MUST(fgets(line, sizeof line, fr) != NULL);
    printf("read %s", line);
    /* freopen with a NULL path changes the mode of the same descriptor. */
    FILE *again = freopen(NULL, "a", frw);
    printf("freopen NULL a: %s\n", again ? "ok" : errname(errno));
    if (again) {
        fl = fcntl(fileno(again), F_GETFL);
        printf("append %d\n", (fl & O_APPEND) != 0);
        fputs("two\n", again);
        fclose(again);
    }
    rewind(fr);
    while (fgets(line, sizeof line, fr))
        printf("line %s", line);
    CHECK(fclose(fr));
    CHECK(fclose(fa));
    return 0;
}
