/* Walking and matching: nftw (pre- and post-order, FTW_PHYS, stopping early),
 * ftw, glob (sorted, GLOB_NOMATCH, GLOB_MARK, GLOB_NOCHECK, GLOB_APPEND) and
 * fnmatch (flags). */
#include "linuxtest.h"
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <glob.h>
#include <sys/stat.h>
#include <unistd.h>

static char seen[64][64];
static int nseen;

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    if (nseen < 64)
        snprintf(seen[nseen++], 64, "%s:%s:%d", path,
                 type == FTW_F ? "F" : type == FTW_D ? "D" : type == FTW_DP ? "DP"
                 : type == FTW_SL ? "SL" : type == FTW_DNR ? "DNR" : "?", ftw->level);
    return 0;
}

static int stop_at_b(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st; (void)type; (void)ftw;
    return strstr(path, "/b") ? 7 : 0;
}

static int old_visit(const char *path, const struct stat *st, int type) {
    (void)st;
    if (nseen < 64) snprintf(seen[nseen++], 64, "%s:%d", path, type == FTW_D);
    return 0;
}

static void show(const char *what) {
    qsort(seen, nseen, sizeof seen[0], cmp);
    printf("%s (%d):", what, nseen);
    for (int i = 0; i < nseen; i++) printf(" %s", seen[i]);
    printf("\n");
    nseen = 0;
}

int main(void) {
    MUST(mkdir("t", 0755) == 0);
    MUST(mkdir("t/sub", 0755) == 0);
    const char *files[] = {"t/a.c", "t/b.h", "t/sub/c.c", "t/.dot.c"};
    for (int i = 0; i < 4; i++) {
        int fd = open(files[i], O_CREAT | O_WRONLY, 0644);
        MUST(fd >= 0);
        close(fd);
    }
    MUST(symlink("a.c", "t/link") == 0);

    CHECK(nftw("t", visit, 8, FTW_PHYS));
    show("nftw phys");
    CHECK(nftw("t", visit, 8, FTW_DEPTH | FTW_PHYS));
    show("nftw depth");
    CHECK(nftw("t", visit, 8, 0));
    show("nftw follow");
    CHECK(nftw("t", stop_at_b, 8, FTW_PHYS));
    CHECK(nftw("missing", visit, 8, 0));
    CHECK(ftw("t", old_visit, 8));
    show("ftw");

    glob_t g;
    CHECK(glob("t/*.c", 0, NULL, &g));
    for (size_t i = 0; i < g.gl_pathc; i++) printf("  %s\n", g.gl_pathv[i]);
    CHECK(glob("t/*/*.c", GLOB_APPEND, NULL, &g));
    printf("appended: %zu, last %s\n", g.gl_pathc, g.gl_pathv[g.gl_pathc - 1]);
    globfree(&g);
    CHECK(glob("t/*", GLOB_MARK, NULL, &g));
    for (size_t i = 0; i < g.gl_pathc; i++) printf("  %s\n", g.gl_pathv[i]);
    globfree(&g);
    CHECK(glob("t/*.zz", 0, NULL, &g) == GLOB_NOMATCH);
    CHECK(glob("t/*.zz", GLOB_NOCHECK, NULL, &g));
    printf("nocheck: %s\n", g.gl_pathv[0]);
    globfree(&g);
    CHECK(glob("t/.*.c", 0, NULL, &g));
    printf("dot: %s\n", g.gl_pathv[0]);
    globfree(&g);

    CHECK(fnmatch("*.c", "a.c", 0));
    CHECK(fnmatch("*.c", "a.h", 0) == FNM_NOMATCH);
    CHECK(fnmatch("*", "dir/a", FNM_PATHNAME) == FNM_NOMATCH);
    CHECK(fnmatch("*/a", "dir/a", FNM_PATHNAME));
    CHECK(fnmatch("*", ".hidden", FNM_PERIOD) == FNM_NOMATCH);
    CHECK(fnmatch("A.C", "a.c", FNM_CASEFOLD));
    CHECK(fnmatch("[a-c]?[!x]", "b1y", 0));
    CHECK(fnmatch("\\*", "*", 0));
    CHECK(fnmatch("\\*", "\\*", FNM_NOESCAPE));
    CHECK(fnmatch("dir", "dir/sub", FNM_LEADING_DIR));
    return 0;
}
