"""Running signal handlers in the guest, and stopping processes with epochs.

Handlers run through the export ``__occlum_signal_trampoline`` that libocclum
puts in every program, called re-entrantly from inside a host function (at a
syscall boundary, or while a blocking call waits). Its version-3 type passes
the siginfo record and the interrupted mask (``uc_sigmask``) and returns the
mask to restore, which the handler may have changed through its ``ucontext_t``;
programs built before version 3 export the three-argument form
``(sig, handler, flags)`` and are still served.
"""

from __future__ import annotations

import ctypes
import weakref
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime import _bindings, _ffi

from pyocclum import _log
from pyocclum.abi.signals import Signal, signal_name, wait_status_signaled
from pyocclum.errors import KernelError, ProcessExec, ProcessExit
from pyocclum.kernel.process import Process
from pyocclum.kernel.signals import (
    SA_NODEFER,
    SA_RESETHAND,
    SA_RESTART,
    SIG_DFL,
    SIG_IGN,
    UNBLOCKABLE_MASK,
    SigAction,
    SigInfo,
    bit,
)
from pyocclum.wasm.exports import TrapPointer, export, func_call, raise_failure, s32

log = _log.getLogger("pyocclum.wasm")

TRAMPOLINE = "__occlum_signal_trampoline"
#: The same, stepping over the wasm red zone: for handlers run between two
#: instructions of the program (from the epoch callback).
ASYNC_TRAMPOLINE = "__occlum_signal_trampoline_async"
#: The epoch deadline while a handler runs from the epoch callback: wasmtime
#: does not call the callback again meanwhile (a deadline reached then would
#: trap), so the handler runs without one; it meets the kernel at its syscalls.
_NO_DEADLINE = 1 << 40

_EpochCallback = _bindings._wasmtime_store_epoch_deadline_callback.argtypes[1]
_NO_FINALIZER = ctypes.CFUNCTYPE(None, ctypes.c_void_p)()
CONTINUE = 0  # WASMTIME_UPDATE_DEADLINE_CONTINUE


def install_epoch_check(store: wasmtime.Store, proc: Process) -> Any:
    """Make ``store`` check, at every epoch tick, whether ``proc`` must die or
    has a signal to handle.

    The callback traps only this process when it is marked killed; runs the
    handlers of pending, unblocked signals in the guest (as Linux interrupts a
    computing process: ``while (!flag) ;`` ends when a SIGALRM handler sets
    the flag); and otherwise extends its deadline by one tick, so other
    processes run on untouched. Returns the callback object, which must be
    kept alive with the store.
    """
    busy = False

    def check(ctx: Any, data: Any, delta: Any, kind: Any) -> int:
        nonlocal busy
        if proc.kill_status is None and not busy and proc.sig.pending & ~proc.sig.blocked:
            busy = True
            try:
                stop = deliver_from_epoch(store, proc)
            finally:
                busy = False
            if stop is not None:
                return trap_error(stop)
        if proc.kill_status is not None:
            proc.finish(proc.kill_status)
            return trap_error(b"killed by a signal")
        delta[0] = 1
        kind[0] = CONTINUE
        return 0

    return set_epoch_callback(store, check)


EpochCheck = Callable[[Any, Any, Any, Any], int]


def set_epoch_callback(store: wasmtime.Store, check: EpochCheck) -> Any:
    """Make wasmtime call ``check(ctx, data, delta, kind)`` at each epoch
    deadline of ``store``, the first one tick away. ``check`` returns 0 after
    setting ``delta[0]``/``kind[0]`` (go on), or a :func:`trap_error`. Returns
    the ctypes callback, which must be kept alive with the store."""
    callback = _EpochCallback(check)
    store.set_epoch_deadline(1)
    _ffi.wasmtime_store_epoch_deadline_callback(store.ptr(), callback, None, _NO_FINALIZER)
    return callback


def trap_error(message: bytes) -> int:
    """A new wasmtime error as an epoch callback returns it: the store's call
    ends with ``wasmtime.WasmtimeError(message)``."""
    err = _ffi.wasmtime_error_new(ctypes.create_string_buffer(message))
    return ctypes.cast(err, ctypes.c_void_p).value or 0


def deliver_from_epoch(store: wasmtime.Store, proc: Process) -> bytes | None:
    """Run pending handlers from the epoch callback (between two instructions of
    the program). Returns why the program must stop (it exited, exec'd or was
    killed meanwhile), or None to go on. Never raises: this runs in a ctypes
    callback, where an exception would be lost."""
    if not _runs_here(proc, store):
        return None  # another store's tick: the handler waits for this thread's
    runtime = proc.runtime
    assert runtime is not None
    if _trampoline(runtime, ASYNC_TRAMPOLINE) is None:
        return None  # built before version 3: handlers wait for a syscall
    store.set_epoch_deadline(_NO_DEADLINE)
    try:
        _deliver(proc, 0, ASYNC_TRAMPOLINE)
    except ProcessExit as e:
        proc.finish(e.status)
        return b"process exit"
    except ProcessExec:
        return b"exec"
    except BaseException:  # a kernel bug: kill only this process
        log.exception("pid %d: running a signal handler asynchronously", proc.pid)
        proc.finish(wait_status_signaled(Signal.SIGKILL), "killed: kernel error in a handler")
        return b"kernel bug"
    return None


def _runs_here(proc: Process, store: wasmtime.Store | None) -> bool:
    """Can this host thread run ``proc``'s handlers: it has an instance of its
    own (``proc.runtime`` answers for the calling thread), and it is the one of
    ``store`` (when given: the store whose epoch callback this is)? A handler
    must never run in another thread's store: stores are not thread-safe."""
    runtime = proc.runtime
    if runtime is None:
        return False
    try:
        mine = runtime.store
    except KernelError:  # a thread that has ended (its instance is gone)
        return False
    return store is None or mine is store


#: How deeply handlers may nest when several signals are delivered at once.
MAX_NESTING = 32


def run_handlers(proc: Process) -> bool:
    """Deliver every pending, unblocked signal of ``proc`` (the calling process).

    Handlers run in the guest; default actions that terminate set
    ``proc.kill_status``. Returns True if every handler that ran had
    SA_RESTART (so an interrupted call may restart).

    As on Linux, which sets up a frame for each deliverable signal before
    returning to user mode, the lowest-numbered signal is taken first, and a
    signal still deliverable under its handler's mask interrupts that handler
    before its first instruction: it runs first (nested), then the outer one.
    A thread without an instance of its own runs none (False): the signals stay
    pending for the others.
    """
    if not _runs_here(proc, None):
        return False
    return _deliver(proc, 0, TRAMPOLINE)


def _deliver(proc: Process, depth: int, entry: str) -> bool:
    restart = True
    while True:
        frame = _next_frame(proc)
        if frame is None:
            return restart and proc.kill_status is None
        info, act, saved = frame
        restart = restart and bool(act.flags & SA_RESTART)
        restore = saved
        try:
            if depth < MAX_NESTING:
                restart = _deliver(proc, depth + 1, entry) and restart
            if proc.kill_status is not None:
                return False
            restore = _call_trampoline(proc, entry, info, act.handler, act.flags, saved)
        finally:
            with proc.lock:
                proc.sig.blocked = restore & ~UNBLOCKABLE_MASK


def _next_frame(proc: Process) -> tuple[SigInfo, SigAction, int] | None:
    """Take the lowest deliverable signal that has a handler, block its mask and
    return (its record, its action, the mask before). None when none is left or
    the process must die (a default action that terminates sets ``kill_status``)."""
    with proc.lock:
        while True:
            ready = proc.sig.pending & ~proc.sig.blocked
            if not ready or proc.kill_status is not None:
                return None
            sig = (ready & -ready).bit_length()
            info = proc.sig.take(sig)
            act = proc.sig.action(sig)
            if act.handler == SIG_IGN or (act.handler == SIG_DFL and proc.sig.ignores(sig)):
                continue
            if act.handler == SIG_DFL:
                proc.kill_status = wait_status_signaled(sig)
                return None
            saved = proc.sig.blocked
            extra = act.mask | (0 if act.flags & SA_NODEFER else bit(sig))
            proc.sig.blocked = (saved | extra) & ~UNBLOCKABLE_MASK
            if act.flags & SA_RESETHAND:
                # Linux resets the handler only: the flags and mask stay.
                proc.sig.actions[sig] = act._replace(handler=SIG_DFL)
            return info, act, saved



class _Trampoline:
    """One store's trampoline export, called through wasmtime's C API on an
    argument array made once: wasmtime-py's ``Func.__call__`` asked for the
    function's type and converted every value on each call, ~40% of the time
    of a process flooded with signals. wasmtime still checks the arguments'
    types against the function's (an export of another type is an error).
    Holds no reference to the store (the cache is keyed on it, weakly)."""

    __slots__ = ("_args", "_context", "_func", "_results", "nparams")

    def __init__(self, store: wasmtime.Store, func: wasmtime.Func) -> None:
        self._context = store._context()
        self._func = func
        self.nparams = len(func.type(store).params)
        # Room for ABI version 3's arguments whatever the export takes (wasmtime
        # refuses a call whose arguments do not match it).
        self._args = (_ffi.wasmtime_val_t * max(self.nparams, _MASK_ARG + 1))()
        for i in range(len(self._args)):
            self._args[i].kind = _ffi.WASMTIME_I64 if i == _MASK_ARG else _ffi.WASMTIME_I32
        self._results = (_ffi.wasmtime_val_t * 1)()

    def __call__(self, *values: int) -> int:
        """Call with ``values`` (i32s, the mask an i64); the i64 it returns (0 for
        a trampoline of ABI version 2, which returns nothing). A nested call (a
        handler interrupted by another) is safe: the arguments are read when the
        call starts and the result written when it ends."""
        args = self._args
        for i, value in enumerate(values):
            if i == _MASK_ARG:
                args[i].of.i64 = value
            else:
                args[i].of.i32 = value
        nresults = 0 if self.nparams == _V2_PARAMS else 1
        trap = TrapPointer()
        error = func_call(self._context, ctypes.byref(self._func._func), args,
                          len(values), self._results if nresults else None, nresults,
                          ctypes.byref(trap))
        raise_failure(error, trap)
        return int(self._results[0].of.i64) if nresults else 0


_MASK_ARG = 8  # the interrupted mask, the one i64 argument of ABI version 3
_V2_PARAMS = 3  # (sig, handler, flags): a program of ABI version 2
#: Per store (a process's, or a thread's): export name -> its trampoline, or None.
_trampolines: weakref.WeakKeyDictionary[wasmtime.Store, dict[str, _Trampoline | None]] = (
    weakref.WeakKeyDictionary())


def _trampoline(runtime: Any, entry: str) -> _Trampoline | None:
    """The calling thread's store's export ``entry`` as a trampoline (None if
    the program has no such function)."""
    store = runtime.store
    known = _trampolines.get(store)
    if known is None:
        known = _trampolines[store] = {}
    if entry not in known:
        func = export(store, runtime.instance, entry)
        known[entry] = _Trampoline(store, func) if isinstance(func, wasmtime.Func) else None
    return known[entry]


def _call_trampoline(
    proc: Process, entry: str, info: SigInfo, handler: int, flags: int, mask: int
) -> int:
    """Run ``handler`` for ``info`` in the guest through the export ``entry``;
    ``mask`` is the mask it interrupted. Returns the mask to restore (the
    ucontext's ``uc_sigmask`` after the handler)."""
    tramp = _trampoline(proc.runtime, entry)
    if tramp is None:
        # Not built with libocclum: nothing can run the handler; act as Linux
        # would for a corrupt handler address.
        proc.kill_status = wait_status_signaled(Signal.SIGSEGV)
        return mask
    try:
        if tramp.nparams == _V2_PARAMS:  # a program of ABI version 2
            tramp(info.signo, s32(handler), s32(flags))
            return mask
        new_mask = tramp(info.signo, s32(handler), s32(flags), s32(info.code),
                         s32(info.pid), s32(info.uid), s32(info.value), s32(info.status),
                         mask - (1 << 64) if mask >= 1 << 63 else mask)
        return new_mask & ((1 << 64) - 1)
    except wasmtime.Trap as trap:
        # A fault inside the handler kills the process, as it would natively.
        if proc.status is None:
            status, reason = trap_status(trap)
            proc.finish(status, reason)
        raise ProcessExit(proc.status or 0) from None
    except wasmtime.WasmtimeError:
        # The handler exited, exec'd or was killed: keep unwinding.
        if proc.exec_request is not None and proc.status is None:
            raise ProcessExec() from None
        if proc.status is None:
            proc.finish(proc.kill_status or wait_status_signaled(Signal.SIGKILL), "killed")
        raise ProcessExit(proc.status or 0) from None


_T = wasmtime.TrapCode
# How a trap maps onto the signal a native process would have died of.
_TRAP_SIGNALS: dict[object, tuple[Signal, str]] = {
    _T.UNREACHABLE: (Signal.SIGILL, "unreachable instruction executed (abort or trap)"),
    _T.MEMORY_OUT_OF_BOUNDS: (Signal.SIGSEGV, "out-of-bounds memory access"),
    _T.HEAP_MISALIGNED: (Signal.SIGBUS, "misaligned memory access"),
    _T.TABLE_OUT_OF_BOUNDS: (Signal.SIGSEGV, "indirect call through a bad function pointer"),
    _T.INDIRECT_CALL_TO_NULL: (Signal.SIGSEGV, "call through a null function pointer"),
    _T.BAD_SIGNATURE: (Signal.SIGSEGV, "indirect call with the wrong function type"),
    _T.STACK_OVERFLOW: (Signal.SIGSEGV, "stack overflow"),
    _T.INTEGER_DIVISION_BY_ZERO: (Signal.SIGFPE, "integer division by zero"),
    _T.INTEGER_OVERFLOW: (Signal.SIGFPE, "integer overflow"),
    _T.BAD_CONVERSION_TO_INTEGER: (Signal.SIGFPE, "invalid conversion to integer"),
    _T.INTERRUPT: (Signal.SIGKILL, "killed"),
}


def trap_status(trap: wasmtime.Trap) -> tuple[int, str]:
    """The wait status and reason of a process that died of ``trap``."""
    sig, what = _TRAP_SIGNALS.get(trap.trap_code, (Signal.SIGILL, f"trap: {_first_line(trap)}"))
    return wait_status_signaled(sig), f"{signal_name(sig)}: {what}"


def _first_line(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
