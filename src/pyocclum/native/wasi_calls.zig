//! WASI calls that need no kernel state, served without Python (see
//! wasm/native_calls.py, which registers them with wasmtime's C API):
//!
//! * `clock_time_get` of CLOCK_REALTIME and CLOCK_MONOTONIC;
//! * `clock_res_get` of the four WASI clocks (1 ns, as the Python kernel says);
//! * `random_get` (getrandom(2), as Python's os.urandom);
//! * `sched_yield`.
//!
//! Each is a wasmtime "unchecked" host function: `env` points at the
//! Python dispatcher of the same call (a `Fallback`), which each of them
//! calls for whatever it does not serve itself: another clock, an address
//! outside the caller's memory, a host error, a memory it cannot find.
//! So the errors (EINVAL, EFAULT...) and every unusual case stay exactly the
//! Python kernel's, and the native path is only ever the common success.
//!
//! The caller's memory is its export "memory" (a plain memory, or a shared
//! one in a program with threads), looked up at each call through the
//! function pointers the Python side hands `pyocclum_wasi_init` (wasmtime's
//! own C API, from the library wasmtime-py loaded: this library does not link
//! against it).

const std = @import("std");

/// `wasmtime_val_raw_t`: 16 bytes, an i32 or i64 in its low bytes; the
/// first also takes the result (the errno).
const ValRaw = extern struct { lo: u64, hi: u64 };

/// `wasmtime_extern_t`: a kind byte, then the union at offset 8 (checked by
/// the Python side against wasmtime-py's own layout before init).
const Extern = extern struct { kind: u8, of: [24]u8 align(8) };

const Callback = *const fn (env: ?*anyopaque, caller: ?*anyopaque, args: [*]ValRaw, nargs: usize) callconv(.c) ?*anyopaque;

/// What `env` points at: the Python dispatcher of the same call.
const Fallback = extern struct { func: Callback, env: ?*anyopaque };

/// wasmtime's C API functions used here, in this order, then the kinds.
const Api = extern struct {
    caller_export_get: *const fn (?*anyopaque, [*]const u8, usize, *Extern) callconv(.c) bool,
    caller_context: *const fn (?*anyopaque) callconv(.c) ?*anyopaque,
    memory_data: *const fn (?*anyopaque, *const anyopaque) callconv(.c) [*]u8,
    memory_data_size: *const fn (?*anyopaque, *const anyopaque) callconv(.c) usize,
    sharedmemory_data: *const fn (*const anyopaque) callconv(.c) [*]u8,
    sharedmemory_data_size: *const fn (*const anyopaque) callconv(.c) usize,
    extern_delete: *const fn (*Extern) callconv(.c) void,
    kind_memory: u64,
    kind_sharedmemory: u64,
};

var api: Api = undefined;

/// Keeps `table` (copied) for every later call; returns the library's ABI.
export fn pyocclum_wasi_init(table: *const Api) u32 {
    api = table.*;
    return abi_version;
}

pub const abi_version: u32 = 9;

const Timespec = extern struct { sec: c_long, nsec: c_long };
extern "c" fn clock_gettime(clock: c_int, ts: *Timespec) c_int;
extern "c" fn getrandom(buf: [*]u8, len: usize, flags: c_uint) isize;
extern "c" fn sched_yield() c_int;
extern "c" fn __errno_location() *c_int;

const EINTR: c_int = 4;
const CLOCK_REALTIME: c_int = 0;
const CLOCK_MONOTONIC: c_int = 1;
/// WASI's clocks: REALTIME, MONOTONIC, PROCESS_CPUTIME_ID, THREAD_CPUTIME_ID.
const wasi_clocks: u32 = 4;
/// Most bytes one random_get fills (the Python kernel's _MAX_RANDOM).
const max_random: u64 = 1 << 20;

/// The caller's memory, for the length of one call.
const Memory = struct {
    data: [*]u8,
    size: usize,
    ext: Extern,
    shared: bool,

    fn find(caller: ?*anyopaque) ?Memory {
        var m: Memory = .{ .data = undefined, .size = 0, .ext = undefined, .shared = false };
        if (!api.caller_export_get(caller, "memory", 6, &m.ext)) return null;
        if (m.ext.kind == api.kind_memory) {
            const ctx = api.caller_context(caller);
            m.data = api.memory_data(ctx, &m.ext.of);
            m.size = api.memory_data_size(ctx, &m.ext.of);
            return m;
        }
        if (m.ext.kind == api.kind_sharedmemory) {
            // A pointer to a box the lookup made, freed by `release`.
            const shared: *const *const anyopaque = @ptrCast(&m.ext.of);
            m.data = api.sharedmemory_data(shared.*);
            m.size = api.sharedmemory_data_size(shared.*);
            m.shared = true;
            return m;
        }
        api.extern_delete(&m.ext);
        return null;
    }

    /// `len` bytes at `ptr`, if they lie in the memory.
    fn at(self: *const Memory, ptr: u64, len: u64) ?[*]u8 {
        if (ptr + len > self.size) return null;
        return self.data + @as(usize, @intCast(ptr));
    }

    fn release(self: *Memory) void {
        if (self.shared) api.extern_delete(&self.ext);
    }
};

fn fallback(env: ?*anyopaque, caller: ?*anyopaque, args: [*]ValRaw, nargs: usize) ?*anyopaque {
    const fb: *const Fallback = @ptrCast(@alignCast(env.?));
    return fb.func(fb.env, caller, args, nargs);
}

fn succeed(args: [*]ValRaw) ?*anyopaque {
    // The errno, 0, in the low 4 bytes of the first value (as the Python side).
    const low: *align(8) u32 = @ptrCast(&args[0].lo);
    low.* = 0;
    return null;
}

fn put64(dst: [*]u8, value: u64) void {
    std.mem.writeInt(u64, dst[0..8], value, .little);
}

/// clock_time_get(id: u32, precision: u64, time: *u64) -> errno.
export fn pyocclum_wasi_clock_time_get(env: ?*anyopaque, caller: ?*anyopaque, args: [*]ValRaw, nargs: usize) ?*anyopaque {
    const id: u32 = @truncate(args[0].lo);
    const ptr: u32 = @truncate(args[2].lo);
    const clock = switch (id) {
        0 => CLOCK_REALTIME,
        1 => CLOCK_MONOTONIC,
        else => return fallback(env, caller, args, nargs), // CPU-time clocks: the kernel's
    };
    var mem = Memory.find(caller) orelse return fallback(env, caller, args, nargs);
    defer mem.release();
    const dst = mem.at(ptr, 8) orelse return fallback(env, caller, args, nargs);
    var ts: Timespec = undefined;
    if (clock_gettime(clock, &ts) != 0) return fallback(env, caller, args, nargs);
    put64(dst, @as(u64, @intCast(ts.sec)) * 1_000_000_000 + @as(u64, @intCast(ts.nsec)));
    return succeed(args);
}

/// clock_res_get(id: u32, resolution: *u64) -> errno.
export fn pyocclum_wasi_clock_res_get(env: ?*anyopaque, caller: ?*anyopaque, args: [*]ValRaw, nargs: usize) ?*anyopaque {
    const id: u32 = @truncate(args[0].lo);
    const ptr: u32 = @truncate(args[1].lo);
    if (id >= wasi_clocks) return fallback(env, caller, args, nargs);
    var mem = Memory.find(caller) orelse return fallback(env, caller, args, nargs);
    defer mem.release();
    const dst = mem.at(ptr, 8) orelse return fallback(env, caller, args, nargs);
    put64(dst, 1);
    return succeed(args);
}

/// random_get(buf: *u8, len: u32) -> errno.
export fn pyocclum_wasi_random_get(env: ?*anyopaque, caller: ?*anyopaque, args: [*]ValRaw, nargs: usize) ?*anyopaque {
    const ptr: u32 = @truncate(args[0].lo);
    const len: u32 = @truncate(args[1].lo);
    if (len > max_random) return fallback(env, caller, args, nargs);
    var mem = Memory.find(caller) orelse return fallback(env, caller, args, nargs);
    defer mem.release();
    const dst = mem.at(ptr, len) orelse return fallback(env, caller, args, nargs);
    var got: usize = 0;
    while (got < len) {
        const n = getrandom(dst + got, len - got, 0);
        if (n < 0) {
            if (__errno_location().* == EINTR) continue;
            return fallback(env, caller, args, nargs);
        }
        got += @intCast(n);
    }
    return succeed(args);
}

/// sched_yield() -> errno.
export fn pyocclum_wasi_sched_yield(env: ?*anyopaque, caller: ?*anyopaque, args: [*]ValRaw, nargs: usize) ?*anyopaque {
    _ = env;
    _ = caller;
    _ = nargs;
    _ = sched_yield();
    return succeed(args);
}
