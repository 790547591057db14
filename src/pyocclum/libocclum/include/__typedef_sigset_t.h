/*
 * __typedef_sigset_t.h: replaces wasi-libc's header of the same name (and
 * include guard), whose sigset_t is a placeholder unsigned char that cannot
 * hold Linux's 64 signals. wasi-libc's <bits/alltypes.h> includes it
 * wherever sigset_t is needed; libocclum's include dir comes first, so this
 * one wins everywhere.
 *
 * Bit n-1 of __bits[0] is signal n, the same as the kernel's u64 masks
 * (docs/abi.md), so a sigset_t can be handed to the kernel as it is.
 */
#ifndef __wasilibc___typedef_sigset_t_h
#define __wasilibc___typedef_sigset_t_h

#pragma GCC system_header

typedef struct __sigset_t {
    unsigned long long __bits[1];
} sigset_t;

#endif
