/* opendir, fdopendir and scandir: through relative and absolute symlinks and
 * "..", with errors for files, missing names and ""; entries listed sorted. */
#include "linuxtest.h"
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir(\"%s\") = NULL %s\n", path, errname(errno));
        return;
    }
    char *names[64];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 64)
        names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)n, sizeof names[0], cmp);
    printf("%s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static int no_dots(const struct dirent *de) { return de->d_name[0] != '.'; }

int main(void) {
    char cwd[PATH_MAX], abs[PATH_MAX + 8];
    MUST(getcwd(cwd, sizeof cwd) != NULL);
    MUST(mkdir("d", 0755) == 0 && mkdir("d/sub", 0755) == 0);
    MUST(close(open("d/b", O_CREAT | O_WRONLY, 0644)) == 0);
    MUST(close(open("d/a", O_CREAT | O_WRONLY, 0644)) == 0);
    snprintf(abs, sizeof abs, "%s/d", cwd);
    MUST(symlink(abs, "absd") == 0);
    MUST(symlink("d/sub", "rel") == 0);
    list("d");
    list("absd");
    list("absd/sub/..");
    list("rel/..");
    list("d/a");
    list("nope");
    list("");
    list("absd/");
    struct dirent **names;
    int n = scandir("absd", &names, no_dots, alphasort);
    printf("scandir = %d:", n);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]->d_name);
        free(names[i]);
    }
    printf("\n");
    free(names);
    CHECK(scandir("d/a", &names, NULL, alphasort));
    CHECK(scandir("nope", &names, NULL, alphasort));
    int fd = open("absd", O_RDONLY | O_DIRECTORY);
    MUST(fd >= 0);
    DIR *d = fdopendir(fd);
    MUST(d != NULL);
    int count = 0;
    while (readdir(d))
        count++;
    printf("fdopendir entries: %d\n", count);
    CHECK(closedir(d));
    return 0;
}
