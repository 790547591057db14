/*
 * opendir and scandir over the kernel's openat (include/dirent.h routes them
 * here with asm labels): wasi-libc's open the directory through WASI's
 * path_open, which resolves paths as WASI does, not as Linux does (absolute
 * symlink targets, `..` at `/`). The entries are read with wasi-libc's
 * fdopendir/readdir. scandir is musl's, adapted to wasi-libc's struct
 * dirent (no d_reclen).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int __occlum_wrap_open(const char *path, int flags, ...); /* fd.c */

DIR *__occlum_wrap_opendir(const char *path) {
    int fd = __occlum_wrap_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = fdopendir(fd);
    if (!d) {
        int err = errno;
        close(fd);
        errno = err;
    }
    return d;
}

int __occlum_wrap_scandir(const char *path, struct dirent ***res,
                          int (*sel)(const struct dirent *),
                          int (*cmp)(const struct dirent **, const struct dirent **)) {
    DIR *d = __occlum_wrap_opendir(path);
    struct dirent *de, **names = NULL, **tmp;
    size_t cnt = 0, len = 0;
    int old_errno = errno;
    if (!d)
        return -1;
    while ((errno = 0), (de = readdir(d))) {
        if (sel && !sel(de))
            continue;
        if (cnt >= len) {
            len = 2 * len + 1;
            if (len > SIZE_MAX / sizeof *names)
                break;
            tmp = realloc(names, len * sizeof *names);
            if (!tmp)
                break;
            names = tmp;
        }
        size_t size = offsetof(struct dirent, d_name) + strlen(de->d_name) + 1;
        names[cnt] = malloc(size);
        if (!names[cnt])
            break;
        memcpy(names[cnt++], de, size);
    }
    closedir(d);
    if (errno) {
        if (names)
            while (cnt-- > 0)
                free(names[cnt]);
        free(names);
        return -1;
    }
    errno = old_errno;
    if (cmp)
        qsort(names, cnt, sizeof *names, (int (*)(const void *, const void *))cmp);
    *res = names;
    return (int)cnt;
}
