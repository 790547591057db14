/*
 * files: regular files. open/creat/O_EXCL/O_TRUNC/O_APPEND, read/write,
 * pread/pwrite, lseek (holes past EOF), ftruncate, fstat, fcntl, unlink of an
 * open file, rename over an existing file, and the common errors.
 *
 * usage: files [DIR] [--linux]   (works in DIR/files.d, default /tmp)
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "common.h"

static long file_size(const char *path) {
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long)st.st_size;
}

static long fd_size(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0)
        return -1;
    return (long)st.st_size;
}

/* Prints the bytes of buf[0..n) with NULs as '.'. */
static void show(const char *label, const char *buf, long n) {
    printf("%s: %ld \"", label, n);
    for (long i = 0; i < n; i++)
        putchar(buf[i] == '\0' ? '.' : buf[i]);
    printf("\"\n");
}

static int all_zero(const char *buf, long n) {
    for (long i = 0; i < n; i++)
        if (buf[i] != 0)
            return 0;
    return 1;
}

int main(int argc, char **argv) {
    linux_mode(argc, argv);
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-')
            base_dir = argv[i];
    char dir[256];
    snprintf(dir, sizeof dir, "%s/files.d", base_dir);
    EXPECT_OK(mkdir(dir, 0755), "mkdir work dir");
    base_dir = dir;

    char buf[256];
    long n;
    int fd;

    /* --- create, O_EXCL, read back --- */
    fd = open(at("a"), O_WRONLY | O_CREAT | O_EXCL, 0644);
    EXPECT_OK(fd, "open O_CREAT|O_EXCL new");
    n = write(fd, "hello world", 11);
    printf("write: %ld\n", n);
    CHECK(n == 11);
    CHECK(fd_size(fd) == 11);
    EXPECT_ERR(read(fd, buf, 1), EBADF, "read on O_WRONLY fd");
    close(fd);
    EXPECT_ERR(open(at("a"), O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST, "O_EXCL on existing");

    fd = open(at("a"), O_RDONLY);
    EXPECT_OK(fd, "open O_RDONLY");
    n = read(fd, buf, sizeof buf);
    show("read", buf, n);
    CHECK(n == 11 && memcmp(buf, "hello world", 11) == 0);
    n = read(fd, buf, sizeof buf);
    printf("read at EOF: %ld\n", n);
    CHECK(n == 0);
    EXPECT_ERR(write(fd, "x", 1), EBADF, "write on O_RDONLY fd");
    close(fd);

    /* --- creat --- */
    fd = creat(at("b"), 0644);
    EXPECT_OK(fd, "creat");
    CHECK(write(fd, "abc", 3) == 3);
    printf("fstat after creat+write: %ld\n", fd_size(fd));
    CHECK(fd_size(fd) == 3);
    close(fd);
    fd = creat(at("b"), 0644);
    printf("creat truncates: %ld\n", fd_size(fd));
    CHECK(fd_size(fd) == 0);
    close(fd);

    /* --- O_TRUNC --- */
    fd = open(at("a"), O_WRONLY | O_TRUNC);
    EXPECT_OK(fd, "open O_TRUNC");
    printf("size after O_TRUNC: %ld\n", fd_size(fd));
    CHECK(fd_size(fd) == 0);
    CHECK(write(fd, "12345", 5) == 5);
    close(fd);
    printf("stat size: %ld\n", file_size(at("a")));
    CHECK(file_size(at("a")) == 5);

    /* --- O_APPEND: every write goes to the end, whatever the offset --- */
    fd = open(at("a"), O_WRONLY | O_APPEND);
    EXPECT_OK(fd, "open O_APPEND");
    int fl = fcntl(fd, F_GETFL);
    printf("F_GETFL append: %d wronly: %d\n", (fl & O_APPEND) != 0,
           (fl & O_ACCMODE) == O_WRONLY);
    CHECK((fl & O_APPEND) && (fl & O_ACCMODE) == O_WRONLY);
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    CHECK(write(fd, "678", 3) == 3);
    printf("offset after append: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    CHECK(lseek(fd, 0, SEEK_CUR) == 8);
    close(fd);
    printf("contents: %s\n", get_file(at("a"), buf, sizeof buf));
    CHECK(strcmp(buf, "12345678") == 0);

    /* --- pread/pwrite do not move the offset --- */
    fd = open(at("a"), O_RDWR);
    EXPECT_OK(fd, "open O_RDWR");
    fl = fcntl(fd, F_GETFL);
    printf("F_GETFL rdwr: %d append: %d\n", (fl & O_ACCMODE) == O_RDWR, (fl & O_APPEND) != 0);
    CHECK((fl & O_ACCMODE) == O_RDWR && !(fl & O_APPEND));
    n = pwrite(fd, "XY", 2, 2);
    printf("pwrite: %ld\n", n);
    CHECK(n == 2);
    n = pread(fd, buf, 4, 1);
    show("pread", buf, n);
    CHECK(n == 4 && memcmp(buf, "2XY5", 4) == 0);
    printf("offset after pread/pwrite: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    CHECK(lseek(fd, 0, SEEK_CUR) == 0);
    n = pread(fd, buf, 10, 100);
    printf("pread past EOF: %ld\n", n);
    CHECK(n == 0);

    /* --- lseek --- */
    printf("SEEK_END-2: %ld\n", (long)lseek(fd, -2, SEEK_END));
    n = read(fd, buf, sizeof buf);
    show("read after SEEK_END", buf, n);
    CHECK(n == 2 && memcmp(buf, "78", 2) == 0);
    printf("SEEK_SET 3: %ld\n", (long)lseek(fd, 3, SEEK_SET));
    printf("SEEK_CUR +2: %ld\n", (long)lseek(fd, 2, SEEK_CUR));
    printf("SEEK_CUR -1: %ld\n", (long)lseek(fd, -1, SEEK_CUR));
    CHECK(lseek(fd, 0, SEEK_CUR) == 4);
    EXPECT_ERR(lseek(fd, -100, SEEK_SET), EINVAL, "lseek before start");
    if (linux_checks) /* wasmtime traps on an unknown whence */
        EXPECT_ERR(lseek(fd, 0, 42), EINVAL, "linux: lseek bad whence");
    printf("offset kept after bad lseek: %ld\n", (long)lseek(fd, 0, SEEK_CUR));

    /* A write past EOF leaves a hole that reads as zeros. */
    printf("SEEK_SET 20: %ld\n", (long)lseek(fd, 20, SEEK_SET));
    CHECK(write(fd, "Z", 1) == 1);
    printf("size with hole: %ld\n", fd_size(fd));
    CHECK(fd_size(fd) == 21);
    n = pread(fd, buf, sizeof buf, 0);
    show("file with hole", buf, n);
    CHECK(n == 21 && all_zero(buf + 8, 12) && buf[20] == 'Z');
    n = pwrite(fd, "P", 1, 30);
    printf("pwrite past EOF: %ld size: %ld\n", n, fd_size(fd));
    CHECK(fd_size(fd) == 31);

    /* --- ftruncate grow/shrink --- */
    EXPECT_OK(ftruncate(fd, 100), "ftruncate grow");
    printf("size: %ld\n", fd_size(fd));
    CHECK(fd_size(fd) == 100);
    n = pread(fd, buf, 100, 0);
    printf("grown tail zero: %d\n", n == 100 && all_zero(buf + 31, 69));
    CHECK(n == 100 && all_zero(buf + 31, 69));
    EXPECT_OK(ftruncate(fd, 4), "ftruncate shrink");
    printf("size: %ld\n", fd_size(fd));
    n = pread(fd, buf, sizeof buf, 0);
    show("after shrink", buf, n);
    CHECK(n == 4 && memcmp(buf, "12XY", 4) == 0);
    printf("offset after truncate: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    n = read(fd, buf, sizeof buf);
    printf("read at old offset: %ld\n", n);
    CHECK(n == 0);
    EXPECT_OK(ftruncate(fd, 8), "ftruncate regrow");
    n = pread(fd, buf, sizeof buf, 0);
    show("regrown", buf, n);
    CHECK(n == 8 && all_zero(buf + 4, 4));
    EXPECT_ERR(ftruncate(fd, -1), EINVAL, "ftruncate negative");
    close(fd);
    EXPECT_OK(truncate(at("a"), 2), "truncate by path");
    printf("contents: %s\n", get_file(at("a"), buf, sizeof buf));
    CHECK(strcmp(buf, "12") == 0);

    /* --- fcntl F_DUPFD: the kernel's (wasmtime's WASI has no dup) --- */
    if (linux_checks) {
        fd = open(at("a"), O_RDONLY);
        int dupfd = fcntl(fd, F_DUPFD, 0);
        CHECK(dupfd > fd);
        CHECK(read(fd, buf, 1) == 1);
        printf("linux: F_DUPFD shares offset: %d\n", lseek(dupfd, 0, SEEK_CUR) == 1);
        CHECK(lseek(dupfd, 0, SEEK_CUR) == 1);
        close(dupfd);
        close(fd);
    }

    /* --- unlink while open: the data stays readable --- */
    EXPECT_OK(put_file(at("c"), "still here"), "write c");
    fd = open(at("c"), O_RDONLY);
    EXPECT_OK(fd, "open c");
    EXPECT_OK(unlink(at("c")), "unlink open file");
    struct stat st;
    EXPECT_ERR(stat(at("c"), &st), ENOENT, "stat unlinked");
    n = read(fd, buf, sizeof buf);
    show("read unlinked", buf, n);
    CHECK(n == 10 && memcmp(buf, "still here", 10) == 0);
    printf("fstat unlinked size: %ld\n", fd_size(fd));
    CHECK(fd_size(fd) == 10);
    CHECK(fstat(fd, &st) == 0);
    printf("fstat unlinked nlink: %ld\n", (long)st.st_nlink);
    CHECK(st.st_nlink == 0);
    EXPECT_OK(close(fd), "close unlinked");
    EXPECT_ERR(unlink(at("c")), ENOENT, "unlink again");

    /* --- rename: new name, and replacing an existing file --- */
    EXPECT_OK(put_file(at("d"), "ddd"), "write d");
    EXPECT_OK(put_file(at("e"), "eee"), "write e");
    EXPECT_OK(rename(at("d"), at("f")), "rename to new name");
    EXPECT_ERR(stat(at("d"), &st), ENOENT, "old name gone");
    printf("f: %s\n", get_file(at("f"), buf, sizeof buf));
    fd = open(at("e"), O_RDONLY);
    EXPECT_OK(rename(at("f"), at("e")), "rename replaces");
    printf("e: %s\n", get_file(at("e"), buf, sizeof buf));
    CHECK(strcmp(buf, "ddd") == 0);
    n = read(fd, buf, sizeof buf);
    show("replaced file via old fd", buf, n);
    CHECK(n == 3 && memcmp(buf, "eee", 3) == 0);
    close(fd);
    EXPECT_OK(rename(at("e"), at("e")), "rename onto itself");
    EXPECT_ERR(rename(at("nonexistent"), at("g")), ENOENT, "rename missing");

    /* --- errors --- */
    EXPECT_ERR(open(at("nonexistent"), O_RDONLY), ENOENT, "open missing");
    EXPECT_ERR(open(at("nodir/x"), O_RDONLY | O_CREAT, 0644), ENOENT, "create in missing dir");
    EXPECT_ERR(open(base_dir, O_WRONLY), EISDIR, "open dir O_WRONLY");
    EXPECT_ERR(open(base_dir, O_RDWR), EISDIR, "open dir O_RDWR");
    EXPECT_ERR(open(at("a/x"), O_RDONLY), ENOTDIR, "file as dir");
    EXPECT_ERR(open(at("a"), O_RDONLY | O_DIRECTORY), ENOTDIR, "O_DIRECTORY on file");
    EXPECT_ERR(unlink(base_dir), EISDIR, "unlink dir");
    EXPECT_ERR(mkdir(at("a"), 0755), EEXIST, "mkdir over file");
    fd = open(at("a"), O_RDONLY);
    close(fd);
    EXPECT_ERR(read(fd, buf, 1), EBADF, "read closed fd");
    EXPECT_ERR(write(fd, "x", 1), EBADF, "write closed fd");
    EXPECT_ERR(close(fd), EBADF, "close closed fd");
    EXPECT_ERR(lseek(fd, 0, SEEK_SET), EBADF, "lseek closed fd");
    EXPECT_ERR(fstat(fd, &st), EBADF, "fstat closed fd");
    EXPECT_ERR(read(1000, buf, 1), EBADF, "read fd 1000");

    /* --- stat kinds --- */
    CHECK(stat(at("a"), &st) == 0);
    printf("a: reg=%d dir=%d size=%ld\n", S_ISREG(st.st_mode), S_ISDIR(st.st_mode),
           (long)st.st_size);
    CHECK(stat(base_dir, &st) == 0);
    printf("dir: reg=%d dir=%d\n", S_ISREG(st.st_mode), S_ISDIR(st.st_mode));

    /* --- a bigger file, written in pieces, read back in other pieces --- */
    fd = open(at("big"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    unsigned sum = 0;
    for (int i = 0; i < 300; i++) {
        char chunk[97];
        for (int j = 0; j < 97; j++) {
            chunk[j] = (char)((i * 97 + j) * 31 % 251);
            sum = sum * 33 + (unsigned char)chunk[j];
        }
        CHECK(write(fd, chunk, 97) == 97);
    }
    CHECK(lseek(fd, 0, SEEK_SET) == 0);
    unsigned sum2 = 0;
    long total = 0;
    char rb[4096];
    while ((n = read(fd, rb, 1000)) > 0) {
        for (long j = 0; j < n; j++)
            sum2 = sum2 * 33 + (unsigned char)rb[j];
        total += n;
    }
    printf("big: %ld bytes, checksum match: %d\n", total, sum == sum2);
    CHECK(total == 300 * 97 && sum == sum2);
    close(fd);

    /* --- vectored I/O --- */
    fd = open(at("v"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    {
        struct iovec out[3] = {{"ab", 2}, {"", 0}, {"cdef", 4}};
        n = writev(fd, out, 3);
        printf("writev: %s\n", n > 0 ? "ok" : errname(errno));
        CHECK(n > 0);
        if (linux_checks) { /* wasmtime writes only the first buffer */
            printf("linux: writev wrote all: %d\n", n == 6);
            CHECK(n == 6);
        }
        char a[3], b[1], c[10];
        struct iovec in[3] = {{a, 3}, {b, 1}, {c, 10}};
        n = preadv(fd, in, 3, 0);
        printf("preadv: %s\n", n >= 2 && memcmp(a, "ab", 2) == 0 ? "ok" : "bad");
        if (linux_checks) {
            printf("linux: preadv read all: %d \"%.3s%.1s%.2s\"\n", n == 6, a, b, c);
            CHECK(n == 6 && memcmp(a, "abc", 3) == 0 && b[0] == 'd' && memcmp(c, "ef", 2) == 0);
        }
    }
    close(fd);

    /* --- timestamps set explicitly are read back exactly --- */
    fd = open(at("v"), O_RDWR);
    {
        struct timespec ts[2] = {{1000000000, 5}, {1234567890, 123456789}};
        EXPECT_OK(futimens(fd, ts), "futimens");
        CHECK(fstat(fd, &st) == 0);
        printf("atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec,
               st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
        CHECK(st.st_mtim.tv_sec == 1234567890 && st.st_mtim.tv_nsec == 123456789);
        struct timespec ts2[2] = {{5, 0}, {6, 0}};
        EXPECT_OK(utimensat(AT_FDCWD, at("v"), ts2, 0), "utimensat");
        CHECK(stat(at("v"), &st) == 0);
        printf("atime %lld mtime %lld\n", (long long)st.st_atim.tv_sec,
               (long long)st.st_mtim.tv_sec);
        struct timespec ts3[2] = {{0, UTIME_OMIT}, {7, 0}};
        EXPECT_OK(utimensat(AT_FDCWD, at("v"), ts3, 0), "utimensat UTIME_OMIT");
        CHECK(stat(at("v"), &st) == 0);
        printf("atime %lld mtime %lld\n", (long long)st.st_atim.tv_sec,
               (long long)st.st_mtim.tv_sec);
        CHECK(st.st_atim.tv_sec == 5 && st.st_mtim.tv_sec == 7);
    }
    EXPECT_OK(fsync(fd), "fsync");
    EXPECT_OK(fdatasync(fd), "fdatasync");
    if (linux_checks) { /* wasmtime: ENOTSUP */
        int rc = posix_fallocate(fd, 0, 100);
        printf("linux: posix_fallocate: %s size %ld\n", errname(rc), fd_size(fd));
        CHECK(rc == 0 && fd_size(fd) == 100);
    }
    /* F_SETFL can turn O_APPEND on */
    EXPECT_OK(fcntl(fd, F_SETFL, O_APPEND), "F_SETFL O_APPEND");
    printf("F_GETFL append: %d\n", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
    CHECK(lseek(fd, 0, SEEK_SET) == 0 && write(fd, "Z", 1) == 1);
    printf("appended at end: %d\n", lseek(fd, 0, SEEK_CUR) == fd_size(fd));
    CHECK(lseek(fd, 0, SEEK_CUR) == fd_size(fd));
    close(fd);
    fd = open(at("v"), O_RDONLY);
    EXPECT_ERR(ftruncate(fd, 1), EINVAL, "ftruncate O_RDONLY fd");
    close(fd);

    /* --- access and the *at functions --- */
    EXPECT_OK(access(at("v"), F_OK), "access F_OK");
    EXPECT_OK(access(at("v"), R_OK | W_OK), "access R_OK|W_OK");
    EXPECT_ERR(access(at("nonexistent"), F_OK), ENOENT, "access missing");
    {
        int dfd = open(base_dir, O_RDONLY | O_DIRECTORY);
        EXPECT_OK(dfd, "open work dir O_DIRECTORY");
        if (linux_checks) /* wasmtime: EBADF */
            EXPECT_ERR(read(dfd, buf, sizeof buf), EISDIR, "linux: read a directory fd");
        EXPECT_ERR(write(dfd, "x", 1), EBADF, "write a directory fd");
        int h = openat(dfd, "v", O_RDONLY);
        EXPECT_OK(h, "openat");
        close(h);
        EXPECT_OK(mkdirat(dfd, "sub", 0755), "mkdirat");
        EXPECT_OK(fstatat(dfd, "sub", &st, 0), "fstatat");
        printf("fstatat sub is dir: %d\n", S_ISDIR(st.st_mode));
        EXPECT_ERR(unlinkat(dfd, "sub", 0), EISDIR, "unlinkat dir without AT_REMOVEDIR");
        EXPECT_ERR(unlinkat(dfd, "v", AT_REMOVEDIR), ENOTDIR, "unlinkat file with AT_REMOVEDIR");
        EXPECT_OK(unlinkat(dfd, "sub", AT_REMOVEDIR), "unlinkat AT_REMOVEDIR");
        EXPECT_OK(renameat(dfd, "v", dfd, "w"), "renameat");
        EXPECT_OK(unlinkat(dfd, "w", 0), "unlinkat file");
        close(dfd);
    }

    /* --- one 1 MiB write and one 1 MiB read --- */
    {
        static char huge[1 << 20];
        for (size_t i = 0; i < sizeof huge; i++)
            huge[i] = (char)(i * 7 % 253);
        fd = open(at("huge"), O_RDWR | O_CREAT | O_TRUNC, 0644);
        n = write(fd, huge, sizeof huge);
        printf("1 MiB write: %ld\n", n);
        CHECK(n == (long)sizeof huge);
        memset(huge, 0, sizeof huge);
        n = pread(fd, huge, sizeof huge, 0);
        if (linux_checks) { /* wasmtime reads at most 64 KiB per call */
            printf("linux: 1 MiB in one pread: %d\n", n == (long)sizeof huge);
            CHECK(n == (long)sizeof huge);
        }
        while (n > 0 && n < (long)sizeof huge) {
            long more = pread(fd, huge + n, sizeof huge - (size_t)n, n);
            if (more <= 0)
                break;
            n += more;
        }
        int same = n == (long)sizeof huge;
        for (size_t i = 0; same && i < sizeof huge; i++)
            same = huge[i] == (char)(i * 7 % 253);
        printf("1 MiB read back: %ld, same %d\n", n, same);
        CHECK(same);
        close(fd);
        EXPECT_OK(unlink(at("huge")), "unlink huge");
    }

    /* --- name length limits --- */
    {
        char name[300];
        memset(name, 'n', sizeof name);
        name[255] = '\0';
        fd = open(at(name), O_WRONLY | O_CREAT, 0644);
        printf("255-byte name: %s\n", fd >= 0 ? "ok" : errname(errno));
        CHECK(fd >= 0);
        close(fd);
        EXPECT_OK(unlink(at(name)), "unlink 255-byte name");
        name[255] = 'n';
        name[256] = '\0';
        EXPECT_ERR(open(at(name), O_WRONLY | O_CREAT, 0644), ENAMETOOLONG, "256-byte name");
        EXPECT_ERR(mkdir(at(name), 0755), ENAMETOOLONG, "mkdir 256-byte name");
    }

    if (linux_checks) {
        /* POSIX: open returns the lowest free fd (wasmtime's WASI does not) */
        int f1 = open(at("a"), O_RDONLY), f2 = open(at("a"), O_RDONLY), f3 = open(at("a"), O_RDONLY);
        CHECK(f1 >= 0 && f2 == f1 + 1 && f3 == f2 + 1);
        close(f2);
        int f4 = open(at("a"), O_RDONLY);
        printf("linux: lowest free fd reused: %d\n", f4 == f2);
        CHECK(f4 == f2);
        close(f1);
        close(f3);
        close(f4);

        /* Occlum.json's max_open_files (1024 in the template) is enforced */
        static int fds[4096];
        int count = 0, last = 0;
        while (count < 4096) {
            int x = open(at("a"), O_RDONLY);
            if (x < 0) {
                last = errno;
                break;
            }
            fds[count++] = x;
        }
        printf("linux: open until %s, below 1025 fds: %d\n", errname(last), count + 4 <= 1024);
        CHECK(last == EMFILE && count + 4 <= 1024 && count > 1000);
        for (int i = 0; i < count; i++)
            close(fds[i]);
        fd = open(at("a"), O_RDONLY);
        EXPECT_OK(fd, "linux: open after closing them");
        close(fd);

        /* rename and link between mounts */
        const char *other = strncmp(dir, "/tmp/", 5) == 0 ? "/root/files-xdev" : "/tmp/files-xdev";
        EXPECT_ERR(rename(at("a"), other), EXDEV, "linux: rename to another mount");
        EXPECT_ERR(link(at("a"), other), EXDEV, "linux: link to another mount");
    }

    /* --- clean up --- */
    EXPECT_OK(unlink(at("a")), "unlink a");
    EXPECT_OK(unlink(at("b")), "unlink b");
    EXPECT_OK(unlink(at("e")), "unlink e");
    EXPECT_OK(unlink(at("big")), "unlink big");
    EXPECT_OK(rmdir(dir), "rmdir work dir");
    return finish();
}
