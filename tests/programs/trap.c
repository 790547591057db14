/*
 * trap: dies the way argv[1] asks, after printing (and flushing) a line.
 *   segv      write through a pointer to 0xFFFFFFF0 (outside linear memory) -> SIGSEGV
 *   ill       __builtin_trap()                                            -> SIGILL
 *   fpe       integer division by zero                                    -> SIGFPE
 *   overflow  INT_MIN / -1                                                -> SIGFPE
 *   nullfn    call through a NULL function pointer                        -> SIGSEGV
 */
#include <limits.h>
#include <stdint.h>

#include "common.h"

int main(int argc, char **argv) {
    const char *what = argc > 1 ? argv[1] : "";
    printf("about to %s\n", what);
    fflush(stdout);
    if (strcmp(what, "segv") == 0) {
        *(volatile int *)(uintptr_t)0xFFFFFFF0u = 42;
    } else if (strcmp(what, "ill") == 0) {
        __builtin_trap();
    } else if (strcmp(what, "fpe") == 0) {
        /* both operands volatile: LLVM folds 1/x into a select without a division */
        volatile int a = 7, zero = 0;
        volatile int x = a / zero;
        (void)x;
    } else if (strcmp(what, "overflow") == 0) {
        volatile int a = INT_MIN, b = -1;
        volatile int x = a / b;
        (void)x;
    } else if (strcmp(what, "nullfn") == 0) {
        void (*volatile fn)(void) = NULL;
        fn();
    }
    printf("still alive\n");
    return 3;
}
