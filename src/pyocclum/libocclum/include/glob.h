/*
 * glob.h: wasi-libc's (musl's), plus GLOB_TILDE and GLOB_TILDE_CHECK,
 * which wasi-libc drops for want of user names: libocclum's glob
 * (src/posix_glob.c) expands ~ and ~user from $HOME and /etc/passwd.
 */
#pragma GCC system_header

#include_next <glob.h>

#ifndef GLOB_TILDE
#define GLOB_TILDE 0x1000
#define GLOB_TILDE_CHECK 0x4000
#endif
