"""Binding the syscall table to a wasmtime ``Linker``: the one syscall dispatcher.

Each import becomes a raw ("unchecked") host function: wasmtime hands us the
parameter array, we decode slots with :class:`GuestMemory`, call the handler
with plain values, write its results back and return the errno. Errors:

* ``KernelError`` -> its errno, nothing written;
* ``ProcessExit`` -> the status is recorded on the process, and a trap unwinds it;
* anything else is a kernel bug: logged with its traceback, and only the
  calling process is killed (SIGKILL), never the LibOS.

We bypass wasmtime-py's ``define_func`` on purpose: its trampoline keeps the
last Python exception in one module-wide variable (a race between processes
on different threads) and converts every value through ``Val`` objects.
"""

from __future__ import annotations

import ctypes
import struct
import sys
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from pyocclum import _log
from pyocclum.abi import wasi
from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal, wait_status_signaled
from pyocclum.errors import KernelError, ProcessExec, ProcessExit
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process, this_thread
from pyocclum.kernel.threads import ThreadExit
from pyocclum.syscalls.spec import Kind, Slot, Syscall, resolved
from pyocclum.wasm.codecache import DispatchCodes
from pyocclum.wasm.exports import export
from pyocclum.wasm.memory import GuestMemory
from pyocclum.wasm.native_calls import NativeCalls
from pyocclum.wasm.signals import run_handlers

log = _log.getLogger("pyocclum.syscall")

_VAL_TYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}
# As wasmtime's unchecked callback type, but the caller and the parameter array
# arrive as plain integers: not building pointer objects saves time on every syscall.
_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
)
#: The whole address space as one buffer, read and written only at the parameter
#: array wasmtime hands each call (``wasmtime_val_raw_t``: 16 bytes per value, an
#: i32 or i64 in its low bytes; the first also takes the result): one struct
#: unpack reads every parameter, where indexing a ctypes array costs about 0.2 us
#: per value. Its address changes from call to call, so no narrower view would do.
_HOST = memoryview((ctypes.c_char * sys.maxsize).from_address(0)).cast("B")
_VAL_SIZE = ctypes.sizeof(ffi.wasmtime_val_raw_t)
_RESULT = struct.Struct("<I")
_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()  # a null function pointer
#: Longest string argument accepted (paths): more is ENAMETOOLONG.
MAX_STR = 1 << 16
#: Largest buffer a single call may fill.
MAX_BUF = 0x7FFFF000


class ProcessRuntime:
    """What the executor keeps per running process."""

    __slots__ = ("epoch_check", "instance", "memory", "store")

    def __init__(self, store: wasmtime.Store, instance: wasmtime.Instance) -> None:
        self.store = store
        self.instance = instance
        self.epoch_check: Any = None
        exported = export(store, instance, "memory")
        if not isinstance(exported, wasmtime.Memory):
            raise KernelError(Errno.ENOEXEC, "module exports no memory")
        self.memory = GuestMemory(store, exported)


def _trap(message: str) -> int:
    raw = message.encode()
    trap = ffi.wasmtime_trap_new(ctypes.create_string_buffer(raw), len(raw))
    value = ctypes.cast(trap, ctypes.c_void_p).value
    assert value is not None
    return value


def _decode_str(mem: GuestMemory, ptr: int, n: int) -> str:
    if n > MAX_STR:
        raise KernelError(Errno.ENAMETOOLONG, f"string of {n} bytes")
    try:
        return mem.read(ptr, n).decode("utf-8")
    except UnicodeDecodeError:
        raise KernelError(Errno.EILSEQ, "string is not UTF-8") from None


def _format_arg(slot: Slot, value: Any) -> str:
    if slot.kind in (Kind.IOV_IN, Kind.BYTES):
        shown = bytes(value[:32])
        return f"{slot.name}={shown!r}{'...' if len(value) > 32 else ''}({len(value)})"
    if slot.kind in (Kind.IOV_OUT, Kind.BUF_OUT):
        return f"{slot.name}=<{value} bytes>"
    if slot.kind is Kind.POLL:
        return f"{slot.name}=<{len(value)} subscriptions>"
    if slot.fmt is not None:
        return f"{slot.name}={slot.fmt(value)}"
    if slot.kind is Kind.STR:
        return f"{slot.name}={value!r}"
    return f"{slot.name}={value}"


def _format_result(value: Any) -> str:
    if value is None:
        return "0"
    if isinstance(value, bytes):
        shown = value[:32]
        return f"{shown!r}{'...' if len(value) > 32 else ''}({len(value)})"
    if isinstance(value, list):
        return f"[{len(value)} items]"
    if isinstance(value, tuple):
        names = getattr(value, "_fields", None)  # a record (NamedTuple): with its field names
        if names is not None:
            fields = (f"{n}={_format_result(v)}" for n, v in zip(names, value, strict=True))
            return "{" + ", ".join(fields) + "}"
        return "(" + ", ".join(_format_result(v) for v in value) + ")"
    if isinstance(value, int):
        return str(int(value))  # plain numbers, not enum reprs
    return repr(value)


class Binder:
    """Defines syscalls of a table in a linker, dispatching to the kernel.

    Functions are defined on demand, when a module that imports them is first
    linked (:meth:`define_imports`): generating a dispatcher costs about half a
    millisecond, and a typical program imports a handful of the table's calls.
    """

    def __init__(
        self, kernel: Kernel, linker: wasmtime.Linker, table: list[Syscall],
        codes: DispatchCodes | None = None,
    ) -> None:
        self.kernel = kernel
        self.linker = linker
        #: The dispatchers' code objects by (source, file name): compiling one
        #: costs 0.2-0.5 ms, so a code cache keeps them from run to run.
        self.codes: DispatchCodes = {} if codes is None else codes
        #: Whether :attr:`codes` gained entries since the owner last saved them.
        self.new_codes = False
        self._table = {(sc.module, sc.name): sc for sc in table}
        self._defined: set[tuple[str, str]] = set()
        # The ctypes callbacks must outlive the linker: keep them here.
        self._callbacks: list[Any] = []
        self._native = NativeCalls(kernel)  # the calls served without Python

    def define_imports(self, module: wasmtime.Module) -> None:
        """Define every function ``module`` imports that the table has.

        Imports the table lacks stay undefined, so linking fails with a
        message naming them. Not thread-safe: callers serialize.
        """
        for imp in module.imports:
            key = (imp.module, imp.name or "")
            sc = self._table.get(key)
            if sc is not None and key not in self._defined:
                self.define(sc)
                self._defined.add(key)

    def define(self, sc: Syscall) -> None:
        sc = resolved(sc)  # a lazy handler's object is made now: dispatchers call it directly
        params = [_VAL_TYPES[t]() for t in sc.wasm_params]
        results = [] if sc.returns == "none" else [wasmtime.ValType.i32()]
        ty = wasmtime.FuncType(params, results)
        callback = _CALLBACK(self._make(sc))
        self._callbacks.append(callback)
        func, env = self._native.route(sc, callback)
        module, name = sc.module.encode(), sc.name.encode()
        err = ffi.wasmtime_linker_define_func_unchecked(
            self.linker.ptr(),
            ctypes.create_string_buffer(module), len(module),
            ctypes.create_string_buffer(name), len(name),
            ty.ptr(), func, env, _NO_FINALIZER,
        )
        if err:
            raise wasmtime.WasmtimeError._from_ptr(err)

    def _make(self, sc: Syscall) -> Callable[[Any, Any, Any, int], int]:
        """Generate the dispatcher of one syscall from its slots.

        The code is generated (as ``dataclasses`` and ``namedtuple`` do) so that
        each syscall decodes exactly its own parameters with no per-call
        interpretation of the table: this is the hottest path in the LibOS.
        """
        source, names = _dispatch_source(sc, traced=self.kernel.strace is not None)
        namespace: dict[str, Any] = {
            **names,
            "this_thread": this_thread,
            "kernel": self.kernel,
            "handler": sc.handler,
            "layout": _layout(sc),
            "name": sc.name,
            "KernelError": KernelError,
            "ProcessExit": ProcessExit,
            "ProcessExec": ProcessExec,
            "ThreadExit": ThreadExit,
            "_exit_group": _exit_group,
            "_signals": _signals,
            "_trace": _trace,
            "_trap": _trap,
            "_bug": _bug,
        }
        key = (source, f"<dispatch {sc.module}.{sc.name}>")
        code = self.codes.get(key)
        if code is None:
            code = self.codes[key] = compile(source, key[1], "exec")
            self.new_codes = True
        exec(code, namespace)
        dispatch: Callable[[Any, Any, Any, int], int] = namespace["dispatch"]
        return dispatch


def _params(types: tuple[str, ...]) -> struct.Struct:
    """Every parameter of a call from its ``wasmtime_val_raw_t`` array, unsigned:
    an i32 from the low 4 bytes of its value, an i64 from the low 8."""
    pad = _VAL_SIZE
    return struct.Struct("<" + "".join(f"Q{pad - 8}x" if t == "i64" else f"I{pad - 4}x"
                                       for t in types))


def _layout(sc: Syscall) -> list[tuple[Slot, int]]:
    """Each slot with the index of its first wasm parameter."""
    out = []
    idx = 0
    for slot in sc.slots:
        out.append((slot, idx))
        idx += slot.wasm_params
    return out


def _dispatch_source(sc: Syscall, traced: bool) -> tuple[str, dict[str, Any]]:
    """Python source of ``dispatch(env, caller, args, nargs)`` for ``sc``, and the
    names it needs besides the common ones. With ``traced``, every call is
    reported to the kernel's strace sink; without, no tracing code is generated."""
    names: dict[str, Any] = {
        "_HOST": _HOST, "_RESULT": _RESULT,
        "_decode_str": _decode_str, "_decode_poll": _decode_poll, "MAX_BUF": MAX_BUF,
        "_read_str_array": _read_str_array, "_read_array": _read_array,
        "_write_str_array": _write_str_array, "_write_events": _write_events,
        "EVENT_SIZE": wasi.EVENT.size,
        "pack_u32": wasi.U32.pack_into, "pack_u64": wasi.U64.pack_into,
    }
    pre: list[str] = []  # decode inputs, check outputs
    post: list[str] = []  # write results
    inputs: list[str] = []
    if sc.wasm_params:
        names["params"] = _params(sc.wasm_params)
        regs = "".join(f"r{k}, " for k in range(len(sc.wasm_params)))
        pre.append(f"{regs}= params.unpack_from(_HOST, args)")
    results = [f"v{n}" for n in range(len(sc.result_slots))]
    ri = 0  # next result value
    for n, (slot, i) in enumerate(_layout(sc)):
        kind = slot.kind
        a, b = f"r{i}", f"r{i + 1}"
        if kind is Kind.U32 or kind is Kind.U64:
            inputs.append(a)
        elif kind is Kind.S32:
            pre.append(f"s{n} = {a} - 0x100000000 if {a} >= 0x80000000 else {a}")
            inputs.append(f"s{n}")
        elif kind is Kind.STR_ARRAY:
            pre.append(f"s{n} = _read_str_array(mem, {a}, {b})")
            inputs.append(f"s{n}")
        elif kind is Kind.ARRAY_IN:
            assert slot.layout is not None
            names[f"layout{n}"] = slot.layout
            names[f"strings{n}"] = slot.strings
            pre.append(f"s{n} = _read_array(mem, {a}, {b}, layout{n}, strings{n})")
            inputs.append(f"s{n}")
        elif kind is Kind.STRUCT_IN:
            assert slot.layout is not None
            names[f"layout{n}"] = slot.layout
            pre.append(
                f"s{n} = layout{n}.unpack(mem.read({a}, {slot.layout.size})) if {a} else None"
            )
            inputs.append(f"s{n}")
        elif kind is Kind.OUT_STRUCT_OPT:
            assert slot.layout is not None
            names[f"layout{n}"] = slot.layout
            pre.append(f"if {a}: mem.check({a}, {slot.layout.size})")
            post.append(f"if {a}: mem.write({a}, layout{n}.pack(*{results[ri]}))")
            ri += 1
        elif kind is Kind.S64:
            pre.append(f"s{n} = {a} - 0x10000000000000000 if {a} >= 0x8000000000000000 else {a}")
            inputs.append(f"s{n}")
        elif kind is Kind.IOV_IN:
            pre.append(f"s{n} = mem.gather(mem.iovecs({a}, {b}))")
            inputs.append(f"s{n}")
        elif kind is Kind.STR:
            pre.append(f"s{n} = _decode_str(mem, {a}, {b})")
            inputs.append(f"s{n}")
        elif kind is Kind.BYTES:
            pre.append(f"s{n} = mem.read({a}, {b})")
            inputs.append(f"s{n}")
        elif kind is Kind.IOV_OUT:
            pre.append(f"w{n} = mem.iovecs({a}, {b})")
            pre.append(f"s{n} = w{n}[0][1] if len(w{n}) == 1 else sum([m for _, m in w{n}])")
            inputs.append(f"s{n}")
            post.append(f"mem.scatter(w{n}, {results[ri]}); last = len({results[ri]})")
            ri += 1
        elif kind is Kind.BUF_OUT:
            pre.append(f"s{n} = min({b}, MAX_BUF)")
            pre.append(_check(a, f"s{n}"))
            inputs.append(f"s{n}")
            post.append(f"mem.write({a}, {results[ri]}); last = len({results[ri]})")
            ri += 1
        elif kind is Kind.OUT_LEN:
            pre.append(_check(a, "4"))
            post.append(f"pack_u32(mem.view, {a}, last)")
        elif kind is Kind.OUT_U32:
            pre.append(_check(a, "4"))
            post.append(f"pack_u32(mem.view, {a}, {results[ri]})")
            ri += 1
        elif kind is Kind.OUT_U64:
            pre.append(_check(a, "8"))
            post.append(f"pack_u64(mem.view, {a}, {results[ri]})")
            ri += 1
        elif kind is Kind.OUT_STRUCT:
            assert slot.layout is not None
            names[f"layout{n}"] = slot.layout
            pre.append(_check(a, str(slot.layout.size)))
            post.append(f"mem.write({a}, layout{n}.pack(*{results[ri]}))")
            ri += 1
        elif kind is Kind.OUT_STR_ARRAY:
            post.append(f"_write_str_array(mem, ({a}, {b}), {results[ri]})")
            ri += 1
        elif kind is Kind.POLL:
            c, d = f"r{i + 2}", f"r{i + 3}"
            pre.append(f"s{n} = _decode_poll(mem, {a}, {c})")
            pre.append(f"mem.check({b}, EVENT_SIZE * {c})")
            pre.append(f"mem.check({d}, 4)")
            inputs.append(f"s{n}")
            post.append(f"_write_events(mem, ({b}, {d}), {results[ri]})")
            ri += 1
        else:
            raise AssertionError(kind)
    if len(results) == 1:
        unpack = f"{results[0]} = result"
    elif results:
        unpack = f"{', '.join(results)} = result"
    else:
        unpack = ""
    ret = {
        "errno": "_RESULT.pack_into(_HOST, args, 0)",
        "value": "_RESULT.pack_into(_HOST, args, int(result) & 0xFFFFFFFF)",
        "none": "",
    }[sc.returns]
    tup = "(" + "".join(f"{x}, " for x in inputs) + ")"
    body = [
        "try:",
        *[f"    {line}" for line in pre],
        *([f"    inputs = {tup}"] if traced else []),
        f"    result = handler(proc, {', '.join(inputs)})",
        *([f"    {unpack}"] if unpack else []),
        *[f"    {line}" for line in post],
        *([f"    {ret}"] if ret else []),
        *(["    _trace(kernel, proc, name, layout, inputs, result, None)"] if traced else []),
        *SIGNAL_CHECK,
        "    return 0",
        "except KernelError as e:",
        *(["    _trace(kernel, proc, name, layout, inputs, None, e)"] if traced else []),
        "    _RESULT.pack_into(_HOST, args, int(e.errno))",
        *SIGNAL_CHECK,
        "    return 0",
        "except ProcessExit as e:",
        *(["    _trace(kernel, proc, name, layout, inputs, 'exit', None)"] if traced else []),
        "    _exit_group(kernel, proc, e.status)",
        "    return _trap('process exit')",
        "except ThreadExit:",
        "    return _trap('thread exit')",
        "except ProcessExec:",
        "    return _trap('exec')",
        "except Exception:",
        "    return _bug(kernel, proc, name)",
    ]
    source = "def dispatch(env, caller, args, nargs):\n"
    source += "    proc = this_thread.process\n    mem = proc.runtime.memory\n"
    if traced:
        source += "    inputs = ()\n"
    if any(slot.kind is Kind.OUT_LEN for slot in sc.slots):
        source += "    last = 0\n"
    source += "".join(f"    {line}\n" for line in body)
    return source, names


# At the end of every syscall: run handlers of signals that arrived, or die.
SIGNAL_CHECK = [
    "    if proc.kill_status is not None or proc.sig.pending & ~proc.sig.blocked:",
    "        return _signals(proc)",
]


def _exit_group(kernel: Kernel, proc: Process, status: int) -> None:
    """``exit`` in any thread ends the whole process: record the status, and
    make the other threads stop wherever they are (as a fatal signal would)."""
    proc.finish(status)
    _stop_other_threads(kernel, proc, status)


def _stop_other_threads(kernel: Kernel, proc: Process, status: int) -> None:
    """Make every other thread of ``proc`` stop wherever it is, as a fatal signal
    would (running or blocked in a wait): the process ends with ``status``."""
    if len(proc.threads) > 1:
        with proc.lock:
            if proc.kill_status is None:
                proc.kill_status = status
        kernel.executor.interrupt(proc)
        proc.wake()


def _signals(proc: Process) -> int:
    """Deliver pending signals at a syscall boundary; a trap if the process must stop."""
    thread = getattr(this_thread, "thread", None)
    if thread is not None and thread.stop:  # another thread is replacing the program (execve)
        return _trap("thread stopped")
    try:
        if proc.kill_status is None:
            run_handlers(proc)
    except ProcessExit as e:
        proc.finish(e.status)
        return _trap("process exit")
    except ProcessExec:
        return _trap("exec")
    if proc.kill_status is not None:
        proc.finish(proc.kill_status)
        return _trap("killed by a signal")
    return 0


def _check(ptr: str, size: str) -> str:
    """Bounds check, inline in the common case (the memory view is big enough)."""
    return f"if {ptr} + {size} > mem.size: mem.check({ptr}, {size})"


def _bug(kernel: Kernel, proc: Process, name: str) -> int:
    """A handler raised something other than KernelError: kill only the calling
    process, with all of its threads (the others must not run on, or wait
    forever, in a process that has ended)."""
    import traceback  # only here: start-up does not pay for it

    kernel.log_bug(proc, f"{name}: {traceback.format_exc()}")
    status = wait_status_signaled(Signal.SIGKILL)
    proc.finish(status, f"killed: kernel error in {name}")
    _stop_other_threads(kernel, proc, status)
    return _trap("kernel bug")


def _decode_poll(mem: GuestMemory, ptr: int, count: int) -> list[tuple[int, int, bytes]]:
    if count > 4096:
        raise KernelError(Errno.EINVAL, "too many subscriptions")
    blob = mem.read(ptr, wasi.SUBSCRIPTION.size * count)
    return [
        (userdata, tag, body)
        for userdata, tag, body in wasi.SUBSCRIPTION.iter_unpack(blob)
    ]


#: Limits on argv/envp, as Linux's MAX_ARG_STRLEN and a bound on the total.
MAX_ARG_STRLEN = 128 * 1024
MAX_ARGS_TOTAL = 2 * 1024 * 1024
MAX_ARRAY = 4096


def _read_str_array(mem: GuestMemory, ptr: int, count: int) -> list[bytes]:
    """An array of ``count`` pointers to NUL-terminated strings (argv, envp)."""
    if count > MAX_ARGS_TOTAL // 4:
        raise KernelError(Errno.E2BIG, "too many arguments")
    mem.check(ptr, 4 * count)
    out = []
    total = 0
    for (sp,) in wasi.U32.iter_unpack(mem.view[ptr : ptr + 4 * count]):
        s = _read_cstring(mem, sp)
        total += len(s) + 1
        if total > MAX_ARGS_TOTAL:
            raise KernelError(Errno.E2BIG, "argument list too long")
        out.append(s)
    return out


def _read_cstring(mem: GuestMemory, ptr: int) -> bytes:
    """A NUL-terminated string at ``ptr``, looked for in growing pieces (most are short)."""
    piece = 256
    start = ptr
    while True:
        mem.check(start, 1)
        end = min(mem.size, start + piece)
        found = bytes(mem.view[start:end]).find(b"\0")
        if found >= 0:
            length = start - ptr + found
            if length > MAX_ARG_STRLEN:
                break
            return bytes(mem.view[ptr : ptr + length])
        if end >= mem.size:
            # The memory may have grown since the view was mapped: check remaps it.
            try:
                mem.check(end, 1)
            except KernelError:
                raise KernelError(
                    Errno.EFAULT, "unterminated string at the end of memory"
                ) from None
        start = end
        piece *= 4
        if start - ptr > MAX_ARG_STRLEN:
            break
    raise KernelError(Errno.E2BIG, f"argument string longer than {MAX_ARG_STRLEN} bytes")


def _read_array(
    mem: GuestMemory, ptr: int, count: int, layout: Any, strings: tuple[int, ...]
) -> list[tuple[Any, ...]]:
    """``count`` records; each (pointer, length) pair named in ``strings`` is read as a str."""
    if count > MAX_ARRAY:
        raise KernelError(Errno.EINVAL, f"more than {MAX_ARRAY} records")
    records = list(layout.iter_unpack(mem.read(ptr, layout.size * count)))
    if not strings:
        return records
    out = []
    for rec in records:
        fields = list(rec)
        for at in sorted(strings, reverse=True):
            sp, length = fields[at], fields[at + 1]
            fields[at : at + 2] = [_decode_str(mem, sp, length) if length else ""]
        out.append(tuple(fields))
    return out


def _write_str_array(mem: GuestMemory, where: tuple[int, int], value: list[bytes]) -> None:
    """args_get / environ_get: pointers into ``argv``, NUL-terminated strings into ``buf``."""
    argv, buf = where
    mem.check(argv, 4 * len(value))
    mem.check(buf, sum(len(s) + 1 for s in value))
    for s in value:
        mem.set_u32(argv, buf)
        mem.write(buf, s + b"\0")
        argv += 4
        buf += len(s) + 1


def _write_events(mem: GuestMemory, where: tuple[int, int], value: list[tuple[int, ...]]) -> None:
    out, nevents_ptr = where
    for ev in value:
        mem.write(out, wasi.EVENT.pack(*ev))
        out += wasi.EVENT.size
    mem.set_u32(nevents_ptr, len(value))


def _trace(
    kernel: Kernel,
    proc: Process,
    name: str,
    layout: list[tuple[Slot, int]],
    inputs: list[Any],
    result: Any,
    error: KernelError | None,
) -> None:
    sink = kernel.strace
    if sink is None:
        return
    shown = []
    it = iter(inputs)
    for slot, _ in layout:
        if slot.is_input:
            try:
                shown.append(_format_arg(slot, next(it)))
            except StopIteration:
                shown.append(f"{slot.name}=?")
    if error is not None:
        outcome = f"-1 {error.errno.name}" + (f" ({error.msg})" if error.msg else "")
    else:
        outcome = _format_result(result)
    sink(f"[{proc.pid}] {name}({', '.join(shown)}) = {outcome}")
