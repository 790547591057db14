/*
 * Temporary files, which wasi-libc leaves out ("WASI has no temp
 * directories"): mkstemp, mkostemp, mkstemps, mkostemps, mkdtemp, mktemp and
 * tmpfile (include/stdlib.h declares the first ones; include/stdio.h routes
 * tmpfile here with a macro, as wasi-libc's declaration is deprecated). As
 * musl's: the six X's are replaced by random letters and digits, up to 100
 * tries while the name exists; files are created 0600 and directories 0700
 * through the kernel (so the mode is kept), with O_EXCL. tmpfile is an
 * O_TMPFILE file in /tmp (as glibc's), or a named one unlinked at once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

#include "internal.h"

int __occlum_wrap_mkdir(const char *path, mode_t mode);
FILE *__occlum_tmpfile(void);

#define TRIES 100

static void fill(char *x) {
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[6];
    if (__wasi_random_get(r, sizeof r) != 0)
        memset(r, 0, sizeof r);
    for (int i = 0; i < 6; i++)
        x[i] = chars[r[i] % (sizeof chars - 1)];
}

/* Where the X's are, or NULL (EINVAL) if the template does not end in six. */
static char *xs(char *template, int suffixlen) {
    size_t l = strlen(template);
    if (suffixlen < 0 || l < 6 || (size_t)suffixlen > l - 6 ||
        memcmp(template + l - suffixlen - 6, "XXXXXX", 6) != 0) {
        errno = EINVAL;
        return NULL;
    }
    return template + l - suffixlen - 6;
}

int mkostemps(char *template, int suffixlen, int flags) {
    char *x = xs(template, suffixlen);
    if (x == NULL)
        return -1;
    flags &= ~O_ACCMODE;
    for (int i = 0; i < TRIES; i++) {
        fill(x);
        int fd = __occlum_wrap_open(template, flags | O_RDWR | O_CREAT | O_EXCL, 0600);
        if (fd >= 0)
            return fd;
        if (errno != EEXIST)
            break;
    }
    memcpy(x, "XXXXXX", 6);
    return -1;
}

int mkstemps(char *template, int suffixlen) {
    return mkostemps(template, suffixlen, 0);
}

int mkostemp(char *template, int flags) {
    return mkostemps(template, 0, flags);
}

int mkstemp(char *template) {
    return mkostemps(template, 0, 0);
}

char *mkdtemp(char *template) {
    char *x = xs(template, 0);
    if (x == NULL)
        return NULL;
    for (int i = 0; i < TRIES; i++) {
        fill(x);
        if (__occlum_wrap_mkdir(template, 0700) == 0)
            return template;
        if (errno != EEXIST)
            break;
    }
    memcpy(x, "XXXXXX", 6);
    return NULL;
}

/* musl's: a name that did not exist when looked at (racy by nature). */
char *mktemp(char *template) {
    char *x = xs(template, 0);
    if (x == NULL) {
        *template = '\0';
        return template;
    }
    for (int i = 0; i < TRIES; i++) {
        fill(x);
        struct stat st;
        if (stat(template, &st) != 0) {
            if (errno != ENOENT)
                *template = '\0';
            return template;
        }
    }
    *template = '\0';
    errno = EEXIST;
    return template;
}

FILE *__occlum_tmpfile(void) {
    int fd = __occlum_wrap_open("/tmp", O_TMPFILE | O_RDWR, 0600);
    if (fd < 0) {
        char name[] = "/tmp/tmpfile_XXXXXX";
        fd = mkostemp(name, 0);
        if (fd < 0)
            return NULL;
        unlink(name);
    }
    FILE *f = fdopen(fd, "w+");
    if (f == NULL) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}
