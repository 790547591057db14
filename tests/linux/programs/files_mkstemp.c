/* Temporary files: mkstemp, mkostemp (O_CLOEXEC, O_APPEND), mkstemps, mkdtemp and
 * tmpfile: names filled in, files created 0600 (directories 0700) and exclusive,
 * and the errors for a bad template. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *what, const char *path, const char *tmpl) {
    struct stat st;
    MUST(stat(path, &st) == 0);
    int filled = strlen(path) == strlen(tmpl) && strncmp(path, tmpl, 4) == 0 &&
                 strstr(path, "XXXXXX") == NULL;
    printf("%s: filled %d mode %o %s\n", what, filled, st.st_mode & 0777,
           S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "?");
}

int main(void) {
    umask(022);
    char a[] = "tmp-XXXXXX";
    int fd = mkstemp(a);
    MUST(fd >= 0);
    show("mkstemp", a, "tmp-XXXXXX");
    printf("cloexec %d\n", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    CHECK(write(fd, "abc", 3));
    char b[] = "tmp-XXXXXX";
    int fd2 = mkostemp(b, O_CLOEXEC | O_APPEND);
    MUST(fd2 >= 0);
    show("mkostemp", b, "tmp-XXXXXX");
    printf("cloexec %d append %d different %d\n", fcntl(fd2, F_GETFD) == FD_CLOEXEC,
           (fcntl(fd2, F_GETFL) & O_APPEND) != 0, strcmp(a, b) != 0);
    char c[] = "tmp-XXXXXX.txt";
    int fd3 = mkstemps(c, 4);
    MUST(fd3 >= 0);
    show("mkstemps", c, "tmp-XXXXXX.txt");
    printf("suffix kept %d\n", strcmp(c + strlen(c) - 4, ".txt") == 0);
    char d[] = "dir-XXXXXX";
    MUST(mkdtemp(d) != NULL);
    show("mkdtemp", d, "dir-XXXXXX");

    char bad1[] = "tmp-XXXXX";
    CHECK(mkstemp(bad1));
    char bad2[] = "tmp-XXXXXXy";
    CHECK(mkstemp(bad2));
    char bad3[] = "none/tmp-XXXXXX";
    CHECK(mkstemp(bad3));
    char bad4[] = "dir-XXXXX";
    CHECK(mkdtemp(bad4) == NULL ? -1 : 0);
    char bad5[] = "tmp-XXXXXX.txt";
    CHECK(mkstemps(bad5, 5));

    FILE *t = tmpfile();
    printf("tmpfile %s\n", t ? "ok" : errname(errno));
    if (t) {
        fputs("scratch", t);
        rewind(t);
        char buf[16] = {0};
        printf("read back %s\n", fgets(buf, sizeof buf, t));
        struct stat st;
        MUST(fstat(fileno(t), &st) == 0);
        printf("tmpfile unlinked %d\n", st.st_nlink == 0);
        fclose(t);
    }
    return 0;
}
