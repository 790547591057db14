/*
 * seek.c: lseek over the kernel's `lseek` (libocclum: link as an object,
 * so it replaces wasi-libc's, a weak alias of its __lseek), and
 * __wasilibc_tell, which wasi-libc's <unistd.h> turns lseek(fd, 0, SEEK_CUR)
 * into (a macro; its own version calls WASI's fd_tell).
 *
 * WASI's fd_seek answers as wasmtime's WASI does (EBADF for a directory,
 * docs/abi.md "Raw WASI"); the kernel's lseek is Linux's: a directory fd can
 * be rewound with lseek(fd, 0, SEEK_SET), SEEK_DATA/SEEK_HOLE work on files.
 * Under a harness without the kernel's call (ENOSYS) it falls back to
 * wasi-libc's. wasi-libc's stdio seeks through __lseek: files only.
 */
#include <errno.h>
#include <stdint.h>
#include <unistd.h>

#include "occlum.h"

#undef lseek /* wasi-libc's macro: see above */

off_t __lseek(int fd, off_t offset, int whence); /* wasi-libc's */
off_t __wasilibc_tell(int fd);

off_t lseek(int fd, off_t offset, int whence) {
    uint64_t out;
    int32_t rc = __occlum_lseek(fd, offset, (uint32_t)whence, &out);
    if (rc == ENOSYS)
        return __lseek(fd, offset, whence);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    return (off_t)out;
}

off_t __wasilibc_tell(int fd) { return lseek(fd, 0, SEEK_CUR); }
