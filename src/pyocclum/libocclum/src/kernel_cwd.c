#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "occlum.h"

/* Longest path we are willing to take from the kernel. */
#define MAX_CWD (1u << 20)

char *__occlum_kernel_getcwd(void) {
    size_t cap = 256;
    for (;;) {
        char *buf = malloc(cap + 1);
        if (buf == NULL) {
            errno = ENOMEM;
            return NULL;
        }
        size_t len = 0;
        int32_t rc = __occlum_getcwd(buf, cap, &len);
        if (rc == 0) {
            /* Never trust the length blindly, and only accept what wasi-libc
             * can use as its cwd: an absolute path without NULs. */
            if (len == 0 || len > cap || buf[0] != '/' || memchr(buf, '\0', len) != NULL) {
                free(buf);
                errno = EIO;
                return NULL;
            }
            buf[len] = '\0';
            return buf;
        }
        free(buf);
        if (rc != ERANGE || cap >= MAX_CWD) {
            errno = rc;
            return NULL;
        }
        /* The kernel may report the length it needs; otherwise grow. */
        cap = (len > cap && len <= MAX_CWD) ? len : cap * 4;
    }
}
