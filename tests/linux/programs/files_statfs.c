/* statfs, fstatfs, statvfs, fstatvfs: what must agree with Linux whatever the file
 * system (name length, block size, sane counts, the read-only flag of a writable
 * folder, /proc's and /dev's types, a pipe's), and the error paths. */
#include "linuxtest.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <unistd.h>

#define PROC_MAGIC 0x9fa0
#define TMPFS_MAGIC_ 0x01021994
#define PIPEFS_MAGIC_ 0x50495045

static void show_statfs(const char *what, const struct statfs *s) {
    printf("%s: namelen %ld bsize>0 %d frsize>0 %d blocks>=bfree %d bfree>=bavail %d "
           "rdonly %d\n",
           what, (long)s->f_namelen, s->f_bsize > 0, s->f_frsize > 0,
           s->f_blocks >= s->f_bfree, s->f_bfree >= s->f_bavail,
           (s->f_flags & ST_RDONLY) != 0);
}

static void show_statvfs(const char *what, const struct statvfs *s) {
    printf("%s: namemax %ld bsize>0 %d frsize>0 %d blocks>=bfree %d bfree>=bavail %d "
           "rdonly %d\n",
           what, (long)s->f_namemax, s->f_bsize > 0, s->f_frsize > 0,
           s->f_blocks >= s->f_bfree, s->f_bfree >= s->f_bavail, (s->f_flag & ST_RDONLY) != 0);
}

int main(void) {
    struct statfs a, b;
    struct statvfs v, w;
    CHECK(statfs(".", &a));
    show_statfs("statfs .", &a);
    printf("has blocks %d\n", a.f_blocks > 0);
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    MUST(fd >= 0);
    CHECK(fstatfs(fd, &b));
    show_statfs("fstatfs f", &b);
    printf("same fs: type %d fsid %d\n", a.f_type == b.f_type,
           memcmp(&a.f_fsid, &b.f_fsid, sizeof a.f_fsid) == 0);
    CHECK(statvfs(".", &v));
    show_statvfs("statvfs .", &v);
    CHECK(fstatvfs(fd, &w));
    show_statvfs("fstatvfs f", &w);
    printf("statvfs agrees: bsize %d blocks %d flag-valid-bit-clear %d\n",
           v.f_bsize == a.f_bsize, v.f_blocks == a.f_blocks, (v.f_flag & 0x20) == 0);
    CHECK(statfs("f", &b));
    CHECK(mkdir("d", 0755));
    CHECK(symlink("d", "link"));
    CHECK(statfs("link", &b));
    CHECK(statfs("d/", &b));

    CHECK(statfs("/proc", &b));
    printf("/proc is proc: %d\n", b.f_type == PROC_MAGIC);
    CHECK(statfs("/proc/self/status", &b));
    printf("/proc/self/status is proc: %d\n", b.f_type == PROC_MAGIC);
    CHECK(statfs("/dev", &b));
    printf("/dev is tmpfs: %d\n", b.f_type == TMPFS_MAGIC_);
    CHECK(statfs("/dev/null", &b));
    printf("/dev/null is tmpfs: %d\n", b.f_type == TMPFS_MAGIC_);

    int p[2];
    MUST(pipe(p) == 0);
    CHECK(fstatfs(p[0], &b));
    printf("pipe is pipefs: %d namelen %ld\n", b.f_type == PIPEFS_MAGIC_, (long)b.f_namelen);
    CHECK(fstatvfs(p[1], &w));

    /* Errors. */
    CHECK(statfs("missing", &b));
    CHECK(statfs("missing/x", &b));
    CHECK(statfs("f/x", &b));
    CHECK(statfs("", &b));
    CHECK(statvfs("missing", &v));
    CHECK(statvfs("f/", &v));
    CHECK(fstatfs(-1, &b));
    CHECK(fstatfs(99, &b));
    CHECK(fstatvfs(-1, &v));
    CHECK(symlink("loop", "loop"));
    CHECK(statfs("loop", &b));
    close(fd);
    CHECK(fstatfs(fd, &b));
    return 0;
}
