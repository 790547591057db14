/*
 * POSIX sweep: _exit and _Exit (labels in <unistd.h> and <stdlib.h>) write
 * MAP_SHARED file mappings back first (src/posix_mman.c), as the kernel's
 * page cache would on Linux; then wasi-libc's. Nothing else runs: no atexit
 * handlers, no stdio flush.
 */
#include <stdlib.h>
#include <unistd.h>

void __occlum_mman_flush(void) __attribute__((weak));

_Noreturn void __occlum_wrap__exit(int status) {
    if (__occlum_mman_flush)
        __occlum_mman_flush();
    _exit(status);
}

_Noreturn void __occlum_wrap__Exit(int status) {
    if (__occlum_mman_flush)
        __occlum_mman_flush();
    _Exit(status);
}
