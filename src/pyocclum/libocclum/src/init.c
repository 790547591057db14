/*
 * Start-up: a process inherits its current directory from its parent, and
 * the kernel knows it; wasi-libc always starts at "/". Before any user
 * constructor or main() runs, make wasi-libc use the kernel's cwd.
 *
 * occlum-cc links this file as an object (not from the archive) so the
 * constructor is always present; it imports occlum.getcwd, which is why every
 * program built by occlum-cc imports the "occlum" module.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

/* Priority 100: after wasi-libc's own (preopens use 51), before every user
 * constructor (101 and up). */
__attribute__((constructor(100))) static void occlum_init_cwd(void) {
    int saved = errno;
    char *cwd = __occlum_kernel_getcwd();
    /* Calling wasi-libc's chdir also links in its relative-path resolution
     * (otherwise relative paths resolve against "/" only). A failure leaves
     * the process at "/", the best we can do before main. */
    if (cwd != NULL && strcmp(cwd, "/") != 0)
        (void)chdir(cwd);
    free(cwd);
    errno = saved;
}
