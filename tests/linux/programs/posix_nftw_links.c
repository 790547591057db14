/* nftw, glob and scandir across symbolic links with absolute targets (the
 * usual kind in a system tree: /usr/lib/x -> /opt/x): followed without
 * FTW_PHYS, reported as FTW_SL with it, and glob matching through them;
 * fts, logical and physical; glob's GLOB_TILDE. */
#include "linuxtest.h"
#include <fcntl.h>
#include <fts.h>
#include <ftw.h>
#include <glob.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

static char seen[64][80];
static int nseen;
static size_t prefix;

static int cmp(const void *a, const void *b) { return strcmp(a, b); }

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)st;
    if (nseen < 64)
        snprintf(seen[nseen++], 80, "%s:%s:%d", path + prefix,
                 type == FTW_F ? "F" : type == FTW_D ? "D" : type == FTW_SL ? "SL"
                 : type == FTW_SLN ? "SLN" : type == FTW_NS ? "NS" : "?", ftw->level);
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
    char cwd[PATH_MAX], target[PATH_MAX + 16], top[PATH_MAX + 16];
    MUST(getcwd(cwd, sizeof cwd) != NULL);
    MUST(mkdir("real", 0755) == 0 && mkdir("tree", 0755) == 0);
    int fd = open("real/file.txt", O_CREAT | O_WRONLY, 0644);
    MUST(fd >= 0);
    close(fd);
    snprintf(target, sizeof target, "%s/real", cwd);
    MUST(symlink(target, "tree/abs") == 0);             /* absolute, to a directory */
    snprintf(target, sizeof target, "%s/real/file.txt", cwd);
    MUST(symlink(target, "tree/absfile") == 0);         /* absolute, to a file */
    MUST(symlink("/nonexistent/x", "tree/dangling") == 0);
    snprintf(top, sizeof top, "%s/tree", cwd);
    prefix = strlen(cwd) + 1;

    CHECK(nftw(top, visit, 8, 0));
    show("followed");
    CHECK(nftw(top, visit, 8, FTW_PHYS));
    show("physical");

    const char *kinds[] = {"logical", "physical"};
    int opts[] = {FTS_LOGICAL | FTS_NOCHDIR, FTS_PHYSICAL | FTS_NOCHDIR};
    for (int k = 0; k < 2; k++) {
        char *roots[] = {"tree", NULL};
        FTS *fts = fts_open(roots, opts[k], NULL);
        MUST(fts != NULL);
        FTSENT *e;
        while ((e = fts_read(fts)) != NULL && nseen < 64)
            snprintf(seen[nseen++], 80, "%s:%s", e->fts_path,
                     e->fts_info == FTS_D ? "D" : e->fts_info == FTS_DP ? "DP"
                     : e->fts_info == FTS_F ? "F" : e->fts_info == FTS_SL ? "SL"
                     : e->fts_info == FTS_SLNONE ? "SLNONE" : "?");
        CHECK(fts_close(fts));
        show(kinds[k]);
    }

    glob_t g;
    CHECK(glob("tree/abs/*.txt", 0, NULL, &g));
    for (size_t i = 0; i < g.gl_pathc; i++) printf("  glob %s\n", g.gl_pathv[i]);
    globfree(&g);
    /* ~ expands from $HOME */
    setenv("HOME", cwd, 1);
    CHECK(glob("~/real/*.txt", GLOB_TILDE, NULL, &g));
    for (size_t i = 0; i < g.gl_pathc; i++) printf("  tilde %s\n", g.gl_pathv[i] + prefix);
    globfree(&g);
    struct stat st;
    CHECK(stat("tree/abs/file.txt", &st));
    CHECK(stat("tree/dangling", &st));
    CHECK(lstat("tree/dangling", &st));
    CHECK(pathconf("tree/abs", _PC_NAME_MAX));
    CHECK(pathconf("tree/dangling", _PC_NAME_MAX));
    return 0;
}
