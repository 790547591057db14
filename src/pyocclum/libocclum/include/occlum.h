/*
 * occlum.h: the PyOcclum extension ABI, i.e. the functions a process imports
 * from the wasm import module "occlum" (ABI version 1).
 *
 * Contract shared with the Python kernel:
 *   - every function but abi_version returns a WASI errno (0 = success) as
 *     an int32_t;
 *   - pointers are 32-bit guest addresses, sizes are 32-bit (size_t on wasm32);
 *   - strings are passed as (pointer, length) without a terminating NUL.
 *
 * These are raw system calls: they do not set errno. Programs normally use
 * the POSIX functions (chdir, getcwd, ...) that libocclum builds on them.
 */
#ifndef _PYOCCLUM_OCCLUM_H
#define _PYOCCLUM_OCCLUM_H

#pragma GCC system_header

#include <stddef.h>
#include <stdint.h>

#define OCCLUM_ABI_VERSION 1

#define __OCCLUM_IMPORT(name) \
    __attribute__((__import_module__("occlum"), __import_name__(#name)))

#ifdef __cplusplus
extern "C" {
#endif

/* Returns the ABI version the kernel implements (1); not an errno. */
int32_t __occlum_abi_version(void) __OCCLUM_IMPORT(abi_version);

/* Resolves path[0..path_len) against the process's kernel-side current
 * directory, checks that it is a directory, and makes it the process's
 * current directory. */
int32_t __occlum_chdir(const char *path, size_t path_len) __OCCLUM_IMPORT(chdir);

/* Writes the kernel's current directory of the process (absolute, no NUL)
 * into buf and its length into *out_len; ERANGE if buf_len is too small. */
int32_t __occlum_getcwd(char *buf, size_t buf_len, size_t *out_len) __OCCLUM_IMPORT(getcwd);

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_OCCLUM_H */
