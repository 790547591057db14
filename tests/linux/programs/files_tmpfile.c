/* O_TMPFILE: an unnamed regular file in a directory (not listed, nlink 0, usable
 * for I/O, gone at its last close), and the error paths. files_tmpfile_link.c
 * gives one a name. */
#include "linuxtest.h"
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static int entries(const char *path) {
    DIR *d = opendir(path);
    MUST(d != NULL);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

int main(void) {
    CHECK(mkdir("d", 0755));
    int fd = open("d", O_TMPFILE | O_RDWR, 0600);
    MUST(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st));
    printf("regular %d nlink %ld mode %o size %ld\n", S_ISREG(st.st_mode), (long)st.st_nlink,
           st.st_mode & 07777, (long)st.st_size);
    printf("entries in d: %d\n", entries("d"));
    CHECK(write(fd, "unnamed", 7));
    char buf[16] = {0};
    CHECK(pread(fd, buf, sizeof buf - 1, 0));
    printf("read back: %s\n", buf);
    CHECK(ftruncate(fd, 3));
    CHECK(fstat(fd, &st));
    printf("size %ld\n", (long)st.st_size);
    int fl = fcntl(fd, F_GETFL);
    printf("rdwr %d\n", (fl & O_ACCMODE) == O_RDWR);

    /* Write-only, with O_CLOEXEC, in the current folder. */
    fd = open(".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    MUST(fd >= 0);
    printf("cloexec %d\n", fcntl(fd, F_GETFD) == FD_CLOEXEC);
    CHECK(read(fd, buf, 1));
    CHECK(close(fd));
    fd = openat(AT_FDCWD, "d", O_TMPFILE | O_RDWR, 0600);
    MUST(fd >= 0);
    CHECK(close(fd));
    int dfd = open("d", O_RDONLY | O_DIRECTORY);
    fd = openat(dfd, ".", O_TMPFILE | O_RDWR, 0600);
    MUST(fd >= 0);
    CHECK(close(fd));
    printf("entries in d: %d\n", entries("d"));
    fd = open("d/named", O_CREAT | O_WRONLY, 0644);
    MUST(fd >= 0);
    CHECK(close(fd));

    /* Errors. */
    CHECK(open("d", O_TMPFILE | O_RDONLY, 0600));
    CHECK(open("d", O_TMPFILE | O_RDWR | O_CREAT, 0600));
    CHECK(open("d/named", O_TMPFILE | O_RDWR, 0600));
    CHECK(open("missing", O_TMPFILE | O_RDWR, 0600));
    CHECK(open("missing/x", O_TMPFILE | O_RDWR, 0600));
    CHECK(open("", O_TMPFILE | O_RDWR, 0600));
    CHECK(open("/proc", O_TMPFILE | O_RDWR, 0600));
    CHECK(openat(99, "d", O_TMPFILE | O_RDWR, 0600));
    CHECK(openat(dfd, "named", O_TMPFILE | O_RDWR, 0600));
    CHECK(open("d", O_RDWR));
    return 0;
}
