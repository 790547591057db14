/*
 * sys/ucontext.h: what an SA_SIGINFO handler's third argument points to,
 * with Linux's field names: uc_flags, uc_link, uc_stack, uc_mcontext,
 * uc_sigmask (wasi-libc has none). A handler may change uc_sigmask: it is
 * the signal mask restored when the handler returns, as on Linux.
 * uc_mcontext is opaque: wasm exposes no registers (it is zeroed). stack_t
 * (sigaltstack) lives here too, as in glibc's <bits/types/stack_t.h>.
 */
#pragma GCC system_header

#ifndef _PYOCCLUM_SYS_UCONTEXT_H
#define _PYOCCLUM_SYS_UCONTEXT_H

#define __NEED_size_t
#define __NEED_sigset_t
#include <bits/alltypes.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sigaltstack {
    void *ss_sp;
    int ss_flags;
    size_t ss_size;
} stack_t;

/* No registers to show: an opaque block, zeroed. */
typedef struct {
    unsigned long long __opaque[32];
} mcontext_t;

typedef struct ucontext_t {
    unsigned long uc_flags;
    struct ucontext_t *uc_link;
    stack_t uc_stack;
    mcontext_t uc_mcontext;
    sigset_t uc_sigmask;
} ucontext_t;

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_SYS_UCONTEXT_H */
