/*
 * ucontext.h: ucontext_t (sys/ucontext.h) and the context calls. wasm
 * cannot save, switch or resume a call stack, so getcontext, setcontext
 * and swapcontext fail with ENOSYS and makecontext does nothing (libocclum
 * README, "Signals").
 */
#pragma GCC system_header

#ifndef _PYOCCLUM_UCONTEXT_H
#define _PYOCCLUM_UCONTEXT_H

#include <signal.h>
#include <sys/ucontext.h>

#ifdef __cplusplus
extern "C" {
#endif

int getcontext(ucontext_t *);
int setcontext(const ucontext_t *);
void makecontext(ucontext_t *, void (*)(void), int, ...);
int swapcontext(ucontext_t *__restrict, const ucontext_t *__restrict);

#ifdef __cplusplus
}
#endif

#endif /* _PYOCCLUM_UCONTEXT_H */
