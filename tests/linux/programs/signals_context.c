// linux-test: xfail=wasm cannot save or switch a call stack: getcontext/swapcontext are ENOSYS inside
/* ucontext: getcontext, makecontext and swapcontext running a function on a
 * stack of its own and coming back (a coroutine). */
#include "linuxtest.h"
#include <ucontext.h>

static ucontext_t main_ctx, co_ctx;
static char co_stack[65536];
static int steps;

static void coroutine(void) {
    steps++;
    printf("in the coroutine, step %d\n", steps);
    swapcontext(&co_ctx, &main_ctx);
    steps++;
    printf("back in the coroutine, step %d\n", steps);
}

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    CHECK(getcontext(&co_ctx));
    co_ctx.uc_stack.ss_sp = co_stack;
    co_ctx.uc_stack.ss_size = sizeof co_stack;
    co_ctx.uc_link = &main_ctx;
    makecontext(&co_ctx, coroutine, 0);
    CHECK(swapcontext(&main_ctx, &co_ctx));
    printf("main after the first switch, steps %d\n", steps);
    CHECK(swapcontext(&main_ctx, &co_ctx));
    printf("main at the end, steps %d\n", steps);
    return 0;
}
