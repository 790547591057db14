/*
 * dirs: mkdir/rmdir, readdir (sorted by the program), nested directories,
 * renaming directories, chdir + relative paths + getcwd, and "..".
 *
 * usage: dirs [DIR] [--linux]   (works in DIR/dirs.d, default /tmp)
 */
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common.h"

#define MAX_NAMES 512

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char type_mark(const char *dir, const struct dirent *de) {
    char full[1024];
    struct stat st;
    snprintf(full, sizeof full, "%s/%s", dir, de->d_name);
    if (lstat(full, &st) != 0)
        return '?';
    int want = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
    if (de->d_type != DT_UNKNOWN && de->d_type != want)
        FAILF("%s: d_type %d but lstat says %d", full, de->d_type, want);
    return want == DT_DIR ? '/' : want == DT_LNK ? '@' : ' ';
}

/* Prints "label: N entries: a b/ c" (sorted; '/' marks directories).
 * Returns the number of entries other than "." and "..", or -1. */
static int list(const char *label, const char *dir, int verbose) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        printf("%s: opendir %s\n", label, errname(errno));
        FAILF("opendir %s", dir);
        return -1;
    }
    char *names[MAX_NAMES];
    int count = 0, dots = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            dots++;
            continue;
        }
        if (count == MAX_NAMES) {
            FAILF("too many entries");
            break;
        }
        char mark = type_mark(dir, de);
        size_t len = strlen(de->d_name);
        names[count] = malloc(len + 2);
        memcpy(names[count], de->d_name, len);
        names[count][len] = mark == ' ' ? '\0' : mark;
        names[count][len + 1] = '\0';
        count++;
    }
    if (errno != 0)
        FAILF("readdir: %s", errname(errno));
    closedir(d);
    qsort(names, (size_t)count, sizeof names[0], cmp_str);
    for (int i = 1; i < count; i++)
        if (strcmp(names[i - 1], names[i]) == 0)
            FAILF("%s listed twice", names[i]);
    printf("%s: %d entries (dots %d)", label, count, dots);
    if (verbose) {
        printf(":");
        for (int i = 0; i < count; i++)
            printf(" %s", names[i]);
    } else if (count > 0) {
        printf(": first %s last %s", names[0], names[count - 1]);
    }
    printf("\n");
    for (int i = 0; i < count; i++)
        free(names[i]);
    return count;
}

/* Removes the tree at path: names are read first, then removed. */
static int rm_rf(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode))
        return unlink(path);
    DIR *d = opendir(path);
    if (d == NULL)
        return -1;
    char *names[MAX_NAMES];
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && count < MAX_NAMES)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            names[count++] = strdup(de->d_name);
    closedir(d);
    int rc = 0;
    for (int i = 0; i < count; i++) {
        char full[1024];
        snprintf(full, sizeof full, "%s/%s", path, names[i]);
        if (rm_rf(full) != 0)
            rc = -1;
        free(names[i]);
    }
    return rmdir(path) != 0 ? -1 : rc;
}

static void show_cwd(const char *label) {
    char buf[512];
    if (getcwd(buf, sizeof buf) == NULL) {
        printf("%s: getcwd %s\n", label, errname(errno));
        FAILF("getcwd");
        return;
    }
    printf("%s: %s\n", label, buf);
}

int main(int argc, char **argv) {
    linux_mode(argc, argv);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-')
            base_dir = argv[i];
    char top[256];
    snprintf(top, sizeof top, "%s/dirs.d", base_dir);
    EXPECT_OK(mkdir(top, 0755), "mkdir work dir");
    base_dir = top;
    struct stat st;

    /* --- mkdir and its errors --- */
    EXPECT_OK(mkdir(at("d"), 0755), "mkdir d");
    EXPECT_ERR(mkdir(at("d"), 0755), EEXIST, "mkdir d again");
    EXPECT_ERR(mkdir(at("missing/x"), 0755), ENOENT, "mkdir under missing");
    EXPECT_OK(put_file(at("d/alpha"), "A"), "create d/alpha");
    EXPECT_ERR(mkdir(at("d/alpha/x"), 0755), ENOTDIR, "mkdir under file");
    EXPECT_OK(mkdir(at("d/sub1"), 0755), "mkdir d/sub1");
    EXPECT_OK(mkdir(at("d/sub2"), 0700), "mkdir d/sub2");
    EXPECT_OK(mkdir(at("d/sub1/deep"), 0755), "mkdir d/sub1/deep");
    EXPECT_OK(put_file(at("d/zeta"), "Z"), "create d/zeta");
    EXPECT_OK(put_file(at("d/Mid"), "M"), "create d/Mid");
    EXPECT_OK(put_file(at("d/sub1/deep/leaf"), "leaf"), "create leaf");
    CHECK(stat(at("d/sub1"), &st) == 0 && S_ISDIR(st.st_mode));

    /* --- readdir --- */
    CHECK(list("list d", at("d"), 1) == 5);
    CHECK(list("list d/sub2 (empty)", at("d/sub2"), 1) == 0);
    CHECK(list("list d/sub1/deep", at("d/sub1/deep"), 1) == 1);
    {
        DIR *d = opendir(at("d"));
        int first = 0, second = 0;
        while (readdir(d) != NULL)
            first++;
        rewinddir(d);
        while (readdir(d) != NULL)
            second++;
        closedir(d);
        printf("rewinddir: same count %d\n", first == second);
        CHECK(first == second && first == 7);
    }
    errno = 0;
    CHECK(opendir(at("d/alpha")) == NULL);
    printf("opendir file: %s\n", errname(errno));
    errno = 0;
    CHECK(opendir(at("d/none")) == NULL);
    printf("opendir missing: %s\n", errname(errno));

    /* --- rmdir --- */
    EXPECT_ERR(rmdir(at("d")), ENOTEMPTY, "rmdir non-empty");
    EXPECT_ERR(rmdir(at("d/alpha")), ENOTDIR, "rmdir file");
    EXPECT_ERR(rmdir(at("d/none")), ENOENT, "rmdir missing");
    EXPECT_OK(rmdir(at("d/sub2")), "rmdir empty");
    EXPECT_ERR(stat(at("d/sub2"), &st), ENOENT, "stat removed dir");
    CHECK(list("list d after rmdir", at("d"), 1) == 4);

    /* --- rename directories --- */
    EXPECT_OK(rename(at("d/sub1"), at("d/moved")), "rename dir");
    EXPECT_ERR(stat(at("d/sub1"), &st), ENOENT, "old dir name gone");
    printf("leaf via new name: %s\n", get_file(at("d/moved/deep/leaf"), (char[64]){0}, 64));
    EXPECT_OK(mkdir(at("d/empty"), 0755), "mkdir d/empty");
    EXPECT_OK(mkdir(at("d/full"), 0755), "mkdir d/full");
    EXPECT_OK(put_file(at("d/full/x"), "x"), "create d/full/x");
    EXPECT_ERR(rename(at("d/moved"), at("d/full")), ENOTEMPTY, "rename over non-empty dir");
    EXPECT_ERR(rename(at("d/moved"), at("d/alpha")), ENOTDIR, "rename dir over file");
    EXPECT_ERR(rename(at("d/alpha"), at("d/empty")), EISDIR, "rename file over dir");
    EXPECT_ERR(rename(at("d/moved"), at("d/moved/deep/inside")), EINVAL, "rename into itself");
    EXPECT_OK(rename(at("d/moved"), at("d/empty")), "rename over empty dir");
    CHECK(list("list d after renames", at("d"), 1) == 5);
    CHECK(list("list d/empty", at("d/empty"), 1) == 1);
    EXPECT_OK(rename(at("d/empty/deep"), at("d/deep2")), "move dir to other parent");
    CHECK(list("list d/empty after move", at("d/empty"), 1) == 0);
    CHECK(list("list d/deep2", at("d/deep2"), 1) == 1);

    /* --- a directory bigger than one readdir buffer --- */
    EXPECT_OK(mkdir(at("many"), 0755), "mkdir many");
    for (int i = 0; i < 300; i++) {
        char name[128];
        snprintf(name, sizeof name, "many/%03d-%.*s", i, i % 90 + 1,
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
        if (put_file(at(name), "") != 0) {
            FAILF("create %s: %s", name, errname(errno));
            break;
        }
    }
    CHECK(list("list many", at("many"), 0) == 300);

    /* --- chdir, getcwd and relative paths --- */
    EXPECT_OK(chdir(at("d")), "chdir d");
    show_cwd("cwd");
    printf("relative read: %s\n", get_file("alpha", (char[64]){0}, 64));
    EXPECT_OK(mkdir("rel", 0755), "mkdir relative");
    EXPECT_OK(put_file("rel/f", "rel file"), "create relative");
    printf("absolute read of it: %s\n", get_file(at("d/rel/f"), (char[64]){0}, 64));
    EXPECT_OK(chdir("deep2"), "chdir relative");
    show_cwd("cwd");
    printf("../alpha: %s\n", get_file("../alpha", (char[64]){0}, 64));
    printf("../rel/../zeta: %s\n", get_file("../rel/../zeta", (char[64]){0}, 64));
    EXPECT_OK(stat("./leaf", &st), "stat ./leaf");
    EXPECT_OK(chdir(".."), "chdir ..");
    show_cwd("cwd");
    EXPECT_OK(chdir("./rel/../deep2/."), "chdir rel/../deep2/.");
    show_cwd("cwd");
    EXPECT_OK(chdir("../.."), "chdir ../..");
    show_cwd("cwd");
    EXPECT_ERR(chdir("d/alpha"), ENOTDIR, "chdir to file");
    EXPECT_ERR(chdir("d/nothing"), ENOENT, "chdir to missing");
    show_cwd("cwd unchanged");
    {
        char small[4];
        errno = 0;
        CHECK(getcwd(small, sizeof small) == NULL);
        printf("getcwd small buffer: %s\n", errname(errno));
    }
    EXPECT_OK(chdir("/"), "chdir /");
    show_cwd("cwd");

    /* --- ".", ".." and slashes in paths --- */
    EXPECT_OK(stat(at("d/./alpha"), &st), "stat d/./alpha");
    EXPECT_OK(stat(at("d//alpha"), &st), "stat d//alpha");
    EXPECT_OK(stat(at("d/deep2/../alpha"), &st), "stat d/deep2/../alpha");
    EXPECT_OK(stat(at("d/deep2/"), &st), "stat dir with trailing slash");
    EXPECT_ERR(stat(at("d/alpha/"), &st), ENOTDIR, "stat file with trailing slash");
    EXPECT_ERR(open(at("d/alpha/"), O_RDONLY), ENOTDIR, "open file with trailing slash");
    EXPECT_ERR(stat(at("d/nothing/.."), &st), ENOENT, "missing/..");
    EXPECT_OK(mkdir(at("slash/"), 0755), "mkdir with trailing slash");
    EXPECT_ERR(rmdir(at("slash/.")), EINVAL, "rmdir dir/.");
    if (linux_checks) /* wasmtime: EINVAL */
        EXPECT_OK(rmdir(at("slash/")), "linux: rmdir with trailing slash");
    else
        EXPECT_OK(rmdir(at("slash")), "rmdir slash");
    if (linux_case("rmdir-dotdot")) {
        /* Linux: ENOTEMPTY for a last component "..", EINVAL for "." */
        EXPECT_OK(mkdir(at("dd"), 0755), "linux: mkdir dd");
        EXPECT_ERR(rmdir(at("dd/..")), ENOTEMPTY, "linux: rmdir dir/..");
        rmdir(at("dd"));
    }

    /* the cwd removed under our feet */
    EXPECT_OK(mkdir(at("gone"), 0755), "mkdir gone");
    EXPECT_OK(chdir(at("gone")), "chdir gone");
    EXPECT_OK(rmdir(at("gone")), "rmdir the cwd");
    EXPECT_ERR(open("x", O_WRONLY | O_CREAT, 0644), ENOENT, "create in removed cwd");
    EXPECT_OK(chdir("/"), "chdir / again");

    /* readdir's d_ino is the inode stat reports (".." only on Linux) */
    {
        DIR *dir = opendir(at("d"));
        struct dirent *de;
        int match = 1, dotdot = 1;
        while (dir != NULL && (de = readdir(dir)) != NULL) {
            char full[600];
            snprintf(full, sizeof full, "%s/%s", at("d"), de->d_name);
            int same = lstat(full, &st) == 0 && st.st_ino == de->d_ino;
            if (strcmp(de->d_name, "..") == 0)
                dotdot = same;
            else if (!same)
                match = 0;
        }
        if (dir != NULL)
            closedir(dir);
        printf("d_ino matches st_ino: %d\n", match);
        CHECK(match);
        if (linux_checks) {
            printf("linux: d_ino of .. matches: %d\n", dotdot);
            CHECK(dotdot);
        }
    }
    if (linux_checks) {
        /* wasmtime refuses paths that climb above the preopened root. */
        EXPECT_OK(stat("/..", &st), "linux: stat /..");
        EXPECT_OK(stat("/../../bin", &st), "linux: stat /../../bin");
        EXPECT_OK(chdir("/tmp/../.."), "linux: chdir /tmp/../..");
        show_cwd("linux: cwd");
        EXPECT_OK(chdir(".."), "linux: chdir .. at /");
        show_cwd("linux: cwd");
        EXPECT_ERR(stat(at("d/alpha/.."), &st), ENOTDIR, "linux: file/..");
    }
    if (linux_case("lseek-dir")) {
        /* Linux lets a directory fd seek back to its start. */
        int dfd = open(at("d"), O_RDONLY | O_DIRECTORY);
        EXPECT_OK(lseek(dfd, 0, SEEK_SET), "linux: lseek directory to 0");
        close(dfd);
    }
    if (linux_checks) {

        /* Removing entries while reading the directory must not skip any. */
        DIR *d = opendir(at("many"));
        struct dirent *de;
        int removed = 0;
        while (d != NULL && (de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            char name[256];
            snprintf(name, sizeof name, "many/%s", de->d_name);
            if (unlink(at(name)) == 0)
                removed++;
        }
        if (d != NULL)
            closedir(d);
        printf("linux: removed while reading: %d\n", removed);
        CHECK(removed == 300);
        EXPECT_OK(rmdir(at("many")), "linux: rmdir emptied dir");
    }

    EXPECT_OK(rm_rf(top), "remove work tree");
    EXPECT_ERR(stat(top, &st), ENOENT, "work tree gone");
    return finish();
}
