/* Directory streams: readdir sees every entry once (with . and ..), d_type,
 * rewinddir, telldir/seekdir back to a position, fdopendir/dirfd, scandir with
 * a filter and alphasort, and the errors (ENOENT, ENOTDIR, EBADF). */
#include "linuxtest.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int names(DIR *d, char *out) {
    struct dirent *e;
    int n = 0;
    out[0] = 0;
    char list[16][300];
    while ((e = readdir(d)) != NULL) {
        if (n < 16) snprintf(list[n], 300, "%s%s", e->d_name,
                             e->d_type == DT_DIR ? "/" : e->d_type == DT_REG ? "" : "?");
        n++;
    }
    /* Sort for a stable order: readdir's own order differs between FSs. */
    for (int i = 0; i < n && i < 16; i++)
        for (int j = i + 1; j < n && j < 16; j++)
            if (strcmp(list[i], list[j]) > 0) {
                char t[300];
                strcpy(t, list[i]);
                strcpy(list[i], list[j]);
                strcpy(list[j], t);
            }
    for (int i = 0; i < n && i < 16; i++) {
        strcat(out, list[i]);
        strcat(out, " ");
    }
    return n;
}

static int not_hidden(const struct dirent *e) { return e->d_name[0] != '.'; }

int main(void) {
    MUST(mkdir("d", 0755) == 0);
    MUST(mkdir("d/sub", 0755) == 0);
    const char *files[] = {"d/c", "d/a", "d/b", "d/.hidden"};
    for (int i = 0; i < 4; i++) {
        int fd = open(files[i], O_CREAT | O_WRONLY, 0644);
        MUST(fd >= 0);
        close(fd);
    }
    char out[1024];
    DIR *d = opendir("d");
    MUST(d != NULL);
    printf("readdir %d: %s\n", names(d, out), out);
    printf("at end: %s\n", readdir(d) == NULL ? "NULL" : "entry");
    rewinddir(d);
    printf("after rewind %d: %s\n", names(d, out), out);

    rewinddir(d);
    struct dirent *e = readdir(d);
    MUST(e != NULL);
    e = readdir(d);
    MUST(e != NULL);
    long pos = telldir(d);
    e = readdir(d);
    MUST(e != NULL);
    char third[256];
    strcpy(third, e->d_name);
    while (readdir(d) != NULL) {
    }
    seekdir(d, pos);
    e = readdir(d);
    printf("seekdir back to the third entry: %d\n", e && strcmp(e->d_name, third) == 0);
    printf("dirfd ok %d\n", dirfd(d) > 2);
    CHECK(closedir(d));

    int fd = open("d", O_RDONLY | O_DIRECTORY);
    MUST(fd >= 0);
    d = fdopendir(fd);
    MUST(d != NULL);
    printf("fdopendir: dirfd same %d, %d entries\n", dirfd(d) == fd, names(d, out));
    CHECK(closedir(d));
    CHECK(fcntl(fd, F_GETFD));

    struct dirent **list;
    int n = scandir("d", &list, not_hidden, alphasort);
    printf("scandir %d:", n);
    for (int i = 0; i < n; i++) {
        printf(" %s", list[i]->d_name);
        free(list[i]);
    }
    printf("\n");
    free(list);
    n = scandir("d", &list, NULL, alphasort);
    printf("scandir all %d first %s\n", n, n > 0 ? list[0]->d_name : "-");
    for (int i = 0; i < n; i++) free(list[i]);
    if (n >= 0) free(list);

    errno = 0;
    printf("opendir missing: %s\n", opendir("nope") ? "ok" : errname(errno));
    printf("opendir file: %s\n", opendir("d/a") ? "ok" : errname(errno));
    errno = 0;
    n = scandir("nope", &list, NULL, alphasort);
    printf("scandir missing: %d %s\n", n, errname(errno));
    int f = open("d/a", O_RDONLY);
    MUST(f >= 0);
    errno = 0;
    printf("fdopendir file: %s\n", fdopendir(f) ? "ok" : errname(errno));
    close(f);
    errno = 0;
    printf("fdopendir closed fd: %s\n", fdopendir(f) ? "ok" : errname(errno));
    return 0;
}
