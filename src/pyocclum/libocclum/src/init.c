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
 *      it to run a handler (docs/abi.md).
 *
 *   3. Functions wasi-libc also defines but gets wrong under the kernel:
 *      getpid (a constant), fcntl (close-on-exec is not kept), and the
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
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

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

/* Runs the handler whose function-table index is `handler` for signal
 * `sig`; `flags` are the handler's Linux SA_* flags. SA_SIGINFO handlers
 * take three arguments (a wasm call_indirect checks the type), and get
 * (sig, NULL, NULL). errno is kept for the interrupted code. The kernel's
 * SIG_DFL (0) and SIG_IGN (1) are not handlers: nothing to run. */
__attribute__((export_name("__occlum_signal_trampoline")))
void __occlum_signal_trampoline(int sig, int handler, int flags) {
    uint32_t index = (uint32_t)handler;
    if (index <= 1)
        return;
    int saved = errno;
    if (flags & SA_SIGINFO)
        ((void (*)(int, siginfo_t *, void *))(uintptr_t)index)(sig, NULL, NULL);
    else
        ((void (*)(int))(uintptr_t)index)(sig);
    errno = saved;
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

/* The kernel runs the handler (or the default action) before kill returns,
 * as Linux does for a signal a thread sends itself. */
int raise(int sig) {
    return kill(getpid(), sig);
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
