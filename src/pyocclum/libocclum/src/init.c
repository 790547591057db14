/*
 * The part of libocclum that every program links as an object
 * (libocclum_init.o), not from the archive:
 *
 *   1. Start-up: a process inherits its current directory from its parent,
 *      and the kernel knows it; wasi-libc always starts at "/". Before any
 *      user constructor or main() runs, make wasi-libc use the kernel's cwd.
 *      This is why every program imports occlum.getcwd.
 *
 *   2. The signal trampoline, exported from every program: the kernel calls
 *      it to run a handler (docs/abi.md; the work is in signal_deliver.c).
 *
 *   3. Functions wasi-libc also defines but gets wrong under the kernel:
 *      getpid (a constant), fcntl (close-on-exec is not kept),
 *      __assert_fail (a trap, not SIGABRT), the sleeps (no EINTR), and the
 *      members of its signal emulation (signal, raise, ... run handlers in
 *      user space only). zig puts libc.a before our archive on the link
 *      line, so wasm-ld would take wasi-libc's members for these names; an
 *      object file's definitions always win. Every symbol of wasi-libc's
 *      signal member is defined here, so that member is never linked (it
 *      would clash). Unused functions cost nothing: wasm-ld drops them.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "signal_internal.h"

/* --- 1. start-up --- */

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

/* --- 2. the signal trampoline --- */

/* The kernel calls this to run the handler whose function-table index is
 * `handler` for signal `sig`; `flags` are the handler's Linux SA_* flags,
 * code..status the siginfo record, `mask` the interrupted signal mask.
 * Returns the mask to restore when the handler is done (uc_sigmask, which
 * an SA_SIGINFO handler may change). signal_deliver.c does the work. */
__attribute__((export_name("__occlum_signal_trampoline"), noinline))
uint64_t __occlum_signal_trampoline(int sig, int handler, int flags, int code, int pid,
                                    int uid, int value, int status, uint64_t mask) {
    struct occlum_siginfo info = {sig, code, pid, (uint32_t)uid, value, status, 0, 0};
    return __occlum_signal_deliver((uint32_t)handler, flags, &info, mask);
}

/* The same, for a handler the kernel runs between two instructions of the
 * program (a signal arriving while it computes, not in a syscall). A leaf
 * function may keep up to 128 bytes below the stack pointer without moving
 * it (LLVM's wasm red zone): step over them first. This function itself has
 * no stack frame. */
__attribute__((export_name("__occlum_signal_trampoline_async")))
uint64_t __occlum_signal_trampoline_async(int sig, int handler, int flags, int code, int pid,
                                          int uid, int value, int status, uint64_t mask) {
    __asm__ volatile(".globaltype __stack_pointer, i32\n\t"
                     "global.get __stack_pointer\n\t"
                     "i32.const 256\n\t"
                     "i32.sub\n\t"
                     "global.set __stack_pointer" ::: "memory");
    uint64_t restore =
        __occlum_signal_trampoline(sig, handler, flags, code, pid, uid, value, status, mask);
    __asm__ volatile("global.get __stack_pointer\n\t"
                     "i32.const 256\n\t"
                     "i32.add\n\t"
                     "global.set __stack_pointer" ::: "memory");
    return restore;
}

/* --- 3. wasi-libc functions taken over --- */

pid_t getpid(void) {
    return __occlum_getpid();
}

int fcntl(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    int arg = va_arg(ap, int); /* as musl: commands without one ignore it */
    va_end(ap);
    return __occlum_fcntl_impl(fd, cmd, arg);
}

void (*signal(int sig, void (*handler)(int)))(int) {
    return __occlum_signal_impl(sig, handler);
}

/* The kernel runs the handler (or the default action) before the call
 * returns, as Linux does for a signal a thread sends itself. si_code is
 * SI_TKILL, as glibc's and musl's raise (tgkill) give. */
int raise(int sig) {
    return __occlum_result(__occlum_sigqueueinfo(getpid(), sig, SI_TKILL, 0));
}

/* assert() failed: musl's message, then abort() as SIGABRT (wasi-libc's
 * __assert_fail calls its own abort, a wasm trap; <stdlib.h> routes the
 * program's own abort calls). */
_Noreturn void __assert_fail(const char *expr, const char *file, int line, const char *func) {
    fprintf(stderr, "Assertion failed: %s (%s: %s: %d)\n", expr, file, func, line);
    __occlum_abort();
}

/* The sleeps: wasi-libc's ignore signals (no EINTR, no remaining time) and
 * crash on a NULL request. signal_sleep.c. */
int clock_nanosleep(clockid_t clock, int flags, const struct timespec *req,
                    struct timespec *rem) {
    return __occlum_clock_nanosleep(clock, flags, req, rem);
}
extern __typeof(clock_nanosleep) __clock_nanosleep
    __attribute__((weak, alias("clock_nanosleep")));

int nanosleep(const struct timespec *req, struct timespec *rem) {
    int e = __occlum_clock_nanosleep(CLOCK_MONOTONIC, 0, req, rem);
    if (e != 0) {
        errno = e;
        return -1;
    }
    return 0;
}

unsigned sleep(unsigned seconds) {
    return __occlum_sleep(seconds);
}

int usleep(useconds_t usec) {
    struct timespec req = {usec / 1000000, (long)(usec % 1000000) * 1000};
    return nanosleep(&req, NULL);
}

void __SIG_IGN(int sig) {
    (void)sig;
}

void __SIG_ERR(int sig) {
    (void)sig;
    __builtin_trap();
}

extern __typeof(signal) bsd_signal __attribute__((weak, alias("signal")));
extern __typeof(signal) __sysv_signal __attribute__((weak, alias("signal")));
