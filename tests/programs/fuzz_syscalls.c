/* The syscall fuzzer's guest (issue 16, tests/hardening/test_fuzz_syscalls.py).
 *
 * usage: fuzz_syscalls SEED CALLS THREADS
 *
 * Calls the LibOS's imports (every function of wasi_snapshot_preview1, occlum
 * and host that the kernel's syscall table has, minus the few listed in
 * fuzz_driver.EXCLUDED) CALLS times in each of THREADS threads, with random
 * and boundary arguments: bad fds, pointers at and past the end of memory,
 * overlapping iovecs, huge lengths, negative offsets, invalid flags, deep,
 * looping and non-UTF-8 paths. The per-import code (declarations and one
 * function per import that draws its arguments slot by slot) is generated
 * by the driver from the syscall table into fuzz_table.h.
 *
 * Every pointer argument points into the ARENA (the top pages of linear
 * memory, grown once all threads are up, so nothing else lives there), at or
 * a little above address 0 (the far end of the main stack: wasm-ld puts the
 * stack first, and the driver makes it 2 MiB, of which the fuzzer uses a few
 * KiB at the top), or outside memory: the kernel may write anything there
 * without hurting the fuzzer. The arguments that could end the fuzzer by design are tamed:
 * signals go only to itself, never SIGKILL/SIGSTOP, and the handler of
 * every signal stays set (SIGUSR2 is the driver's "poke": it interrupts a
 * call that blocks, so it is never blocked or changed). The driver sends
 * that poke every few milliseconds.
 *
 * Exit status: 0 = every call was made and the canary below the arena is
 * intact; 2 = bad usage; 3 = the kernel wrote below a pointer it was given
 * (the canary changed); 4 = could not set up.
 */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int32_t i32;
typedef int64_t i64;
typedef uint32_t u32;
typedef uint64_t u64;

#define IMPORT(m, n) __attribute__((import_module(m), import_name(n)))
#define PAGE 65536u
#define ARENA_PAGES 4u
#define CANARY_SIZE 4096u
#define MAX_THREADS 8

static u32 arena;      /* first byte of the arena */
static u32 arena_size; /* bytes */
static u32 mem_end;    /* end of linear memory when fuzzing started */
static u32 self_pid;
static i32 tids[MAX_THREADS + 1];
static int ntids;
static volatile u32 handled;

static _Thread_local u64 rng;
static volatile int go;

IMPORT("occlum", "gettid") i32 fz_gettid(void);
IMPORT("occlum", "tkill") i32 fz_tkill(i32 tid, i32 sig);
IMPORT("occlum", "openat") i32 fz_openat(i32 dirfd, i32 path, i32 len, i32 flags, i32 mode,
                                         i32 fd_out);
IMPORT("occlum", "dup3") i32 fz_dup3(i32 fd, i32 newfd, i32 flags);
IMPORT("wasi_snapshot_preview1", "fd_close") i32 fz_close(i32 fd);
IMPORT("wasi_snapshot_preview1", "fd_fdstat_get") i32 fz_fdstat_get(i32 fd, i32 out);

/* The end of linear memory now (past it, every address is outside). */
static u32 cur_end(void) { return (u32)__builtin_wasm_memory_size(0) * PAGE; }

static u64 next(void) {
    /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ull;
}

static u32 below(u32 n) { return n ? (u32)(next() % n) : 0; }
static int one_in(u32 n) { return below(n) == 0; }

static void on_signal(int sig) {
    (void)sig;
    handled++;
}

static void on_siginfo(int sig, siginfo_t *info, void *context) {
    (void)sig;
    (void)info;
    (void)context;
    handled++;
}

/* Signals whose handler main() could set (libc keeps a few to itself): only these
 * are sent, as the others would end the fuzzer by their default action. */
static u64 caught;

/* -- argument generators ----------------------------------------------------- */

static const u32 U32_EDGES[] = {0, 1, 2, 3, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000,
                                0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
                                0xfffffffe, 0xffffffff};
static const u64 U64_EDGES[] = {0, 1, 2, 511, 512, 4095, 4096, 4097, 65535, 65536,
                                1ull << 20, 0x7fffffffull, 0x80000000ull, 0xffffffffull,
                                1ull << 32, 1ull << 40, 1ull << 62, 0x7fffffffffffffffull,
                                0x8000000000000000ull, 0xfffffffffffff000ull,
                                0xfffffffffffffffeull, 0xffffffffffffffffull};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static u32 g_u32(void) {
    switch (below(4)) {
    case 0: return U32_EDGES[below(N(U32_EDGES))];
    case 1: return below(16);
    case 2: return (u32)next();
    default: return 1u << below(32);
    }
}

static u64 g_u64(void) {
    switch (below(4)) {
    case 0: return U64_EDGES[below(N(U64_EDGES))];
    case 1: return below(16);
    case 2: return next();
    default: return 1ull << below(64);
    }
}

/* Flags: mostly a few bits, sometimes all or random. */
static u32 g_flags(void) {
    switch (below(6)) {
    case 0: return 0;
    case 1: return 0xffffffffu;
    case 2: return (u32)next();
    default: {
        u32 f = 0;
        for (u32 k = below(3) + 1; k; k--)
            f |= 1u << below(24);
        return f;
    }
    }
}

/* One of `n` plausible values, or (one time in four) any value. */
static u32 g_pick(const u32 *values, u32 n) {
    return one_in(4) ? g_flags() : values[below(n)];
}

/* A file descriptor: usually a small one (open, closed, fd 3 the root), or an edge. */
static u32 g_fd(void) {
    if (one_in(10))
        return U32_EDGES[below(N(U32_EDGES))];
    if (one_in(3))
        return 3;
    return one_in(3) ? below(64) : below(12);
}

/* Offsets and sizes, signed or not. */
static u64 g_off(void) {
    if (one_in(2))
        return below(8192);
    return U64_EDGES[below(N(U64_EDGES))];
}

/* fallocate's offset and length: small or invalid, never a huge valid range (on
 * /host that would be a real allocation of the host's disk). */
static i64 g_alloc_off(void) {
    static const i64 V[] = {0, 1, 4096, 1 << 20, 1ll << 40, -1, -4096, 0x7fffffffffffffffll};
    return V[below(N(V))];
}

static i64 g_alloc_len(void) {
    static const i64 V[] = {0, 1, 4096, 65536, 1 << 20, -1, (i64)0x8000000000000000ull,
                            0x7fffffffffffffffll};
    return V[below(N(V))];
}

/* Timeouts (ns): almost always short; rarely forever (the poke ends the wait). */
static i64 g_timeout(void) {
    switch (below(48)) {
    case 0: return -1;
    case 1: return (i64)0x7fffffffffffffffll;
    case 2: case 3: case 4: return (i64)(next() | 0x8000000000000000ull);
    case 5: case 6: case 7: case 8: return (i64)below(2000000);
    default: return (i64)below(3);
    }
}

/* A signal number (Linux numbering) the fuzzer may send itself. */
static i32 g_sig(void) {
    for (;;) {
        i32 s;
        switch (below(8)) {
        case 0: s = (i32)U32_EDGES[below(N(U32_EDGES))]; break;
        case 1: s = -(i32)below(4); break;
        default: s = (i32)below(66); break;
        }
        if (s >= 1 && s <= 64 && !(caught & (1ull << (s - 1))))
            continue;
        if (s != SIGKILL && s != SIGSTOP && s != SIGTSTP && s != SIGTTIN && s != SIGTTOU)
            return s;
    }
}

/* A signal mask that never blocks the driver's poke. */
static u64 g_sigmask(void) {
    u64 m = one_in(3) ? next() : (one_in(2) ? 0 : ~0ull);
    return m & ~(1ull << (SIGUSR2 - 1));
}

/* A process id for calls that act on processes: itself, its group, or nobody. */
static i32 g_pid(void) {
    switch (below(6)) {
    case 0: return 0;
    case 1: return (i32)self_pid;
    case 2: return -(i32)self_pid;
    case 3: return 99999;
    case 4: return (i32)0x80000000u;
    default: return (i32)below(64) + 1000;
    }
}

/* A pid for wait4 and the like, where any value is harmless. */
static i32 g_anypid(void) {
    if (one_in(3))
        return -1;
    if (one_in(2))
        return (i32)g_u32();
    return (i32)below(300) - 10;
}

static i32 g_tid(void) {
    if (one_in(4))
        return (i32)g_u32();
    return tids[below((u32)ntids)];
}

/* A pointer: mostly into the arena, else an edge of memory or beyond it. */
static u32 g_ptr(u32 size) {
    switch (below(30)) {
    case 0: return 0;
    case 1: return mem_end - (size < mem_end ? size : 0); /* the last bytes, exactly */
    case 2: return mem_end - 1 - below(8);
    case 3: return cur_end() + below(64);
    case 4: return 0xffffffffu - below(16);
    case 5: return arena + 1; /* misaligned */
    default: {
        u32 room = arena_size > size ? arena_size - size : 0;
        return arena + (room ? below(room) : 0);
    }
    }
}

/* A raw edge pointer: null or small (the unused far end of the stack: writes there
 * hurt nothing), misaligned in the arena, or past the end. */
static u32 g_edge_ptr(void) {
    static const u32 P[] = {0, 1, 2, 3, 8, 0x7f, 0xfff, 0x1000, 0x7fff, 0xffff, 0x10000};
    switch (below(4)) {
    case 0: return P[below(N(P))];
    case 1: return arena + 1 + 2 * below(arena_size / 4);
    case 2: return cur_end() + below(4096);
    default: return 0xffffffffu - below(4096);
    }
}

static u32 g_len(void) {
    switch (below(8)) {
    case 0: return U32_EDGES[below(N(U32_EDGES))];
    case 1: return below(arena_size);
    case 2: return 4096;
    default: return below(300);
    }
}

/* Put bytes in the arena (at a random place, or ending at the end of memory). */
static u32 place(const void *src, u32 n) {
    if (n > arena_size)
        n = arena_size;
    u32 at = one_in(8) ? mem_end - n : arena + below(arena_size - n + 1);
    memcpy((void *)(uintptr_t)at, src, n);
    return at;
}

/* -- paths --------------------------------------------------------------------- */

static const char *const PATHS[] = {
    "", ".", "..", "/", "a", "b", "c", "a/b", "a/b/c", "a/../b", "./a/./b/", "a/", "//a//b",
    "l1", "l2", "loop", "/fz", "/fz/a", "/fz/b", "/fz/a/b", "/fz/a/b/c", "/fz/l1", "/fz/l2",
    "/fz/loop", "/fz/a/../../fz/b", "/fz/f", "/fz/g", "/fz/.", "/fz/..", "/fz/a/",
    "/tmp", "/tmp/fz", "/tmp/fz/a", "/tmp/fz/b", "/tmp/fz/b/c", "/tmp/fz/l1", "/tmp/fz/f",
    "/host", "/host/fz", "/host/fz/a", "/host/fz/b", "/host/fz/l1", "/host/fz/f", "/host/..",
    "/host/../..", "/host/fz/../../../etc/passwd", "/host/fz/../../host/fz/a",
    "/proc", "/proc/self", "/proc/self/fd", "/proc/self/fd/0", "/proc/self/fd/3",
    "/proc/self/status", "/proc/self/stat", "/proc/self/cmdline", "/proc/self/cwd",
    "/proc/1/status", "/proc/mounts", "/proc/meminfo", "/proc/cpuinfo", "/proc/uptime",
    "/dev", "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty",
    "/dev/stdin", "/dev/stdout", "/dev/stderr", "/dev/shm", "/dev/shm/x", "/dev/attestation",
    "/etc", "/etc/hosts", "/nonexistent", "/nonexistent/x", "/fz/f/x", "/fz/f/",
    "\xff\xfe", "a\xc3", "caf\xc3\xa9", "sp ace", "x\n", "-", "~",
};
static char deep_path[6000];  /* d/d/d/... and ../../.. and a 300-byte name */
static char long_name[300];
static char up_path[1200];

static void init_paths(void) {
    for (int i = 0; i + 2 < (int)sizeof deep_path - 1; i += 2) {
        deep_path[i] = 'd';
        deep_path[i + 1] = '/';
    }
    memset(long_name, 'n', sizeof long_name - 1);
    for (int i = 0; i + 3 < (int)sizeof up_path - 1; i += 3)
        memcpy(up_path + i, "../", 3);
}

/* A path argument: (pointer, length). */
static void g_path(i32 *ptr, i32 *len) {
    const char *s;
    u32 n;
    switch (below(24)) {
    case 0: s = deep_path; n = (u32)(below(3) ? 2 * below(300) + 1 : strlen(deep_path)); break;
    case 1: s = long_name; n = (u32)strlen(long_name); break;
    case 2: s = up_path; n = (u32)strlen(up_path); break;
    case 3: {  /* random bytes, NULs included */
        unsigned char junk[64];
        n = below(sizeof junk);
        for (u32 k = 0; k < n; k++)
            junk[k] = (unsigned char)next();
        *ptr = (i32)place(junk, n);
        *len = (i32)n;
        return;
    }
    case 4: *ptr = (i32)g_ptr(16); *len = (i32)g_len(); return;
    default: s = PATHS[below(N(PATHS))]; n = (u32)strlen(s); break;
    }
    if (one_in(16))
        n += 1; /* the NUL too */
    else if (one_in(16) && n)
        n -= 1;
    if (one_in(4)) {
        *ptr = (i32)place(s, n);
    } else {
        *ptr = (i32)(uintptr_t)s;
    }
    *len = (i32)n;
}

static void g_bytes(i32 *ptr, i32 *len) {
    u32 n = g_len();
    *ptr = (i32)g_ptr(n);
    *len = (i32)n;
}

/* A socket address: AF_UNIX with a path, AF_INET/AF_INET6 on loopback, or junk. */
static void g_addr(i32 *ptr, i32 *len) {
    unsigned char a[128];
    memset(a, 0, sizeof a);
    u32 n;
    switch (below(5)) {
    case 0: {  /* AF_UNIX */
        a[0] = 1;
        const char *p = PATHS[below(N(PATHS))];
        size_t k = strlen(p);
        if (k > 100)
            k = 100;
        memcpy(a + 2, p, k);
        n = (u32)(2 + k + below(2));
        if (one_in(4))
            n = 2; /* unnamed */
        break;
    }
    case 1:  /* AF_INET 127.0.0.1:port */
        a[0] = 2;
        a[2] = (unsigned char)below(256);
        a[3] = (unsigned char)below(256);
        a[4] = 127; a[7] = 1;
        n = one_in(4) ? below(16) : 16;
        break;
    case 2:  /* AF_INET6 ::1 */
        a[0] = 10;
        a[2] = (unsigned char)below(256);
        a[3] = (unsigned char)below(256);
        a[23] = 1;
        n = one_in(4) ? below(28) : 28;
        break;
    case 3: /* a family we don't have, with loopback-looking bytes */
        a[0] = (unsigned char)below(64);
        a[4] = 127; a[7] = 1;
        n = below(sizeof a);
        if (a[0] == 2 || a[0] == 10)
            a[0] = 3;
        break;
    default:
        g_bytes(ptr, len);
        return;
    }
    *ptr = (i32)place(a, n);
    *len = (i32)n;
}

/* An iovec array: (pointer, count); buffers may overlap, cross the end, be huge. */
static void g_iov(i32 *ptr, i32 *count) {
    u32 n;
    switch (below(8)) {
    case 0: n = U32_EDGES[below(N(U32_EDGES))]; break;
    case 1: n = below(64); break;
    default: n = below(4) + (one_in(3) ? 0u : 1u); break;
    }
    u32 built = n < 64 ? n : 64;
    u32 iov[128];
    u32 shared = g_ptr(64);
    for (u32 k = 0; k < built; k++) {
        /* mostly short: the bytes a write stores must not fill the host's disk */
        u32 len = one_in(3) ? below(64) : one_in(16) ? g_len() : g_len() % 8192;
        iov[2 * k] = one_in(4) ? shared : g_ptr(len);
        iov[2 * k + 1] = len;
    }
    if (one_in(12)) {
        *ptr = (i32)g_ptr(8 * built);
    } else {
        *ptr = (i32)place(iov, 8 * built);
    }
    *count = (i32)n;
}

static void g_buf(i32 *ptr, i32 *len) {
    u32 n = g_len();
    *ptr = (i32)g_ptr(n);
    *len = (i32)n;
}

/* A pointer where the kernel writes a result of `size` bytes. */
static i32 g_out(u32 size) { return (i32)g_ptr(size); }

/* A struct the kernel reads: random bytes in the arena, NULL, or a bad pointer. */
static i32 g_struct_in(u32 size) {
    if (one_in(6))
        return 0;
    if (one_in(8))
        return (i32)g_ptr(size);
    unsigned char b[64];
    for (u32 k = 0; k < size && k < sizeof b; k++)
        b[k] = one_in(2) ? 0 : (unsigned char)next();
    if (one_in(3)) {  /* small numbers in each 8-byte field */
        for (u32 k = 0; k + 8 <= size; k += 8) {
            u64 v = g_off();
            memcpy(b + k, &v, 8);
        }
    }
    return (i32)place(b, size);
}

/* An array of `size`-byte records: (pointer, count). */
static void g_array(u32 size, i32 *ptr, i32 *count) {
    u32 n = one_in(8) ? g_u32() : below(6);
    unsigned char b[256];
    u32 bytes = (n < 8 ? n : 8) * size;
    if (bytes > sizeof b)
        bytes = sizeof b;
    for (u32 k = 0; k < bytes; k += 4) {
        u32 v = one_in(2) ? below(64) : g_u32();
        memcpy(b + k, &v, 4);
    }
    /* string fields (pointer, length) pairs: point some at paths */
    for (u32 k = 0; k + 8 <= bytes; k += 8) {
        if (one_in(3)) {
            i32 p, l;
            g_path(&p, &l);
            memcpy(b + k, &p, 4);
            memcpy(b + k + 4, &l, 4);
        }
    }
    *ptr = one_in(10) ? (i32)g_ptr(bytes) : (i32)place(b, bytes);
    *count = (i32)n;
}

/* argv/envp for spawn and execve: (pointer, count) of char* in the arena. */
static void g_strarr(i32 *ptr, i32 *count) {
    u32 n = one_in(10) ? g_u32() : below(5);
    u32 built = n < 8 ? n : 8;
    u32 v[8];
    for (u32 k = 0; k < built; k++) {
        if (one_in(6)) {
            v[k] = g_ptr(4); /* maybe unterminated at the end of memory */
        } else {
            const char *s = PATHS[below(N(PATHS))];
            v[k] = place(s, (u32)strlen(s) + 1);
        }
    }
    *ptr = one_in(10) ? (i32)g_ptr(4 * built) : (i32)place(v, 4 * built);
    *count = (i32)n;
}

/* Programs for spawn/execve: nothing that would run, except (for spawn, with
 * `self_ok`) the fuzzer itself, with arguments it refuses (it exits at once with
 * status 2). */
static void g_exec_path(i32 *ptr, i32 *len, int self_ok) {
    static const char *const PROGRAMS[] = {"/fz/f", "/fz/g", "/tmp/fz/f", "/host/fz/f",
                                           "/dev/null", "/fz", "/nonexistent", "/etc/hosts",
                                           "/proc/self/status", "/dev/zero"};
    const char *s;
    if (self_ok && one_in(4)) {
        s = "/bin/fuzz_syscalls";
    } else if (self_ok && one_in(3)) {
        g_path(ptr, len);
        return;
    } else {
        /* execve: only these (an execve that worked would end the fuzzer) */
        s = PROGRAMS[below(N(PROGRAMS))];
    }
    *ptr = (i32)(uintptr_t)s;
    *len = (i32)strlen(s);
}

/* poll_oneoff: (subscriptions, events, count, nevents pointer). Subscriptions
 * are clocks (short timeouts, relative or absolute, any clock id) and fd
 * readiness on any fd; sometimes a garbage tag. */
static void g_poll(i32 *in, i32 *out, i32 *n, i32 *nevents) {
    u32 count = one_in(10) ? g_u32() : below(5);
    u32 built = count < 8 ? count : 8;
    unsigned char subs[8 * 48];
    memset(subs, 0, sizeof subs);
    for (u32 k = 0; k < built; k++) {
        unsigned char *s = subs + 48 * k;
        u64 userdata = next();
        memcpy(s, &userdata, 8);
        s[8] = one_in(10) ? (unsigned char)next() : (unsigned char)below(3);
        if (s[8] == 0) {
            u32 clock = one_in(5) ? g_u32() : below(4);
            u64 timeout = one_in(6) ? g_u64() : below(2000000);
            unsigned short flags = (unsigned short)(one_in(3) ? 1 : (one_in(5) ? next() : 0));
            memcpy(s + 16, &clock, 4);
            memcpy(s + 24, &timeout, 8);
            memcpy(s + 40, &flags, 2);
        } else {
            u32 fd = g_fd();
            memcpy(s + 16, &fd, 4);
        }
    }
    *in = one_in(10) ? (i32)g_ptr(48 * built) : (i32)place(subs, 48 * built);
    *out = (i32)g_ptr(32 * built);
    *n = (i32)count;
    *nevents = g_out(4);
}

/* Tamed structs are built here, not in the arena: another thread could change
 * them there before the kernel reads them. The kernel never writes here (no
 * pointer the fuzzer draws points here). */
static _Thread_local struct { u32 handler, flags; u64 mask; } act;
static _Thread_local u64 set;

/* A pointer the kernel cannot read: 0 is excluded (it means "none"). */
static i32 g_unreadable(void) { return (i32)(one_in(2) ? 0xfffffff0u : cur_end() + below(64)); }

/* A sigaction's act: a handler that keeps the fuzzer alive, any flags but
 * SA_RESETHAND, any mask. */
static i32 g_sigact(void) {
    if (one_in(6))
        return 0;
    if (one_in(10))
        return g_unreadable();
    act.flags = g_flags() & ~(u32)SA_RESETHAND;
    /* an SA_SIGINFO handler is called with three arguments: give it one that takes them */
    u32 handler = act.flags & SA_SIGINFO ? (u32)(uintptr_t)&on_siginfo
                                         : (u32)(uintptr_t)&on_signal;
    act.handler = one_in(2) ? handler : 1u /* SIG_IGN */;
    act.mask = one_in(2) ? 0 : next();
    return (i32)(uintptr_t)&act;
}

static i32 g_sigset_in(void) {
    if (one_in(4))
        return 0;
    if (one_in(10))
        return g_unreadable();
    set = g_sigmask();
    return (i32)(uintptr_t)&set;
}

/* sigaction's signal: any but the poke (whose handler must stay). */
static u32 g_sigaction_sig(void) {
    for (;;) {
        i32 s = g_sig();
        if (s != SIGUSR2)
            return (u32)s;
    }
}

/* proc_raise's WASI signal: the ones ignored by default, and invalid ones (a WASI
 * raise of anything else ends the process by design). */
static u32 g_wasi_raise(void) {
    static const u32 S[] = {0, 16, 17, 22, 27, 31, 64, 0xffffffffu};
    return S[below(N(S))];
}

#include "fuzz_table.h"

/* -- running --------------------------------------------------------------------- */

static u32 calls_each;
static u64 seeds[MAX_THREADS];

/* Not a fuzzed call: when fd 3 (the root, which the WASI path calls start from)
 * is gone or is no directory, open "/" again there; else the WASI path calls would
 * soon all fail with EBADF. */
static void fix_root_fd(void) {
    static _Thread_local unsigned char stat[24];
    static _Thread_local i32 fd;
    if (fz_fdstat_get(3, (i32)(uintptr_t)stat) == 0 && stat[0] == 3 /* directory */)
        return;
    if (fz_openat(-100, (i32)(uintptr_t)"/", 1, 0x10000 /* O_DIRECTORY */, 0,
                  (i32)(uintptr_t)&fd) == 0) {
        if (fd != 3) {
            fz_dup3(fd, 3, 0);
            fz_close(fd);
        }
    }
}

static void *fuzz(void *arg) {
    u64 seed = *(u64 *)arg;
    if (arg != &seeds[0]) {  /* a thread: wait until main has made the arena */
        tids[__atomic_add_fetch(&ntids, 1, __ATOMIC_SEQ_CST) - 1] = fz_gettid();
        while (!__atomic_load_n(&go, __ATOMIC_SEQ_CST))
            sched_yield();
    }
    rng = seed ? seed : 1;
    for (int k = 0; k < 8; k++)
        (void)next();
    for (u32 i = 0; i < calls_each; i++) {
        if (i % 128 == 0)
            fix_root_fd();
        FZ_CALLS[below(FZ_NCALLS)]();
    }
    return NULL;
}

static unsigned char *canary(void) { return (unsigned char *)(uintptr_t)(arena - CANARY_SIZE); }

int main(int argc, char **argv) {
    if (argc != 4)
        return 2;
    u64 seed = strtoull(argv[1], NULL, 10);
    calls_each = (u32)strtoul(argv[2], NULL, 10);
    int threads = atoi(argv[3]);
    if (threads < 1 || threads > MAX_THREADS || calls_each == 0)
        return 2;
    self_pid = (u32)getpid();
    init_paths();
    for (int s = 1; s < 65; s++) {
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        if (sigaction(s, &sa, NULL) == 0)  /* the ones libc keeps to itself fail */
            caught |= 1ull << (s - 1);
    }
    mkdir("/fz", 0777);
    mkdir("/tmp/fz", 0777);
    mkdir("/host/fz", 0777);

    static pthread_t th[MAX_THREADS];
    for (int t = 0; t < threads; t++)
        seeds[t] = seed * 0x9e3779b97f4a7c15ull + (u64)self_pid * 1000003u + (u64)t + 1;
    tids[ntids++] = fz_gettid();
    tids[ntids++] = -1;
    /* Threads first (their stacks come from malloc, which may grow memory), all
     * waiting for the arena. */
    for (int t = 1; t < threads; t++)
        if (pthread_create(&th[t], NULL, fuzz, &seeds[t]) != 0)
            return 4;
    while (__atomic_load_n(&ntids, __ATOMIC_SEQ_CST) < threads + 1)
        sched_yield();

    /* The arena: whole pages at the top of memory, grown now so that nothing else
     * can be there; a canary page below it. */
    u32 before = (u32)__builtin_wasm_memory_size(0);
    if (__builtin_wasm_memory_grow(0, ARENA_PAGES + 1) == (size_t)-1)
        return 4;
    u32 top = ((u32)__builtin_wasm_memory_size(0)) * PAGE;
    arena = before * PAGE + PAGE;
    arena_size = top - arena;
    mem_end = top;
    memset(canary(), 0xA5, CANARY_SIZE);
    __atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
    fuzz(&seeds[0]);
    for (int t = 1; t < threads; t++)
        pthread_join(th[t], NULL);
    for (u32 k = 0; k < CANARY_SIZE; k++)
        if (canary()[k] != 0xA5)
            return 3;
    return 0;
}
