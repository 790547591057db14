/*
 * image: files that come from the instance image (the read-only lower layer
 * of PyOcclum's root unionfs) can be read, changed, removed, renamed and
 * recreated as if the root were one ordinary writable file system.
 *
 * The test puts these in image/: etc/hosts, etc/hostname (from the
 * template), data/dir/a.txt ("a\n"), data/dir/sub/b.txt ("b\n"),
 * data/keep.txt ("keep\n"), data/mv/x.txt ("x\n"), data/mv/in/y.txt ("y\n").
 */
#include <dirent.h>
#include <sys/stat.h>

#include "common.h"

/* Printed before each line of list() and cat(). */
static const char *tag = "";

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        printf("%sls %s: %s\n", tag, dir, errname(errno));
        return;
    }
    char *names[64];
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && count < 64)
        if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
            names[count++] = strdup(de->d_name);
    closedir(d);
    qsort(names, (size_t)count, sizeof names[0], cmp_str);
    printf("%sls %s:", tag, dir);
    for (int i = 0; i < count; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void cat(const char *path) {
    char buf[256];
    get_file(path, buf, sizeof buf);
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = '|';
    printf("%scat %s: %s\n", tag, path, buf);
}

int main(int argc, char **argv) {
    linux_mode(argc, argv);
    struct stat st;
    list("/etc");
    cat("/etc/hostname");
    cat("/etc/hosts");
    list("/data");
    list("/data/dir");
    CHECK(stat("/bin/image", &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0);

    /* change image files in place */
    int fd = open("/etc/hosts", O_WRONLY | O_APPEND);
    EXPECT_OK(fd, "open /etc/hosts O_APPEND");
    CHECK(write(fd, "10.0.0.2 other\n", 15) == 15);
    close(fd);
    cat("/etc/hosts");
    fd = open("/etc/hosts", O_RDWR);
    CHECK(pwrite(fd, "8", 1, 0) == 1);
    close(fd);
    cat("/etc/hosts");
    EXPECT_OK(put_file("/etc/hostname", "renamed\n"), "rewrite /etc/hostname");
    cat("/etc/hostname");
    fd = open("/data/keep.txt", O_RDWR);
    EXPECT_OK(ftruncate(fd, 2), "ftruncate image file");
    close(fd);
    cat("/data/keep.txt");
    CHECK(stat("/data/keep.txt", &st) == 0 && st.st_size == 2);

    /* remove and recreate */
    EXPECT_OK(unlink("/etc/hosts"), "unlink /etc/hosts");
    EXPECT_ERR(stat("/etc/hosts", &st), ENOENT, "stat removed image file");
    EXPECT_ERR(open("/etc/hosts", O_RDONLY), ENOENT, "open removed image file");
    list("/etc");
    EXPECT_OK(put_file("/etc/hosts", "fresh\n"), "recreate /etc/hosts");
    cat("/etc/hosts");
    list("/etc");

    /* rename image files */
    EXPECT_OK(rename("/etc/hostname", "/etc/hostname.old"), "rename image file");
    cat("/etc/hostname");
    cat("/etc/hostname.old");
    EXPECT_OK(rename("/data/keep.txt", "/etc/hostname.old"), "rename image file over another");
    cat("/etc/hostname.old");
    list("/etc");
    list("/data");

    /* directories from the image */
    EXPECT_ERR(rmdir("/data/dir"), ENOTEMPTY, "rmdir non-empty image dir");
    EXPECT_OK(mkdir("/data/dir/new", 0755), "mkdir in image dir");
    list("/data/dir");
    EXPECT_OK(rmdir("/data/dir/new"), "rmdir it");
    EXPECT_OK(unlink("/data/dir/a.txt"), "unlink image a.txt");
    EXPECT_OK(unlink("/data/dir/sub/b.txt"), "unlink image sub/b.txt");
    list("/data/dir/sub");
    EXPECT_OK(rmdir("/data/dir/sub"), "rmdir emptied image dir");
    list("/data/dir");
    EXPECT_OK(rmdir("/data/dir"), "rmdir emptied image dir again");
    EXPECT_ERR(stat("/data/dir", &st), ENOENT, "image dir gone");
    EXPECT_OK(mkdir("/data/dir", 0755), "mkdir same name");
    list("/data/dir");
    EXPECT_ERR(stat("/data/dir/a.txt", &st), ENOENT, "old a.txt stays gone");
    EXPECT_ERR(stat("/data/dir/sub", &st), ENOENT, "old sub stays gone");
    EXPECT_OK(put_file("/data/dir/c.txt", "c\n"), "create in recreated dir");
    list("/data/dir");
    list("/data");
    EXPECT_ERR(rmdir("/etc"), ENOTEMPTY, "rmdir /etc");

    /* Renaming a directory that has image content fails with EXDEV in
     * PyOcclum, as in overlayfs without redirect_dir (documented in
     * fs/unionfs/inode.py); mv then copies. A plain directory (the oracle) renames. */
    if (linux_checks) {
        tag = "linux: ";
        EXPECT_ERR(rename("/data/mv", "/data/moved"), EXDEV, "linux: rename image dir");
        EXPECT_OK(stat("/data/mv/in/y.txt", &st), "linux: image dir unchanged");
        EXPECT_OK(mkdir("/data/moved", 0755), "linux: mkdir copy target");
        EXPECT_OK(rename("/data/mv/x.txt", "/data/moved/x.txt"), "linux: move a file out of it");
        cat("/data/moved/x.txt");
        list("/data/mv");
    }
    return finish();
}
