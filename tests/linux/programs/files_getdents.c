/* getdents64 through syscall(SYS_getdents64): Linux's struct linux_dirent64 records
 * (d_ino, d_off, d_reclen, d_type, d_name), paging with a small buffer, rewinding
 * with lseek, and the error paths. */
#include "linuxtest.h"
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the whole directory with a buffer of `size` bytes; print sorted names. */
static void list(int fd, size_t size, const char *what) {
    char *buf = malloc(size);
    char *names[64];
    int n = 0, calls = 0, bad = 0;
    for (;;) {
        long r = syscall(SYS_getdents64, fd, buf, size);
        if (r < 0) {
            printf("%s: getdents64 %s\n", what, errname(errno));
            break;
        }
        calls++;
        if (r == 0)
            break;
        for (long off = 0; off < r;) {
            struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
            if (d->d_reclen % 8 || d->d_reclen < 20 || off + d->d_reclen > r)
                bad++;
            char *name = malloc(300);
            snprintf(name, 300, "%s type %d", d->d_name, d->d_type);
            if (n < 64)
                names[n++] = name;
            off += d->d_reclen;
        }
    }
    qsort(names, n, sizeof names[0], cmp);
    printf("%s: %d entries, several calls %d, bad records %d\n", what, n, calls > 2, bad);
    for (int i = 0; i < n; i++) {
        printf("  %s\n", names[i]);
        free(names[i]);
    }
    free(buf);
}

int main(void) {
    MUST(mkdir("d", 0755) == 0);
    MUST(mkdir("d/sub", 0755) == 0);
    for (int i = 0; i < 6; i++) {
        char name[64];
        snprintf(name, sizeof name, "d/file-with-a-longer-name-%d", i);
        int fd = open(name, O_CREAT | O_WRONLY, 0644);
        MUST(fd >= 0);
        close(fd);
    }
    MUST(symlink("sub", "d/link") == 0);
    int fd = open("d", O_RDONLY | O_DIRECTORY);
    MUST(fd >= 0);
    list(fd, 4096, "big buffer");
    CHECK(syscall(SYS_getdents64, fd, malloc(64), 64));
    CHECK(lseek(fd, 0, SEEK_SET));
    list(fd, 64, "64-byte buffer");
    CHECK(lseek(fd, 0, SEEK_SET));
    char tiny[16];
    CHECK(syscall(SYS_getdents64, fd, tiny, sizeof tiny));
    int file = open("d/file-with-a-longer-name-0", O_RDONLY);
    char buf[256];
    CHECK(syscall(SYS_getdents64, file, buf, sizeof buf));
    CHECK(syscall(SYS_getdents64, -1, buf, sizeof buf));
    CHECK(syscall(SYS_getdents64, 99, buf, sizeof buf));
    int empty = open("d/sub", O_RDONLY | O_DIRECTORY);
    list(empty, 1024, "empty");
    return 0;
}
