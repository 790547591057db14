/*
 * chdir() for programs built by occlum-cc.
 *
 * wasi-libc emulates the current directory in user space: it keeps the path
 * in __wasilibc_cwd and resolves relative paths by prefixing it. The kernel
 * keeps its own per-process cwd (inherited on spawn, shown in /proc). This
 * wrapper changes both, so they always name the same directory.
 *
 * <unistd.h> from libocclum's include dir redirects chdir to
 * __occlum_wrap_chdir; in this file (built with __OCCLUM_BUILDING_LIBOCCLUM)
 * "chdir" is wasi-libc's own.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "occlum.h"

int __occlum_wrap_chdir(const char *path);

/* Appends the components of s to out (which holds len bytes), dropping empty
 * and "." components; ".." is kept because only the kernel can resolve it
 * correctly (it may follow a symlink). */
static void append_components(char *out, size_t *len, const char *s) {
    while (*s != '\0') {
        while (*s == '/')
            s++;
        const char *end = s;
        while (*end != '\0' && *end != '/')
            end++;
        size_t n = (size_t)(end - s);
        if (n > 0 && !(n == 1 && s[0] == '.')) {
            out[(*len)++] = '/';
            memcpy(out + *len, s, n);
            *len += n;
        }
        s = end;
    }
}

/* Absolute form of path relative to cwd, without "//", "." or a trailing
 * slash. Returns a malloc'd string, or NULL when out of memory. */
static char *absolute_path(const char *cwd, const char *path) {
    size_t cap = (path[0] == '/' ? 0 : strlen(cwd)) + strlen(path) + 2;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    size_t len = 0;
    if (path[0] != '/')
        append_components(out, &len, cwd);
    append_components(out, &len, path);
    if (len == 0)
        out[len++] = '/';
    out[len] = '\0';
    return out;
}

static int has_dotdot(const char *abs) {
    for (const char *p = abs; (p = strstr(p, "/..")) != NULL; p += 3) {
        if (p[3] == '\0' || p[3] == '/')
            return 1;
    }
    return 0;
}

int __occlum_wrap_chdir(const char *path) {
    if (path == NULL) {
        errno = EFAULT;
        return -1;
    }
    if (path[0] == '\0') {
        /* wasi-libc would accept "" as "."; POSIX says ENOENT. */
        errno = ENOENT;
        return -1;
    }
    char *old = getcwd(NULL, 0);
    if (old == NULL)
        return -1;
    int ret = -1;
    char *target = absolute_path(old, path);
    if (target == NULL) {
        errno = ENOMEM;
        goto out;
    }

    /* The kernel first: it resolves target as Linux does (absolute symlink
     * targets from the root, ".." after symlinks), which WASI's path
     * resolution in wasi-libc's chdir need not (raw WASI follows WASI). */
    int32_t rc = __occlum_chdir(target, strlen(target));
    if (rc == ENOSYS) { /* a harness without the kernel: wasi-libc alone */
        ret = chdir(target);
        goto out;
    }
    if (rc != 0) {
        errno = rc;
        goto out;
    }

    /* Then wasi-libc, at the kernel's canonical path (Linux getcwd: no "..",
     * symlinks resolved, so WASI's resolution can follow it), which also makes
     * getcwd() match /proc/<pid>/cwd. Test harnesses without a kernel
     * (wasmtime's WASI plus stateless fallbacks) answer ENOSYS or always "/";
     * so a "/" answer is believed only when target is "/" or has a ".." that
     * may lead there, and otherwise wasi-libc gets target itself. */
    char *canon = __occlum_kernel_getcwd();
    const char *where = target;
    if (canon != NULL && (strcmp(canon, "/") != 0 || strcmp(target, "/") == 0 ||
                          has_dotdot(target)))
        where = canon;
    if (chdir(where) != 0) {
        int err = errno;
        (void)__occlum_chdir(old, strlen(old)); /* roll back so both stay in step */
        errno = err;
        free(canon);
        goto out;
    }
    free(canon);
    ret = 0;

out:
    free(target);
    free(old);
    return ret;
}
