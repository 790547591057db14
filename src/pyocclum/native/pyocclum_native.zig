//! AES-256-GCM of sefs nodes (see fs/sefs/, aead.py and docs/sefs-format.md):
//!
//! * `pyocclum_sefs_open`: reads and authenticates a run of a file's nodes;
//! * `pyocclum_sefs_seal`: seals a batch of nodes and makes their entries;
//! * `pyocclum_gcm_seal`, `pyocclum_gcm_open`: one message (the superblock);
//! * `pyocclum_hkdf_sha256`: HKDF-SHA256 (crypto/keys.py), zig's std;
//!
//! with OpenSSL's EVP functions when the caller passes them, else zig's
//! std.crypto.aead.aes_gcm.Aes256Gcm (no AES or GHASH of our own).
//!
//! The WASI calls served without Python are in wasi_calls.zig (its exports
//! are part of this library).
//!
//! Built and loaded by library.py through ctypes, which releases the GIL
//! for the whole call.
//!
//! Big calls are split into shares over up to `threads` threads: the caller
//! and a small pool of worker threads (started on first use, kept waiting
//! on a condition variable, reset in a child after fork) take shares in
//! turn until none is left, so a worker that is slow to start does less (or
//! nothing). A call that finds the pool busy (another thread's call) spawns
//! threads for itself instead; a share whose thread cannot be started is
//! done by the caller. Every call returns only when all of its work is done,
//! but for `pyocclum_sefs_open_begin`, which hands a read to the pool and
//! returns at once: its `pyocclum_sefs_open_end` takes the shares left and
//! waits for the rest (sefs's read-ahead: the workers decrypt the next run
//! while the reader is away, and the reader joins in when it comes back).

const std = @import("std");
const pc = std.c;

const max_threads: usize = 16;
/// Worker stacks (virtual memory; only what is touched is committed). With
/// 64 KiB, pthread_create failed in some processes (glibc takes the static
/// TLS out of the stack), and the calls then silently ran on one thread.
const stack_size: usize = 1024 * 1024;

const wasi_calls = @import("wasi_calls.zig");
comptime {
    _ = wasi_calls; // its exported functions
}

/// Bumped whenever the exported functions change (here or in wasi_calls.zig);
/// library.py checks it.
export fn pyocclum_native_abi() u32 {
    return wasi_calls.abi_version;
}

// -- splitting work over threads ---------------------------------------------------

const Erased = *const fn (ctx: *const anyopaque, first: usize, last: usize) void;

/// Runs `work(ctx, first, last)` over `[0, n)` split in up to `threads`
/// parts of at least `min_per_thread` items each.
fn split(comptime work: anytype, ctx: anytype, n: usize, threads: usize, min_per_thread: usize) void {
    const t = @max(@min(@min(@max(threads, 1), max_threads), n / min_per_thread), 1);
    if (t == 1) return work(ctx, 0, n);
    const Ctx = @TypeOf(ctx);
    const Wrap = struct {
        fn run(p: *const anyopaque, first: usize, last: usize) void {
            const cx: *const Ctx = @ptrCast(@alignCast(p));
            work(cx.*, first, last);
        }
    };
    // A few shares per thread, taken in turn by whichever thread is free: a
    // thread that starts late (its CPU busy) does less, and none at all if
    // the others finish first.
    const shares = @max(@min(n / min_per_thread, t * shares_per_thread), t);
    var tk: Task = .{ .run = Wrap.run, .ctx = &ctx, .n = n, .t = t, .shares = shares };
    if (install(&tk)) return finish(&tk);
    var spawned: [max_threads]?std.Thread = @splat(null);
    var k: usize = 1;
    while (k < t) : (k += 1) {
        const first = n * k / t;
        const last = n * (k + 1) / t;
        spawned[k] = std.Thread.spawn(.{ .stack_size = stack_size }, work, .{ ctx, first, last }) catch blk: {
            work(ctx, first, last);
            break :blk null;
        };
    }
    work(ctx, 0, n / t);
    k = 1;
    while (k < t) : (k += 1) {
        if (spawned[k]) |th| th.join();
    }
}

const shares_per_thread: usize = 4;

/// One call's work as the pool sees it. Shares are taken through `next`; a
/// task stays alive until every share is `finished` and no worker `uses` it.
const Task = struct {
    run: Erased,
    ctx: *const anyopaque,
    n: usize,
    t: usize,
    shares: usize,
    /// The next share to take (atomic).
    next: usize = 0,
    /// Guarded by `state_lock`, as are the globals below.
    finished: usize = 0,
    users: usize = 0,
};

var state_lock: pc.pthread_mutex_t = .{};
var wake: pc.pthread_cond_t = .{};
var done: pc.pthread_cond_t = .{};
/// The task workers may join: one at a time, until all its shares are taken
/// (a call that finds one spawns threads for itself instead).
var current: ?*Task = null;
var generation: u64 = 0;
var workers: usize = 0;
var atfork_registered = false;

/// In a child after fork only the forking thread exists: forget the workers
/// and reset the locks (another thread may have held them).
fn resetInChild() callconv(.c) void {
    state_lock = .{};
    wake = .{};
    done = .{};
    current = null;
    workers = 0;
}

/// Takes and runs shares of `tk` until none is left; how many it ran.
fn takeShares(tk: *Task) usize {
    var did: usize = 0;
    while (true) {
        const sh = @atomicRmw(usize, &tk.next, .Add, 1, .acq_rel);
        if (sh >= tk.shares) return did;
        tk.run(tk.ctx, tk.n * sh / tk.shares, tk.n * (sh + 1) / tk.shares);
        did += 1;
    }
}

/// With `state_lock` held, after taking shares of `tk`: count them, and let
/// the pool go to the next task once every share of this one is taken.
fn leaveLocked(tk: *Task, did: usize) void {
    tk.finished += did;
    if (current == tk) current = null;
    if (tk.finished == tk.shares) _ = pc.pthread_cond_broadcast(&done);
}

/// Worker `k` (1-based): joins each new task that wants more than `k` threads,
/// unless all its shares are taken already.
fn workerMain(k: usize, start_generation: u64) void {
    // Signals are for the process's own threads (Python handles them on its
    // main thread): a worker never takes one.
    var all: pc.sigset_t = undefined;
    var old: pc.sigset_t = undefined;
    _ = pc.sigfillset(&all);
    _ = pc.pthread_sigmask(pc.SIG.BLOCK, &all, &old);
    var seen = start_generation;
    _ = pc.pthread_mutex_lock(&state_lock);
    while (true) {
        while (generation == seen) _ = pc.pthread_cond_wait(&wake, &state_lock);
        seen = generation;
        const tk = current orelse continue;
        if (k >= tk.t) continue;
        tk.users += 1;
        _ = pc.pthread_mutex_unlock(&state_lock);
        const did = takeShares(tk);
        _ = pc.pthread_mutex_lock(&state_lock);
        tk.users -= 1;
        leaveLocked(tk, did);
        if (tk.users == 0) _ = pc.pthread_cond_broadcast(&done);
    }
}

/// Makes `tk` the pool's task and wakes the workers (starting those it
/// wants); false (nothing started) if the pool has a task or cannot be used.
fn install(tk: *Task) bool {
    _ = pc.pthread_mutex_lock(&state_lock);
    defer _ = pc.pthread_mutex_unlock(&state_lock);
    if (current != null) return false;
    if (!atfork_registered) {
        // Before the first worker exists, so that no child can inherit one
        // without the reset.
        if (pc.pthread_atfork(null, null, resetInChild) != 0) return false;
        atfork_registered = true;
    }
    while (workers + 1 < tk.t) {
        const th = std.Thread.spawn(.{ .stack_size = stack_size }, workerMain, .{ workers + 1, generation }) catch break;
        th.detach();
        workers += 1;
    }
    tk.t = @min(tk.t, workers + 1);
    current = tk;
    generation += 1;
    _ = pc.pthread_cond_broadcast(&wake);
    return true;
}

/// The caller's part of an installed task: takes the shares left, then waits
/// until every share is done and no worker uses `tk` any more.
fn finish(tk: *Task) void {
    const did = takeShares(tk);
    _ = pc.pthread_mutex_lock(&state_lock);
    leaveLocked(tk, did);
    while (tk.finished < tk.shares or tk.users > 0) _ = pc.pthread_cond_wait(&done, &state_lock);
    _ = pc.pthread_mutex_unlock(&state_lock);
}

// -- sefs nodes: AES-256-GCM in batches ----------------------------------------------
//
// A sefs node (see docs/sefs-format.md) is 4096 bytes sealed with AES-256-GCM
// under the volume's node key; its 32-byte entry is `u32 slot + 1 (0: hole)
// || 12-byte nonce || 16-byte tag`, and its AAD is a 17-byte prefix
// ("sefsnode" || u64 ino || u8 level) followed by the u64 node index. Each
// node is one AEAD operation of a library the caller hands over (`Aes`: a
// context keyed once per share), or of zig's std.crypto.aead.aes_gcm.Aes256Gcm.

const Aes256Gcm = std.crypto.aead.aes_gcm.Aes256Gcm;
const node_size: usize = 4096;
const entry_size: usize = 32;
const aad_prefix: usize = 17;

/// OpenSSL's EVP functions (from the libcrypto the Python process has loaded
/// for hashlib).
pub const Evp = extern struct {
    ctx_new: *const fn () callconv(.c) ?*anyopaque,
    ctx_free: *const fn (?*anyopaque) callconv(.c) void,
    aes_256_gcm: *const fn () callconv(.c) ?*const anyopaque,
    encrypt_init: *const fn (?*anyopaque, ?*const anyopaque, ?*const anyopaque, ?[*]const u8, ?[*]const u8) callconv(.c) c_int,
    encrypt_update: *const fn (?*anyopaque, ?[*]u8, *c_int, [*]const u8, c_int) callconv(.c) c_int,
    encrypt_final: *const fn (?*anyopaque, [*]u8, *c_int) callconv(.c) c_int,
    decrypt_init: *const fn (?*anyopaque, ?*const anyopaque, ?*const anyopaque, ?[*]const u8, ?[*]const u8) callconv(.c) c_int,
    decrypt_update: *const fn (?*anyopaque, ?[*]u8, *c_int, [*]const u8, c_int) callconv(.c) c_int,
    decrypt_final: *const fn (?*anyopaque, [*]u8, *c_int) callconv(.c) c_int,
    ctrl: *const fn (?*anyopaque, c_int, c_int, ?*anyopaque) callconv(.c) c_int,
};

const evp_ctrl_gcm_get_tag: c_int = 0x10;
const evp_ctrl_gcm_set_tag: c_int = 0x11;

/// libgcrypt's `gcry_cipher_*` functions (initialised by the caller with
/// `gcry_check_version`). Each returns a gcry_error_t: 0 on success.
pub const Gcry = extern struct {
    open: *const fn (*?*anyopaque, c_int, c_int, c_uint) callconv(.c) c_uint,
    close: *const fn (?*anyopaque) callconv(.c) void,
    setkey: *const fn (?*anyopaque, *const anyopaque, usize) callconv(.c) c_uint,
    setiv: *const fn (?*anyopaque, *const anyopaque, usize) callconv(.c) c_uint,
    authenticate: *const fn (?*anyopaque, *const anyopaque, usize) callconv(.c) c_uint,
    encrypt: *const fn (?*anyopaque, *anyopaque, usize, *const anyopaque, usize) callconv(.c) c_uint,
    decrypt: *const fn (?*anyopaque, *anyopaque, usize, *const anyopaque, usize) callconv(.c) c_uint,
    gettag: *const fn (?*anyopaque, *anyopaque, usize) callconv(.c) c_uint,
    checktag: *const fn (?*anyopaque, *const anyopaque, usize) callconv(.c) c_uint,
};

const gcry_cipher_aes256: c_int = 9;
const gcry_cipher_mode_gcm: c_int = 9;

/// The AES-256-GCM the caller hands over: `kind` says which member of `fns`
/// is valid. Both give the same results as zig's std and as `cryptography`
/// (checked by the Python side before use); they are several times faster
/// per CPU on x86_64 (AES-NI/VAES and PCLMUL code, stitched), and libgcrypt
/// has the least overhead per 4 KiB operation.
pub const Aes = extern struct {
    kind: usize,
    fns: extern union { evp: Evp, gcry: Gcry },
};

const aes_openssl: usize = 1;
const aes_gcrypt: usize = 2;

/// One thread's AES-256-GCM under one key: a context keyed once, or std.
const Gcm = struct {
    aes: ?*const Aes,
    ctx: ?*anyopaque,
    key: *const [32]u8,
    /// False if the library could not set up a context (the caller then fails the call).
    ok: bool,

    fn init(aes: ?*const Aes, key: *const [32]u8, encrypting: bool) Gcm {
        var g = Gcm{ .aes = aes, .ctx = null, .key = key, .ok = true };
        const a = aes orelse return g;
        switch (a.kind) {
            aes_openssl => {
                const e = &a.fns.evp;
                g.ctx = e.ctx_new();
                const init_fn = if (encrypting) e.encrypt_init else e.decrypt_init;
                g.ok = g.ctx != null and init_fn(g.ctx, e.aes_256_gcm(), null, key, null) == 1;
            },
            aes_gcrypt => {
                const c = &a.fns.gcry;
                g.ok = c.open(&g.ctx, gcry_cipher_aes256, gcry_cipher_mode_gcm, 0) == 0 and
                    g.ctx != null and c.setkey(g.ctx, key, 32) == 0;
            },
            else => g.ok = false,
        }
        return g;
    }

    fn deinit(g: *Gcm) void {
        const a = g.aes orelse return;
        if (g.ctx == null) return;
        switch (a.kind) {
            aes_openssl => a.fns.evp.ctx_free(g.ctx),
            aes_gcrypt => a.fns.gcry.close(g.ctx),
            else => {},
        }
    }

    fn seal(g: *Gcm, ct: []u8, tag: *[16]u8, m: []const u8, ad: []const u8, nonce: [12]u8) bool {
        std.debug.assert(ct.len == m.len);
        const a = g.aes orelse {
            Aes256Gcm.encrypt(ct, tag, m, ad, nonce, g.key.*);
            return true;
        };
        if (a.kind == aes_gcrypt) {
            const c = &a.fns.gcry;
            return c.setiv(g.ctx, &nonce, 12) == 0 and
                c.authenticate(g.ctx, ad.ptr, ad.len) == 0 and
                c.encrypt(g.ctx, ct.ptr, ct.len, m.ptr, m.len) == 0 and
                c.gettag(g.ctx, tag, 16) == 0;
        }
        const e = &a.fns.evp;
        var outl: c_int = 0;
        var fin: [16]u8 = undefined;
        return e.encrypt_init(g.ctx, null, null, null, &nonce) == 1 and
            e.encrypt_update(g.ctx, null, &outl, ad.ptr, @intCast(ad.len)) == 1 and
            e.encrypt_update(g.ctx, ct.ptr, &outl, m.ptr, @intCast(m.len)) == 1 and outl == m.len and
            e.encrypt_final(g.ctx, &fin, &outl) == 1 and outl == 0 and
            e.ctrl(g.ctx, evp_ctrl_gcm_get_tag, 16, tag) == 1;
    }

    /// False if the node fails authentication (or the library fails: the same
    /// to the caller). `m` may be `ct` (in place) except for zig's std.
    fn open(g: *Gcm, m: []u8, ct: []const u8, tag: [16]u8, ad: []const u8, nonce: [12]u8) bool {
        std.debug.assert(ct.len == m.len);
        const a = g.aes orelse {
            Aes256Gcm.decrypt(m, ct, tag, ad, nonce, g.key.*) catch return false;
            return true;
        };
        if (a.kind == aes_gcrypt) {
            const c = &a.fns.gcry;
            return c.setiv(g.ctx, &nonce, 12) == 0 and
                c.authenticate(g.ctx, ad.ptr, ad.len) == 0 and
                c.decrypt(g.ctx, m.ptr, m.len, ct.ptr, ct.len) == 0 and
                c.checktag(g.ctx, &tag, 16) == 0;
        }
        const e = &a.fns.evp;
        var outl: c_int = 0;
        var fin: [16]u8 = undefined;
        var t = tag;
        return e.decrypt_init(g.ctx, null, null, null, &nonce) == 1 and
            e.decrypt_update(g.ctx, null, &outl, ad.ptr, @intCast(ad.len)) == 1 and
            e.decrypt_update(g.ctx, m.ptr, &outl, ct.ptr, @intCast(ct.len)) == 1 and outl == ct.len and
            e.ctrl(g.ctx, evp_ctrl_gcm_set_tag, 16, &t) == 1 and
            e.decrypt_final(g.ctx, &fin, &outl) == 1 and outl == 0;
    }
};

const OpenJob = struct {
    aes: ?*const Aes,
    fd: c_int,
    key: *const [32]u8,
    prefix: *const [aad_prefix]u8,
    first: u64,
    ents: [*]const u8,
    scratch: [*]u8,
    out: [*]u8,
    /// First errno seen (0: none).
    err: *i32,
    /// Lowest failing node * 2 + (0: missing, 1: fails authentication); max: none.
    bad: *u64,
};

fn slotOf(ents: [*]const u8, i: usize) u32 {
    return std.mem.readInt(u32, ents[i * entry_size ..][0..4], .little);
}

fn openRange(c: OpenJob, first: usize, last: usize) void {
    var g = Gcm.init(c.aes, c.key, false);
    defer g.deinit();
    if (!g.ok) {
        _ = @cmpxchgStrong(i32, c.err, 0, @intFromEnum(pc.E.NOMEM), .monotonic, .monotonic);
        return;
    }
    var i = first;
    while (i < last) {
        const s1 = slotOf(c.ents, i);
        if (s1 == 0) { // a hole reads as zeros
            @memset(c.out[i * node_size ..][0..node_size], 0);
            i += 1;
            continue;
        }
        // A run of consecutive slots: one pread.
        var j = i + 1;
        while (j < last and slotOf(c.ents, j) == s1 +% @as(u32, @truncate(j - i))) j += 1;
        const want = (j - i) * node_size;
        const base: u64 = @as(u64, s1 - 1) * node_size;
        var pos: usize = 0;
        while (pos < want) {
            const rc = pc.pread(c.fd, c.scratch + i * node_size + pos, want - pos, @intCast(base + pos));
            if (rc > 0) {
                pos += @intCast(rc);
            } else if (rc == 0) {
                break;
            } else {
                const e = pc._errno().*;
                if (e == @intFromEnum(pc.E.INTR)) continue;
                _ = @cmpxchgStrong(i32, c.err, 0, if (e != 0) e else @intFromEnum(pc.E.IO), .monotonic, .monotonic);
                return;
            }
        }
        const got = i + pos / node_size; // nodes read in full
        var k = i;
        while (k < got) : (k += 1) {
            var ad: [aad_prefix + 8]u8 = undefined;
            ad[0..aad_prefix].* = c.prefix.*;
            std.mem.writeInt(u64, ad[aad_prefix..][0..8], c.first + k, .little);
            const e = c.ents[k * entry_size ..][0..entry_size];
            if (!g.open(c.out[k * node_size ..][0..node_size], c.scratch[k * node_size ..][0..node_size], e[16..32].*, &ad, e[4..16].*)) {
                _ = @atomicRmw(u64, c.bad, .Min, @as(u64, k) * 2 + 1, .monotonic);
                return;
            }
        }
        if (got < j) {
            _ = @atomicRmw(u64, c.bad, .Min, @as(u64, got) * 2, .monotonic);
            return;
        }
        i = j;
    }
}

/// Reads and authenticates `n` consecutive data nodes of one object, nodes
/// `first .. first + n`, whose entries are `ents[0 .. 32 * n]`: each node's
/// ciphertext is `pread` from `fd` (slot * 4096; consecutive slots in one
/// call) into `scratch[i * 4096 ..]` and decrypted into `out[i * 4096 ..]`;
/// a hole (slot + 1 == 0) gives zeros. `aes`: the library's functions, or
/// null for zig's std. Returns `n` when every node authenticated; else the
/// position (0-based) of the first node that failed, with `why.*` = 1 if it
/// failed authentication or 0 if the file ended before it; or minus an
/// errno. `out` is meaningless unless `n` is returned.
export fn pyocclum_sefs_open(aes: ?*const Aes, fd: c_int, key: *const [32]u8, prefix: *const [aad_prefix]u8, first: u64, n: usize, ents: [*]const u8, scratch: [*]u8, out: [*]u8, threads: usize, why: *u32) isize {
    var a: OpenAsync = undefined;
    a.init(aes, fd, key, prefix, first, n, ents, scratch, out, threads);
    if (n > 0) split(openRange, a.job, n, threads, min_nodes_per_thread);
    return a.result(why);
}

const min_nodes_per_thread: usize = 8;

/// A read handed to the pool by `pyocclum_sefs_open_begin`.
const OpenAsync = struct {
    job: OpenJob,
    task: Task,
    err: i32,
    bad: u64,
    n: usize,
    threads: usize,
    /// The pool took it (else `pyocclum_sefs_open_end` does it all).
    installed: bool,

    fn init(a: *OpenAsync, aes: ?*const Aes, fd: c_int, key: *const [32]u8, prefix: *const [aad_prefix]u8, first: u64, n: usize, ents: [*]const u8, scratch: [*]u8, out: [*]u8, threads: usize) void {
        a.* = .{
            .job = .{
                .aes = aes,
                .fd = fd,
                .key = key,
                .prefix = prefix,
                .first = first,
                .ents = ents,
                .scratch = scratch,
                .out = out,
                .err = &a.err,
                .bad = &a.bad,
            },
            .task = undefined,
            .err = 0,
            .bad = std.math.maxInt(u64),
            .n = n,
            .threads = threads,
            .installed = false,
        };
    }

    fn run(p: *const anyopaque, first: usize, last: usize) void {
        const a: *const OpenAsync = @ptrCast(@alignCast(p));
        openRange(a.job, first, last);
    }

    /// What `pyocclum_sefs_open` returns, once the work is done.
    fn result(a: *OpenAsync, why: *u32) isize {
        const e = @atomicLoad(i32, &a.err, .acquire);
        if (e != 0) return -@as(isize, e);
        const b = @atomicLoad(u64, &a.bad, .acquire);
        if (b != std.math.maxInt(u64)) {
            why.* = @intCast(b & 1);
            return @intCast(b >> 1);
        }
        return @intCast(a.n);
    }
};

/// `pyocclum_sefs_open` in two calls: this one gives the work to the pool's
/// workers (up to `threads - 1` of them) and returns at once, without doing
/// any itself; `pyocclum_sefs_open_end` (exactly once, from any thread) takes
/// the shares left, waits for the others, and returns what
/// `pyocclum_sefs_open` would. Every buffer must stay valid until then. If
/// the pool is busy, all the work is done by `pyocclum_sefs_open_end`.
/// Returns null if out of memory (nothing to end).
export fn pyocclum_sefs_open_begin(aes: ?*const Aes, fd: c_int, key: *const [32]u8, prefix: *const [aad_prefix]u8, first: u64, n: usize, ents: [*]const u8, scratch: [*]u8, out: [*]u8, threads: usize) ?*OpenAsync {
    const a = std.heap.c_allocator.create(OpenAsync) catch return null;
    a.init(aes, fd, key, prefix, first, n, ents, scratch, out, threads);
    const t = @max(@min(@min(@max(threads, 1), max_threads), n / min_nodes_per_thread), 1);
    if (t > 1) {
        const shares = @max(@min(n / min_nodes_per_thread, t * shares_per_thread), t);
        a.task = .{ .run = OpenAsync.run, .ctx = a, .n = n, .t = t, .shares = shares };
        a.installed = install(&a.task);
    }
    return a;
}

/// Completes (and frees) a read begun by `pyocclum_sefs_open_begin`.
export fn pyocclum_sefs_open_end(a: *OpenAsync, why: *u32) isize {
    defer std.heap.c_allocator.destroy(a);
    if (a.installed) {
        finish(&a.task);
    } else if (a.n > 0) {
        split(openRange, a.job, a.n, a.threads, min_nodes_per_thread);
    }
    return a.result(why);
}

const SealJob = struct {
    aes: ?*const Aes,
    key: *const [32]u8,
    prefix: *const [aad_prefix]u8,
    idxs: [*]const u64,
    nonce: u96,
    plain: [*]const u8,
    slots: [*]const u32,
    ct: [*]u8,
    ents: [*]u8,
    failed: *u32,
};

fn sealRange(c: SealJob, first: usize, last: usize) void {
    var g = Gcm.init(c.aes, c.key, true);
    defer g.deinit();
    if (!g.ok) {
        _ = @atomicRmw(u32, c.failed, .Or, 1, .monotonic);
        return;
    }
    var i = first;
    while (i < last) : (i += 1) {
        var ad: [aad_prefix + 8]u8 = undefined;
        ad[0..aad_prefix].* = c.prefix.*;
        std.mem.writeInt(u64, ad[aad_prefix..][0..8], c.idxs[i], .little);
        const e = c.ents[i * entry_size ..][0..entry_size];
        std.mem.writeInt(u32, e[0..4], c.slots[i] +% 1, .little);
        std.mem.writeInt(u96, e[4..16], c.nonce +% @as(u96, @intCast(i)), .little);
        if (!g.seal(c.ct[i * node_size ..][0..node_size], e[16..32], c.plain[i * node_size ..][0..node_size], &ad, e[4..16].*)) {
            _ = @atomicRmw(u32, c.failed, .Or, 1, .monotonic);
            return;
        }
    }
}

/// Seals `n` nodes of one object and level: node i (index `idxs[i]`, plaintext
/// `plain[i * 4096 ..]`, nonce the 96-bit little-endian counter `nonce + i`,
/// slot `slots[i]`) gives its ciphertext at `ct[i * 4096 ..]` and its entry
/// (slot + 1, nonce, tag) at `ents[i * 32 ..]`. `aes` as for
/// pyocclum_sefs_open. Returns `n`, or 0 if OpenSSL failed (nothing usable).
export fn pyocclum_sefs_seal(aes: ?*const Aes, key: *const [32]u8, prefix: *const [aad_prefix]u8, idxs: [*]const u64, nonce_lo: u64, nonce_hi: u32, n: usize, plain: [*]const u8, slots: [*]const u32, ct: [*]u8, ents: [*]u8, threads: usize) usize {
    var failed: u32 = 0;
    if (n > 0) split(sealRange, SealJob{
        .aes = aes,
        .key = key,
        .prefix = prefix,
        .idxs = idxs,
        .nonce = (@as(u96, nonce_hi) << 64) | nonce_lo,
        .plain = plain,
        .slots = slots,
        .ct = ct,
        .ents = ents,
        .failed = &failed,
    }, n, threads, min_nodes_per_thread);
    if (@atomicLoad(u32, &failed, .acquire) != 0) return 0;
    return n;
}

// -- one message, and key derivation ---------------------------------------------------

/// AES-256-GCM of one message of any length (the sefs superblock): seals
/// `m[0..n]` into `ct[0..n]` and `tag`, with `aes` as for the nodes. Returns
/// 0, or -1 if the library could not.
export fn pyocclum_gcm_seal(aes: ?*const Aes, key: *const [32]u8, nonce: *const [12]u8, ad: [*]const u8, ad_len: usize, m: [*]const u8, n: usize, ct: [*]u8, tag: *[16]u8) c_int {
    var g = Gcm.init(aes, key, true);
    defer g.deinit();
    if (!g.ok or !g.seal(ct[0..n], tag, m[0..n], ad[0..ad_len], nonce.*)) return -1;
    return 0;
}

/// Opens what `pyocclum_gcm_seal` sealed: 0 and `m[0..n]` if it authenticates,
/// 1 if it does not (or the library failed: the same to the caller, who then
/// must not use `m`).
export fn pyocclum_gcm_open(aes: ?*const Aes, key: *const [32]u8, nonce: *const [12]u8, ad: [*]const u8, ad_len: usize, ct: [*]const u8, n: usize, tag: *const [16]u8, m: [*]u8) c_int {
    var g = Gcm.init(aes, key, false);
    defer g.deinit();
    if (!g.ok or !g.open(m[0..n], ct[0..n], tag.*, ad[0..ad_len], nonce.*)) {
        @memset(m[0..n], 0);
        return 1;
    }
    return 0;
}

/// HKDF-SHA256 (RFC 5869, zig's std.crypto.kdf.hkdf) with no salt: `out_len`
/// (at most 255 * 32) bytes of `ikm` for `info`. Returns 0, or -1 if too long.
export fn pyocclum_hkdf_sha256(ikm: [*]const u8, ikm_len: usize, info: [*]const u8, info_len: usize, out: [*]u8, out_len: usize) c_int {
    const Hkdf = std.crypto.kdf.hkdf.HkdfSha256;
    if (out_len > 255 * Hkdf.prk_length) return -1;
    const prk = Hkdf.extract("", ikm[0..ikm_len]);
    Hkdf.expand(out[0..out_len], info[0..info_len], prk);
    return 0;
}
