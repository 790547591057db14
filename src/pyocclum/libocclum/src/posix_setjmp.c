/*
 * POSIX sweep: setjmp/longjmp. occlum-cc compiles C with clang's wasm
 * setjmp/longjmp lowering (-mllvm -wasm-enable-sjlj over the exception-
 * handling proposal, which the engine enables): a function that calls
 * setjmp is rewritten to catch a wasm exception with the tag __c_longjmp,
 * and longjmp becomes a call of __wasm_longjmp, which throws it. This is the
 * runtime that lowering calls (wasi-libc's rt.c, which zig does not build)
 * and the tag's definition, plus sigsetjmp/siglongjmp (include/setjmp.h):
 * sigsetjmp is a macro that records the signal mask in the sigjmp_buf and
 * then calls setjmp, siglongjmp restores the mask and jumps.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The exception tag a longjmp throws; clang only references it. */
__asm__(".globl __c_longjmp\n.tagtype __c_longjmp i32\n__c_longjmp:\n");

/* What the lowering keeps in a jmp_buf (its first 16 of 32 bytes). */
struct jmp_buf_impl {
    void *func_invocation_id;
    uint32_t label;
    struct arg {
        void *env;
        int val;
    } arg; /* the exception's payload: which setjmp, and its return value */
};

void __wasm_setjmp(void *env, uint32_t label, void *func_invocation_id) {
    struct jmp_buf_impl *jb = env;
    if (label == 0 || func_invocation_id == NULL) /* the lowering's contract */
        __builtin_trap();
    jb->func_invocation_id = func_invocation_id;
    jb->label = label;
}

uint32_t __wasm_setjmp_test(void *env, void *func_invocation_id) {
    struct jmp_buf_impl *jb = env;
    if (jb->label == 0 || func_invocation_id == NULL)
        __builtin_trap();
    return jb->func_invocation_id == func_invocation_id ? jb->label : 0;
}

__attribute__((target("exception-handling"))) _Noreturn void __wasm_longjmp(void *env, int val) {
    struct jmp_buf_impl *jb = env;
    jb->arg.env = env;
    jb->arg.val = val == 0 ? 1 : val; /* C: longjmp never makes setjmp return 0 */
    __builtin_wasm_throw(1, &jb->arg); /* 1: the C_LONGJMP tag */
}

/* musl's sigjmp_buf layout: __jb (32 bytes), __fl (mask saved?), __ss. */
struct sigjmp_layout {
    unsigned long jb[8];
    unsigned long fl;
    unsigned long ss[128 / sizeof(long)];
};

void __occlum_sigjmp_save(void *env, int savemask) {
    struct sigjmp_layout *b = env;
    b->fl = savemask != 0;
    if (savemask) {
        sigset_t set;
        sigprocmask(SIG_BLOCK, NULL, &set);
        memcpy(b->ss, &set, sizeof set);
    }
}

_Noreturn void __occlum_siglongjmp(void *env, int val) {
    struct sigjmp_layout *b = env;
    if (b->fl) {
        sigset_t set;
        memcpy(&set, b->ss, sizeof set);
        sigprocmask(SIG_SETMASK, &set, NULL);
    }
    __wasm_longjmp(env, val);
}
