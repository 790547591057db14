/*
 * POSIX sweep: fdopendir with Linux's errors (wasi-libc's gives EBADF for
 * a descriptor that is not a directory; glibc ENOTDIR), and ftw, which
 * wasi-libc leaves out (musl's: nftw with FTW_PHYS).
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>

DIR *__occlum_wrap_fdopendir(int fd) {
    struct stat st;
    if (fstat(fd, &st) != 0)
        return NULL;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return NULL;
    }
    return fdopendir(fd);
}

/* musl's ftw passes its callback to nftw cast to nftw's type; a wasm
 * indirect call needs the exact signature, so ftw's callback is called from
 * an nftw callback. Nested ftw calls (from a callback) keep their own. */
static _Thread_local int (*ftw_fn)(const char *, const struct stat *, int);

static int ftw_visit(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    (void)ftw;
    return ftw_fn(path, st, type);
}

int ftw(const char *path, int (*fn)(const char *, const struct stat *, int), int fd_limit) {
    int (*outer)(const char *, const struct stat *, int) = ftw_fn;
    ftw_fn = fn;
    int r = nftw(path, ftw_visit, fd_limit, FTW_PHYS);
    ftw_fn = outer;
    return r;
}
