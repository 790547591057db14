/*
 * symlinks: symlink/readlink, lstat vs stat, relative and absolute targets,
 * dangling links, loops, links to directories, and hard links (nlink).
 *
 * usage: symlinks [DIR] [--linux]   (works in DIR/symlinks.d, default /tmp)
 */
#include <dirent.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common.h"

static const char *kind(mode_t m) {
    return S_ISLNK(m) ? "link" : S_ISDIR(m) ? "dir" : S_ISREG(m) ? "file" : "other";
}

static void show_lstat(const char *label, const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        printf("%s: lstat %s\n", label, errname(errno));
        return;
    }
    /* Only sizes of links and files: a directory's size depends on the FS. */
    printf("%s: lstat %s size %ld", label, kind(st.st_mode), (long)st.st_size);
    if (stat(path, &st) != 0)
        printf(", stat %s\n", errname(errno));
    else if (S_ISDIR(st.st_mode))
        printf(", stat dir\n");
    else
        printf(", stat %s size %ld\n", kind(st.st_mode), (long)st.st_size);
}

static void show_readlink(const char *label, const char *path) {
    char buf[256];
    errno = 0;
    ssize_t n = readlink(path, buf, sizeof buf - 1);
    if (n < 0) {
        printf("%s: readlink %s\n", label, errname(errno));
        return;
    }
    buf[n] = '\0';
    printf("%s: -> \"%s\" (%ld)\n", label, buf, (long)n);
}

static long nlink_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_nlink : -1;
}

int main(int argc, char **argv) {
    linux_mode(argc, argv);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-')
            base_dir = argv[i];
    char top[256], buf[256], abs_target[300];
    snprintf(top, sizeof top, "%s/symlinks.d", base_dir);
    EXPECT_OK(mkdir(top, 0755), "mkdir work dir");
    base_dir = top;
    struct stat st;

    EXPECT_OK(put_file(at("t"), "target data"), "create t");

    /* --- relative target --- */
    EXPECT_OK(symlink("t", at("rel")), "symlink rel -> t");
    show_readlink("rel", at("rel"));
    show_lstat("rel", at("rel"));
    printf("read via rel: %s\n", get_file(at("rel"), buf, sizeof buf));
    CHECK(strcmp(buf, "target data") == 0);
    CHECK(lstat(at("rel"), &st) == 0 && S_ISLNK(st.st_mode));
    CHECK(stat(at("rel"), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 11);

    /* --- absolute target (wasmtime's WASI refuses absolute links: a sandbox escape) --- */
    if (linux_checks) {
        snprintf(abs_target, sizeof abs_target, "%s/t", top);
        EXPECT_OK(symlink(abs_target, at("abs")), "linux: symlink abs -> /.../t");
        ssize_t n = readlink(at("abs"), buf, sizeof buf);
        printf("linux: readlink abs matches: %d\n",
               n == (ssize_t)strlen(abs_target) && memcmp(buf, abs_target, (size_t)n) == 0);
        CHECK(lstat(at("abs"), &st) == 0 && S_ISLNK(st.st_mode));
        printf("linux: abs lstat size is target length: %d\n",
               (long)st.st_size == (long)strlen(abs_target));
        printf("linux: read via abs: %s\n", get_file(at("abs"), buf, sizeof buf));
        CHECK(strcmp(buf, "target data") == 0);
        EXPECT_OK(symlink("/", at("toroot")), "linux: symlink toroot -> /");
        printf("linux: stat toroot/bin: %s\n",
               stat(at("toroot/bin"), &st) == 0 ? kind(st.st_mode) : errname(errno));
        EXPECT_OK(symlink("/tmp/../..", at("up")), "linux: symlink up -> /tmp/../..");
        printf("linux: stat up/bin: %s\n",
               stat(at("up/bin"), &st) == 0 ? kind(st.st_mode) : errname(errno));
        EXPECT_OK(symlink("/nonexistent/x", at("absdangle")), "linux: symlink absdangle");
        EXPECT_ERR(open(at("absdangle"), O_RDONLY), ENOENT, "linux: open absdangle");
        CHECK(unlink(at("abs")) == 0 && unlink(at("toroot")) == 0 && unlink(at("up")) == 0 &&
              unlink(at("absdangle")) == 0);
    }

    /* --- chains --- */
    EXPECT_OK(symlink("rel", at("chain")), "symlink chain -> rel");
    printf("read via chain: %s\n", get_file(at("chain"), buf, sizeof buf));
    CHECK(strcmp(buf, "target data") == 0);

    /* --- dangling --- */
    EXPECT_OK(symlink("nowhere", at("dangle")), "symlink dangle -> nowhere");
    show_lstat("dangle", at("dangle"));
    show_readlink("dangle", at("dangle"));
    EXPECT_ERR(open(at("dangle"), O_RDONLY), ENOENT, "open dangling");
    EXPECT_ERR(open(at("dangle"), O_RDONLY | O_CREAT | O_EXCL, 0644), EEXIST,
               "O_CREAT|O_EXCL on dangling");
    if (linux_case("creat-dangling")) {
        /* Linux creates the target of a dangling link on O_CREAT. */
        int fd = open(at("dangle"), O_WRONLY | O_CREAT, 0644);
        EXPECT_OK(fd, "linux: O_CREAT through dangling link");
        if (fd >= 0) {
            CHECK(write(fd, "made", 4) == 4);
            close(fd);
        }
        printf("linux: nowhere now: %s\n", get_file(at("nowhere"), buf, sizeof buf));
        CHECK(strcmp(buf, "made") == 0);
        unlink(at("nowhere"));
    }

    /* --- loops --- */
    EXPECT_OK(symlink("b", at("a")), "symlink a -> b");
    EXPECT_OK(symlink("a", at("b")), "symlink b -> a");
    EXPECT_ERR(open(at("a"), O_RDONLY), ELOOP, "open loop");
    EXPECT_ERR(stat(at("a"), &st), ELOOP, "stat loop");
    EXPECT_OK(lstat(at("a"), &st), "lstat loop");
    show_readlink("a", at("a"));
    EXPECT_OK(symlink("self", at("self")), "symlink self -> self");
    EXPECT_ERR(open(at("self"), O_RDONLY), ELOOP, "open self loop");
    EXPECT_ERR(stat(at("self/x"), &st), ELOOP, "stat through self loop");

    /* --- a link to a directory, and paths through it --- */
    EXPECT_OK(mkdir(at("dir"), 0755), "mkdir dir");
    EXPECT_OK(put_file(at("dir/inner"), "inner data"), "create dir/inner");
    EXPECT_OK(symlink("dir", at("dlink")), "symlink dlink -> dir");
    show_lstat("dlink", at("dlink"));
    printf("read dlink/inner: %s\n", get_file(at("dlink/inner"), buf, sizeof buf));
    CHECK(strcmp(buf, "inner data") == 0);
    EXPECT_OK(put_file(at("dlink/new"), "via link"), "create dlink/new");
    printf("read dir/new: %s\n", get_file(at("dir/new"), buf, sizeof buf));
    EXPECT_OK(symlink("../t", at("dir/up")), "symlink dir/up -> ../t");
    printf("read dir/up: %s\n", get_file(at("dir/up"), buf, sizeof buf));
    printf("read dlink/up: %s\n", get_file(at("dlink/up"), buf, sizeof buf));
    EXPECT_OK(stat(at("dlink/"), &st), "stat dlink/");
    printf("dlink/ is dir: %d\n", S_ISDIR(st.st_mode));
    EXPECT_OK(stat(at("dlink/../t"), &st), "stat dlink/../t");
    {
        DIR *d = opendir(at("dlink"));
        int count = 0;
        struct dirent *de;
        while (d != NULL && (de = readdir(d)) != NULL)
            if (de->d_name[0] != '.')
                count++;
        if (d != NULL)
            closedir(d);
        printf("opendir dlink: %s, %d entries\n", d ? "ok" : errname(errno), count);
        CHECK(count == 3);
    }
    EXPECT_ERR(rmdir(at("dlink")), ENOTDIR, "rmdir symlink to dir");
    EXPECT_ERR(mkdir(at("dlink"), 0755), EEXIST, "mkdir over symlink");
    EXPECT_ERR(symlink("t", at("rel")), EEXIST, "symlink over existing");
    EXPECT_ERR(symlink("t", at("dir")), EEXIST, "symlink over dir");

    /* --- readlink errors --- */
    EXPECT_ERR(readlink(at("t"), buf, sizeof buf), EINVAL, "readlink regular file");
    EXPECT_ERR(readlink(at("dir"), buf, sizeof buf), EINVAL, "readlink dir");
    EXPECT_ERR(readlink(at("missing"), buf, sizeof buf), ENOENT, "readlink missing");
    {
        ssize_t n = readlink(at("dangle"), buf, 3);
        printf("readlink small buffer: %ld \"%.3s\"\n", (long)n, buf);
        CHECK(n == 3 && memcmp(buf, "now", 3) == 0);
    }

    /* --- rename and unlink act on the link itself --- */
    EXPECT_OK(rename(at("rel"), at("rel2")), "rename link");
    show_readlink("rel2", at("rel2"));
    EXPECT_OK(unlink(at("rel2")), "unlink link");
    EXPECT_OK(stat(at("t"), &st), "target survives");
    EXPECT_OK(unlink(at("dlink")), "unlink link to dir");
    EXPECT_OK(stat(at("dir/inner"), &st), "dir survives");

    /* --- hard links --- */
    printf("nlink t: %ld\n", nlink_of(at("t")));
    EXPECT_OK(link(at("t"), at("hard")), "link hard -> t");
    printf("nlink t: %ld hard: %ld\n", nlink_of(at("t")), nlink_of(at("hard")));
    CHECK(nlink_of(at("t")) == 2 && nlink_of(at("hard")) == 2);
    EXPECT_OK(link(at("t"), at("dir/hard2")), "link dir/hard2 -> t");
    printf("nlink t: %ld\n", nlink_of(at("t")));
    CHECK(nlink_of(at("t")) == 3);
    {
        int fd = open(at("hard"), O_WRONLY | O_APPEND);
        CHECK(fd >= 0 && write(fd, "+more", 5) == 5);
        close(fd);
    }
    printf("t after write via hard: %s\n", get_file(at("t"), buf, sizeof buf));
    CHECK(strcmp(buf, "target data+more") == 0);
    EXPECT_OK(unlink(at("t")), "unlink t");
    printf("nlink hard: %ld\n", nlink_of(at("hard")));
    CHECK(nlink_of(at("hard")) == 2);
    printf("hard still: %s\n", get_file(at("hard"), buf, sizeof buf));
    EXPECT_OK(unlink(at("dir/hard2")), "unlink dir/hard2");
    printf("nlink hard: %ld\n", nlink_of(at("hard")));
    CHECK(nlink_of(at("hard")) == 1);
    EXPECT_ERR(link(at("hard"), at("dir/inner")), EEXIST, "link over existing");
    EXPECT_ERR(link(at("missing"), at("x")), ENOENT, "link missing");
    EXPECT_ERR(link(at("dir"), at("dirhard")), EPERM, "link a directory");
    int fd;
    printf("nlink dir with no subdirs: %ld\n", nlink_of(at("dir")));
    EXPECT_OK(mkdir(at("dir/sub"), 0755), "mkdir dir/sub");
    printf("nlink dir with one subdir: %ld\n", nlink_of(at("dir")));

    /* --- hard links share an inode; rename onto a twin link does nothing --- */
    {
        struct stat st2;
        EXPECT_OK(put_file(at("twin1"), "twin"), "create twin1");
        EXPECT_OK(link(at("twin1"), at("twin2")), "link twin2 -> twin1");
        CHECK(stat(at("twin1"), &st) == 0 && stat(at("twin2"), &st2) == 0);
        printf("same inode: %d, same device: %d\n", st.st_ino == st2.st_ino,
               st.st_dev == st2.st_dev);
        CHECK(st.st_ino == st2.st_ino && st.st_dev == st2.st_dev);
        CHECK(stat(at("hard"), &st2) == 0);
        printf("other file, other inode: %d\n", st.st_ino != st2.st_ino);
        EXPECT_OK(rename(at("twin1"), at("twin2")), "rename twin1 onto twin2");
        printf("twin1 still there: %d, nlink %ld\n", stat(at("twin1"), &st) == 0,
               nlink_of(at("twin2")));
        unlink(at("twin1"));
        EXPECT_OK(unlink(at("twin2")), "unlink twin2");
    }

    /* --- more path walking through links --- */
    EXPECT_ERR(symlink("", at("empty")), ENOENT, "symlink with empty target");
    EXPECT_OK(symlink("hard", at("tofile")), "symlink tofile -> hard");
    EXPECT_ERR(stat(at("tofile/x"), &st), ENOTDIR, "link to file used as dir");
    EXPECT_ERR(open(at("tofile"), O_RDONLY | O_NOFOLLOW), ELOOP, "O_NOFOLLOW on a link");
    {
        fd = open(at("hard"), O_RDONLY | O_NOFOLLOW);
        printf("O_NOFOLLOW on a file: %s\n", fd >= 0 ? "ok" : errname(errno));
        close(fd);
    }
    /* chains: 40 links are followed, 41 are a loop (ELOOP) */
    for (int i = 0; i < 41; i++) {
        char name[32], target[32];
        snprintf(name, sizeof name, "c%d", i);
        snprintf(target, sizeof target, i == 40 ? "hard" : "c%d", i + 1);
        CHECK(symlink(target, at(name)) == 0);
    }
    EXPECT_OK(stat(at("c1"), &st), "40 links in a row");
    EXPECT_ERR(stat(at("c0"), &st), ELOOP, "41 links in a row");
    for (int i = 0; i < 41; i++) {
        char name[32];
        snprintf(name, sizeof name, "c%d", i);
        CHECK(unlink(at(name)) == 0);
    }
    CHECK(unlink(at("tofile")) == 0);

    /* --- clean up --- */
    const char *names[] = {"chain", "dangle", "a", "b", "self", "hard",
                           "dir/inner", "dir/new", "dir/up", NULL};
    int cleaned = 1;
    for (int i = 0; names[i] != NULL; i++)
        if (unlink(at(names[i])) != 0) {
            printf("unlink %s: %s\n", names[i], errname(errno));
            cleaned = 0;
        }
    cleaned &= rmdir(at("dir/sub")) == 0 && rmdir(at("dir")) == 0 && rmdir(top) == 0;
    printf("cleaned up: %d\n", cleaned);
    CHECK(cleaned);
    return finish();
}
