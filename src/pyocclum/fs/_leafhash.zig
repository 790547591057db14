//! Hashes for the integrity image (see integrityfs.py and _leafhash.py):
//!
//! * `pyocclum_leafhash`: for each consecutive 4096-byte block of `data`
//!   (the last one may be short), the leaf SHA-256(0x00 || block), written
//!   to `out` (32 bytes per block, in order);
//! * `pyocclum_read_leafhash`: the same for bytes it first `pread`s from a
//!   file descriptor into the caller's buffer;
//! * `pyocclum_merkle_level`: one level of inner nodes,
//!   SHA-256(0x01 || left || right), an odd last node copied unchanged.
//!
//! Built and loaded by _leafhash.py through ctypes, which releases the GIL
//! for the whole call. SHA-256 is zig's std.crypto.hash.sha2.Sha256 (SHA-NI
//! on x86_64 when built for a CPU that has it, which -mcpu=native gives).
//!
//! Big calls are split over up to `threads` threads: the caller takes the
//! first share and a small pool of worker threads (started on first use,
//! kept waiting on a condition variable, reset in a child after fork) the
//! others. A call that finds the pool busy (another thread's call) spawns
//! threads for itself instead; a share whose thread cannot be started is
//! done by the caller. Every call returns only when all of its work is done.

const std = @import("std");
const Sha256 = std.crypto.hash.sha2.Sha256;
const pc = std.c;

const block_size: usize = 4096;
const digest_size: usize = Sha256.digest_length;
const max_threads: usize = 16;
const stack_size: usize = 64 * 1024;

/// Bumped whenever the exported functions change; _leafhash.py checks it.
export fn pyocclum_leafhash_abi() u32 {
    return 3;
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
    if (runPooled(Wrap.run, &ctx, n, t)) return;
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

const Task = struct { run: Erased, ctx: *const anyopaque, n: usize, t: usize };

/// Held by the one call that uses the workers (others spawn their own threads).
var pool_lock: pc.pthread_mutex_t = .{};
/// Guards everything below.
var state_lock: pc.pthread_mutex_t = .{};
var wake: pc.pthread_cond_t = .{};
var done: pc.pthread_cond_t = .{};
var task: Task = undefined;
var generation: u64 = 0;
var pending: usize = 0;
var workers: usize = 0;
var atfork_registered = false;

/// In a child after fork only the forking thread exists: forget the workers
/// and reset the locks (another thread may have held them).
fn resetInChild() callconv(.c) void {
    pool_lock = .{};
    state_lock = .{};
    wake = .{};
    done = .{};
    pending = 0;
    workers = 0;
}

/// Worker `k` (1-based): runs share `k` of each new task that has more than
/// `k` shares.
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
        const my = task;
        if (k < my.t) {
            _ = pc.pthread_mutex_unlock(&state_lock);
            my.run(my.ctx, my.n * k / my.t, my.n * (k + 1) / my.t);
            _ = pc.pthread_mutex_lock(&state_lock);
            pending -= 1;
            if (pending == 0) _ = pc.pthread_cond_signal(&done);
        }
    }
}

/// Runs the task on the pool and the calling thread; false (nothing done)
/// if the pool is busy or unusable.
fn runPooled(run: Erased, ctx: *const anyopaque, n: usize, t_want: usize) bool {
    if (pc.pthread_mutex_trylock(&pool_lock) != .SUCCESS) return false;
    defer _ = pc.pthread_mutex_unlock(&pool_lock);
    if (!atfork_registered) {
        // Before the first worker exists, so that no child can inherit one
        // without the reset.
        if (pc.pthread_atfork(null, null, resetInChild) != 0) return false;
        atfork_registered = true;
    }
    _ = pc.pthread_mutex_lock(&state_lock);
    while (workers + 1 < t_want) {
        const th = std.Thread.spawn(.{ .stack_size = stack_size }, workerMain, .{ workers + 1, generation }) catch break;
        th.detach();
        workers += 1;
    }
    const t = @min(t_want, workers + 1);
    task = .{ .run = run, .ctx = ctx, .n = n, .t = t };
    pending = t - 1;
    generation += 1;
    _ = pc.pthread_cond_broadcast(&wake);
    _ = pc.pthread_mutex_unlock(&state_lock);
    run(ctx, 0, n / t);
    _ = pc.pthread_mutex_lock(&state_lock);
    while (pending > 0) _ = pc.pthread_cond_wait(&done, &state_lock);
    _ = pc.pthread_mutex_unlock(&state_lock);
    return true;
}

// -- leaves -------------------------------------------------------------------------

const Leaves = struct { data: [*]const u8, len: usize, out: [*]u8 };

fn leafRange(c: Leaves, first: usize, last: usize) void {
    const prefix = [1]u8{0};
    var i = first;
    while (i < last) : (i += 1) {
        const start = i * block_size;
        const end = @min(start + block_size, c.len);
        var h = Sha256.init(.{});
        h.update(&prefix);
        h.update(c.data[start..end]);
        h.final(c.out[i * digest_size ..][0..digest_size]);
    }
}

/// Leaf i = SHA-256(0x00 || block i) for every block of `data[0..len]`,
/// into `out`, which must hold ceil(len / 4096) * 32 bytes. Returns the
/// number of blocks.
export fn pyocclum_leafhash(data: [*]const u8, len: usize, out: [*]u8, threads: usize) usize {
    const n = (len + block_size - 1) / block_size;
    if (n > 0) split(leafRange, Leaves{ .data = data, .len = len, .out = out }, n, threads, 16);
    return n;
}

const ReadJob = struct {
    fd: c_int,
    offset: u64,
    len: usize,
    buf: [*]u8,
    out: [*]u8,
    /// First errno seen (0: none).
    err: *i32,
    /// Lowest byte position that could not be read (len: all read).
    short: *usize,
};

fn readRange(c: ReadJob, first: usize, last: usize) void {
    const start = first * block_size;
    const end = @min(last * block_size, c.len);
    var pos = start;
    while (pos < end) {
        const rc = pc.pread(c.fd, c.buf + pos, end - pos, @intCast(c.offset + pos));
        if (rc > 0) {
            pos += @intCast(rc);
        } else if (rc == 0) {
            _ = @atomicRmw(usize, c.short, .Min, pos, .monotonic);
            return;
        } else {
            const e = pc._errno().*;
            if (e == @intFromEnum(pc.E.INTR)) continue;
            _ = @cmpxchgStrong(i32, c.err, 0, if (e != 0) e else @intFromEnum(pc.E.IO), .monotonic, .monotonic);
            return;
        }
    }
    leafRange(Leaves{ .data = c.buf, .len = c.len, .out = c.out }, first, last);
}

/// Reads `len` bytes at `offset` of `fd` into `buf` and hashes their blocks
/// into `out` like pyocclum_leafhash, each thread reading then hashing its
/// own share (so the copy from the page cache is spread over the threads
/// too, and each thread hashes what is in its cache). Returns `len` when
/// everything was read and hashed; else minus the first errno seen, or the
/// lowest position where the file ended early (`out` is then meaningless).
export fn pyocclum_read_leafhash(fd: c_int, offset: u64, len: usize, buf: [*]u8, out: [*]u8, threads: usize) isize {
    const n = (len + block_size - 1) / block_size;
    var err: i32 = 0;
    var short: usize = len;
    if (n > 0) split(readRange, ReadJob{
        .fd = fd,
        .offset = offset,
        .len = len,
        .buf = buf,
        .out = out,
        .err = &err,
        .short = &short,
    }, n, threads, 16);
    if (@atomicLoad(i32, &err, .acquire) != 0) return -@as(isize, err);
    return @intCast(@atomicLoad(usize, &short, .acquire));
}

// -- inner nodes --------------------------------------------------------------------

const Level = struct { nodes: [*]const u8, out: [*]u8 };

fn pairRange(c: Level, first: usize, last: usize) void {
    const prefix = [1]u8{1};
    var i = first;
    while (i < last) : (i += 1) {
        var h = Sha256.init(.{});
        h.update(&prefix);
        h.update(c.nodes[i * 2 * digest_size ..][0 .. 2 * digest_size]);
        h.final(c.out[i * digest_size ..][0..digest_size]);
    }
}

/// One Merkle level up: the `n` 32-byte nodes at `nodes` give ceil(n / 2)
/// nodes at `out`: SHA-256(0x01 || left || right) for each pair, and an odd
/// last node copied unchanged. Returns the number of nodes written.
export fn pyocclum_merkle_level(nodes: [*]const u8, n: usize, out: [*]u8, threads: usize) usize {
    const pairs = n / 2;
    if (pairs > 0) split(pairRange, Level{ .nodes = nodes, .out = out }, pairs, threads, 1024);
    if (n % 2 == 1) {
        @memcpy(out[pairs * digest_size ..][0..digest_size], nodes[(n - 1) * digest_size ..][0..digest_size]);
    }
    return pairs + n % 2;
}
