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
import logging
import traceback
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime import _ffi as ffi

from pyocclum.abi import wasi
from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal, wait_status_signaled
from pyocclum.errors import KernelError, ProcessExit
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process, current_process
from pyocclum.syscalls.spec import Kind, Slot, Syscall
from pyocclum.wasm.memory import GuestMemory

log = logging.getLogger("pyocclum.syscall")

_VAL_TYPES = {"i32": wasmtime.ValType.i32, "i64": wasmtime.ValType.i64}
_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()  # a null function pointer
#: Longest string argument accepted (paths): more is ENAMETOOLONG.
MAX_STR = 1 << 16
#: Largest buffer a single call may fill.
MAX_BUF = 0x7FFFF000


class ProcessRuntime:
    """What the executor keeps per running process."""

    __slots__ = ("instance", "memory", "store")

    def __init__(self, store: wasmtime.Store, instance: wasmtime.Instance) -> None:
        self.store = store
        self.instance = instance
        exported = instance.exports(store).get("memory")
        if not isinstance(exported, wasmtime.Memory):
            raise KernelError(Errno.ENOEXEC, "module exports no memory")
        self.memory = GuestMemory(store, exported)


def _trap(message: str) -> int:
    raw = message.encode()
    trap = ffi.wasmtime_trap_new(ctypes.create_string_buffer(raw), len(raw))
    value = ctypes.cast(trap, ctypes.c_void_p).value
    assert value is not None
    return value


# -- slot decoders: (memory, raw values, index) -> python value -------------------
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
        return "(" + ", ".join(_format_result(v) for v in value) + ")"
    if isinstance(value, int):
        return str(int(value))  # plain numbers, not enum reprs
    return repr(value)


class Binder:
    """Defines every syscall of a table in a linker, dispatching to the kernel."""

    def __init__(self, kernel: Kernel, linker: wasmtime.Linker) -> None:
        self.kernel = kernel
        self.linker = linker
        # The ctypes callbacks must outlive the linker: keep them here.
        self._callbacks: list[Any] = []

    def define_all(self, table: list[Syscall]) -> None:
        for sc in table:
            self.define(sc)

    def define(self, sc: Syscall) -> None:
        params = [_VAL_TYPES[t]() for t in sc.wasm_params]
        results = [] if sc.returns == "none" else [wasmtime.ValType.i32()]
        ty = wasmtime.FuncType(params, results)
        callback = ffi.wasmtime_func_unchecked_callback_t(self._make(sc))
        self._callbacks.append(callback)
        module, name = sc.module.encode(), sc.name.encode()
        err = ffi.wasmtime_linker_define_func_unchecked(
            self.linker.ptr(),
            ctypes.create_string_buffer(module), len(module),
            ctypes.create_string_buffer(name), len(name),
            ty.ptr(), callback, None, _NO_FINALIZER,
        )
        if err:
            raise wasmtime.WasmtimeError._from_ptr(err)

    def _make(self, sc: Syscall) -> Callable[[Any, Any, Any, int], int]:
        kernel = self.kernel
        handler = sc.handler
        slots = sc.slots
        returns = sc.returns
        name = sc.name
        # Where each slot's raw values sit in the parameter array, and their width.
        layout: list[tuple[Slot, int]] = []
        idx = 0
        for slot in slots:
            layout.append((slot, idx))
            idx += slot.wasm_params
        wide = [t == "i64" for t in sc.wasm_params]
        nparams = len(wide)
        result_slots = sc.result_slots
        single_result = len(result_slots) == 1

        def dispatch(env: Any, caller: Any, args: Any, nargs: int) -> int:
            proc = current_process()
            mem: GuestMemory = proc.runtime.memory
            raw = [args[i].i64 if wide[i] else args[i].i32 & 0xFFFFFFFF for i in range(nparams)]
            inputs: list[Any] = []
            try:
                # Decode inputs and check every output location before the call.
                pending: list[tuple[Slot, Any]] = []
                for slot, i in layout:
                    kind = slot.kind
                    if kind is Kind.U32 or kind is Kind.U64:
                        inputs.append(raw[i])
                    elif kind is Kind.S64:
                        v = raw[i]
                        inputs.append(v - (1 << 64) if v >= 1 << 63 else v)
                    elif kind is Kind.IOV_IN:
                        inputs.append(mem.gather(mem.iovecs(raw[i], raw[i + 1])))
                    elif kind is Kind.IOV_OUT:
                        iovs = mem.iovecs(raw[i], raw[i + 1])
                        inputs.append(sum(n for _, n in iovs))
                        pending.append((slot, iovs))
                    elif kind is Kind.STR:
                        inputs.append(_decode_str(mem, raw[i], raw[i + 1]))
                    elif kind is Kind.BYTES:
                        inputs.append(mem.read(raw[i], raw[i + 1]))
                    elif kind is Kind.BUF_OUT:
                        n = min(raw[i + 1], MAX_BUF)
                        mem.check(raw[i], n)
                        inputs.append(n)
                        pending.append((slot, raw[i]))
                    elif kind is Kind.OUT_STRUCT:
                        assert slot.layout is not None
                        mem.check(raw[i], slot.layout.size)
                        pending.append((slot, raw[i]))
                    elif kind is Kind.OUT_U64:
                        mem.check(raw[i], 8)
                        pending.append((slot, raw[i]))
                    elif kind is Kind.OUT_U32 or kind is Kind.OUT_LEN:
                        mem.check(raw[i], 4)
                        pending.append((slot, raw[i]))
                    elif kind is Kind.OUT_STR_ARRAY:
                        pending.append((slot, (raw[i], raw[i + 1])))
                    elif kind is Kind.POLL:
                        inputs.append(_decode_poll(mem, raw[i], raw[i + 2]))
                        mem.check(raw[i + 1], wasi.EVENT.size * raw[i + 2])
                        mem.check(raw[i + 3], 4)
                        pending.append((slot, (raw[i + 1], raw[i + 3])))
                result = handler(proc, *inputs)
                if returns == "value":
                    args[0].i32 = int(result)
                    _trace(kernel, proc, name, layout, inputs, result, None)
                    return 0
                values = (result,) if single_result else result
                _write_outputs(mem, pending, values)
                if returns == "errno":
                    args[0].i32 = 0
                if kernel.strace is not None:
                    _trace(kernel, proc, name, layout, inputs, result, None)
                return 0
            except KernelError as e:
                if kernel.strace is not None:
                    _trace(kernel, proc, name, layout, inputs, None, e)
                args[0].i32 = int(e.errno)
                return 0
            except ProcessExit as e:
                if kernel.strace is not None:
                    _trace(kernel, proc, name, layout, inputs, "exit", None)
                proc.finish(e.status)
                return _trap("process exit")
            except Exception:
                kernel.log_bug(proc, f"{name}: {traceback.format_exc()}")
                proc.finish(
                    wait_status_signaled(Signal.SIGKILL), f"killed: kernel error in {name}"
                )
                return _trap("kernel bug")

        return dispatch


def _decode_poll(mem: GuestMemory, ptr: int, count: int) -> list[tuple[int, int, bytes]]:
    if count > 4096:
        raise KernelError(Errno.EINVAL, "too many subscriptions")
    blob = mem.read(ptr, wasi.SUBSCRIPTION.size * count)
    return [
        (userdata, tag, body)
        for userdata, tag, body in wasi.SUBSCRIPTION.iter_unpack(blob)
    ]


def _write_outputs(mem: GuestMemory, pending: list[tuple[Slot, Any]], values: Any) -> None:
    vi = 0
    last_len = 0
    for slot, where in pending:
        kind = slot.kind
        if kind is Kind.OUT_LEN:
            mem.set_u32(where, last_len)
            continue
        value = values[vi]
        vi += 1
        if kind is Kind.IOV_OUT:
            mem.scatter(where, value)
            last_len = len(value)
        elif kind is Kind.BUF_OUT:
            mem.write(where, value)
            last_len = len(value)
        elif kind is Kind.OUT_U32:
            mem.set_u32(where, value)
        elif kind is Kind.OUT_U64:
            mem.set_u64(where, value)
        elif kind is Kind.OUT_STRUCT:
            assert slot.layout is not None
            mem.write(where, slot.layout.pack(*value))
        elif kind is Kind.OUT_STR_ARRAY:
            argv, buf = where
            mem.check(argv, 4 * len(value))
            for s in value:
                mem.set_u32(argv, buf)
                mem.write(buf, s + b"\0")
                argv += 4
                buf += len(s) + 1
        elif kind is Kind.POLL:
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
