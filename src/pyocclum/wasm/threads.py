"""Processes with threads: one shared memory, one instance per thread (docs/threads.md).

A program built with ``occlum-cc -pthread`` imports its linear memory as a
*shared* memory (``--shared-memory --import-memory``). The executor makes
one :class:`wasmtime.SharedMemory` per process, a linker that defines it
(a clone of the kernel's one linker, which holds every host function), and
from that an ``InstancePre``: the main thread and every other thread are
instances of it, each in a Store of its own, on a host thread of its own.

wasmtime-py 50's ``SharedMemory._as_extern`` puts a pointer *to* the
memory's pointer into the extern union (``ctypes.pointer(self.ptr())``),
which wasmtime reads as the memory itself: defining or importing a
SharedMemory through wasmtime-py corrupts memory. :func:`shared_extern`
builds the extern correctly and :func:`define_shared_memory` defines it
through the C API; nothing here calls the broken method.
"""

from __future__ import annotations

import ctypes
import queue
import threading
from collections.abc import Callable
from typing import Any

import wasmtime
from wasmtime import _ffi

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.kernel.process import Process, this_thread
from pyocclum.kernel.threads import Thread
from pyocclum.wasm.engine import limit_store
from pyocclum.wasm.exports import TrapPointer, export, instantiate, raise_failure
from pyocclum.wasm.memory import GuestMemory
from pyocclum.wasm.signals import CONTINUE, deliver_from_epoch, set_epoch_callback, trap_error

#: The export a thread starts at: ``__occlum_thread_start(tid, start_arg)``.
THREAD_ENTRY = "__occlum_thread_start"
#: The export the kernel calls once a thread has stopped: ``__occlum_thread_done(start_arg)``
#: (wakes its joiners; from then on its stack may be freed).
THREAD_DONE = "__occlum_thread_done"
WASM_PAGE = 1 << 16
#: wasm32's largest memory, in pages.
MAX_PAGES = 1 << 16


class SharedImport:
    """A module's shared-memory import: where it is and its declared limits (pages)."""

    __slots__ = ("field", "maximum", "minimum", "module")

    def __init__(self, module: str, field: str, minimum: int, maximum: int) -> None:
        self.module = module
        self.field = field
        self.minimum = minimum
        self.maximum = maximum


def shared_import(module: wasmtime.Module) -> SharedImport | None:
    """The shared memory ``module`` imports, or None (an ordinary program)."""
    for imp in module.imports:
        ty = imp.type
        if isinstance(ty, wasmtime.MemoryType) and ty.is_shared:
            limits = ty.limits
            maximum = limits.max if limits.max is not None else MAX_PAGES
            return SharedImport(imp.module, imp.name or "", int(limits.min), int(maximum))
    return None


def shared_extern(memory: wasmtime.SharedMemory) -> Any:
    """The ``wasmtime_extern_t`` of ``memory`` (the pointer itself, see above)."""
    union = _ffi.wasmtime_extern_union(sharedmemory=memory.ptr())
    return _ffi.wasmtime_extern_t(_ffi.WASMTIME_EXTERN_SHAREDMEMORY, union)


def define_shared_memory(
    linker_ptr: Any, store: wasmtime.Store, where: SharedImport, memory: wasmtime.SharedMemory
) -> None:
    module, name = where.module.encode(), where.field.encode()
    item = shared_extern(memory)
    err = _ffi.wasmtime_linker_define(
        linker_ptr, store._context(), ctypes.create_string_buffer(module), len(module),
        ctypes.create_string_buffer(name), len(name), ctypes.byref(item),
    )
    if err:
        raise wasmtime.WasmtimeError._from_ptr(err)


class SharedGuestMemory(GuestMemory):
    """:class:`GuestMemory` over a shared memory: no store needed; any thread may
    grow it, so the size is re-read whenever an access goes past the last one."""

    __slots__ = ("_shared",)

    def __init__(self, memory: wasmtime.SharedMemory) -> None:
        self._shared = memory
        self._base = ctypes.addressof(memory.data_ptr().contents)
        self.size = 0
        self.view = memoryview(b"")
        self.remap()

    def remap(self) -> None:
        """Take the memory's current size (any thread may grow it; any may ask)."""
        size = int(self._shared.data_len())
        if size != self.size:
            arr = (ctypes.c_ubyte * size).from_address(self._base)
            self.view = memoryview(arr).cast("B")
            self.size = size


class RawCall:
    """Calls one exported ``(i32...) -> ()`` function with ``wasmtime_func_call_unchecked``.

    wasmtime-py's ``Func.__call__`` asks the function's type and converts
    every value through ``Val`` objects on each call (tens of microseconds);
    the thread entry and done calls happen twice per thread, so they take
    the C API's unchecked path on a preallocated argument array. Raises
    ``wasmtime.Trap`` or ``wasmtime.WasmtimeError`` as ``Func.__call__`` does.
    """

    __slots__ = ("_args", "_context", "_func", "_n", "_store")

    def __init__(self, store: wasmtime.Store, func: wasmtime.Func, nparams: int) -> None:
        self._store = store  # keeps the context alive
        self._context = store._context()
        self._func = ctypes.byref(func._func)
        self._n = nparams
        self._args = (_ffi.wasmtime_val_raw_t * max(nparams, 1))()

    def __call__(self, *params: int) -> None:
        args = self._args
        for i, value in enumerate(params):
            args[i].i32 = value
        trap = TrapPointer()
        err = _ffi.wasmtime_func_call_unchecked(
            self._context, self._func, args, self._n, ctypes.byref(trap))
        raise_failure(err, trap)


class ThreadRuntime:
    """One instance of a threaded program, and the thread it runs now.

    An instance outlives its thread: when a thread ends normally its
    instance (and host thread) waits in the process's idle list for the
    next ``thread_spawn``, which then costs no new Store or instance.
    """

    __slots__ = ("done", "entry", "epoch_check", "instance", "memory", "store", "thread")

    def __init__(self, store: wasmtime.Store, instance: wasmtime.Instance,
                 memory: SharedGuestMemory, epoch_check: Any, thread: Thread) -> None:
        self.store = store
        self.instance = instance
        self.memory = memory
        self.epoch_check = epoch_check
        self.thread = thread
        self.entry: RawCall | None = None
        self.done: RawCall | None = None


class IdleInstance:
    """A thread instance (and its host thread) waiting for the next thread to run."""

    __slots__ = ("runtime", "work")

    def __init__(self, runtime: ThreadRuntime) -> None:
        self.runtime = runtime
        #: (thread, start_arg) to run next, or None: stop.
        self.work: queue.SimpleQueue[tuple[Thread, int] | None] = queue.SimpleQueue()


class SharedProcessRuntime:
    """``Process.runtime`` of a process with a shared memory.

    ``memory`` is the process's (the dispatcher reads it on every call);
    ``store`` and ``instance`` are those of the thread the caller runs, so
    that a signal handler runs on the thread that takes the signal.
    """

    __slots__ = ("closed", "idle", "limit", "lock", "main", "memory", "pre", "shared")

    def __init__(
        self, shared: wasmtime.SharedMemory, pre: wasmtime.InstancePre, limit: int
    ) -> None:
        self.shared = shared
        self.pre = pre
        #: The process's memory limit in bytes (each thread's store is held to it).
        self.limit = limit
        self.memory = SharedGuestMemory(shared)
        self.main: ThreadRuntime | None = None
        self.idle: list[IdleInstance] = []
        self.lock = threading.Lock()
        self.closed = False

    def take_idle(self) -> IdleInstance | None:
        with self.lock:
            return self.idle.pop() if self.idle and not self.closed else None

    def park(self, idle: IdleInstance) -> bool:
        """Offer an instance for reuse; False once the process has ended."""
        with self.lock:
            if self.closed:
                return False
            self.idle.append(idle)
            return True

    def unpark(self, idle: IdleInstance) -> bool:
        """Withdraw an idle instance (it stops waiting); False if a spawn has
        taken it meanwhile (its work is then on the way)."""
        with self.lock:
            if idle in self.idle:
                self.idle.remove(idle)
                return True
            return False

    def close(self) -> None:
        """The process has ended (or exec'd): every idle instance stops."""
        with self.lock:
            self.closed = True
            idle, self.idle = self.idle, []
        for item in idle:
            item.work.put(None)

    def _current(self) -> ThreadRuntime:
        thread: Thread | None = getattr(this_thread, "thread", None)
        runtime = thread.runtime if thread is not None else None
        if isinstance(runtime, ThreadRuntime):
            return runtime
        main = self.main
        if main is None or (thread is not None and thread is not main.thread):
            # A thread without an instance of its own (one that has ended, while
            # its host thread calls __occlum_thread_done) never gets the main
            # thread's: a store is not thread-safe, and a signal handler run
            # there from this host thread, while the main thread ran in it (an
            # fd_sync in sefs's native seal), took the whole LibOS down.
            raise KernelError(Errno.ESRCH, "the thread has no instance")
        return main

    @property
    def store(self) -> wasmtime.Store:
        return self._current().store

    @property
    def instance(self) -> wasmtime.Instance:
        return self._current().instance

    @property
    def epoch_check(self) -> Any:
        return self._current().epoch_check


def make_shared_runtime(
    engine: wasmtime.Engine,
    linker: wasmtime.Linker,
    module: wasmtime.Module,
    where: SharedImport,
    limit_bytes: int,
) -> SharedProcessRuntime:
    """A new shared memory for one process (at most ``limit_bytes``, within what
    the module declares) and the InstancePre its threads are made from."""
    pages = max(where.minimum, min(where.maximum, limit_bytes // WASM_PAGE))
    ty = wasmtime.MemoryType(wasmtime.Limits(where.minimum, pages), shared=True)
    shared = wasmtime.SharedMemory(engine, ty)
    clone = _ffi.wasmtime_linker_clone(linker.ptr())
    try:
        scratch = wasmtime.Store(engine)  # the C API wants a store to define in
        define_shared_memory(clone, scratch, where, shared)
        ptr = ctypes.POINTER(_ffi.wasmtime_instance_pre_t)()
        err = _ffi.wasmtime_linker_instantiate_pre(clone, module.ptr(), ctypes.byref(ptr))
        if err:
            raise wasmtime.WasmtimeError._from_ptr(err)
    finally:
        _ffi.wasmtime_linker_delete(clone)
    return SharedProcessRuntime(shared, wasmtime.InstancePre._from_ptr(ptr), limit_bytes)


def install_thread_epoch_check(
    store: wasmtime.Store, proc: Process, current: Callable[[], Thread]
) -> Any:
    """As :func:`pyocclum.wasm.signals.install_epoch_check`, per thread: traps
    when the process is killed (recording its status) and when the thread
    the store runs (``current()``) alone must stop (``execve`` by another
    thread: no status recorded)."""

    busy = False

    def check(ctx: Any, data: Any, delta: Any, kind: Any) -> int:
        nonlocal busy
        thread = current()
        # Handlers of signals that arrive while the thread computes (signals.py).
        if (not thread.stop and proc.kill_status is None and not busy
                and proc.sig.pending & ~proc.sig.blocked):
            busy = True
            try:
                why = deliver_from_epoch(store, proc)
            finally:
                busy = False
            if why is not None:
                if proc.status is not None and proc.kill_status is None:
                    # The handler called exit: every other thread stops too
                    # (as the dispatcher's exit_group does).
                    with proc.lock:
                        if proc.kill_status is None:
                            proc.kill_status = proc.status
                    proc.wake()
                return trap_error(why)
        if thread.stop or proc.kill_status is not None:
            if not thread.stop and proc.kill_status is not None:
                proc.finish(proc.kill_status)
            return trap_error(b"killed by a signal" if not thread.stop else b"thread stopped")
        delta[0] = 1
        kind[0] = CONTINUE
        return 0

    return set_epoch_callback(store, check)


def new_thread_instance(
    engine: wasmtime.Engine, runtime: SharedProcessRuntime, proc: Process, thread: Thread
) -> ThreadRuntime:
    """Instantiate ``thread``'s instance (in a store of its own); ENOMEM if it cannot."""
    store = wasmtime.Store(engine)
    limit_store(store, runtime.limit)
    cell: list[ThreadRuntime] = []
    # The check can run before the runtime exists (an epoch tick during the
    # instantiation): it is ``thread``'s until then. A Python exception in it
    # would leave wasmtime's deadline update unset.
    check = install_thread_epoch_check(store, proc, lambda: cell[0].thread if cell else thread)
    try:
        instance = instantiate(runtime.pre, store)
    except wasmtime.WasmtimeError as e:
        raise KernelError(Errno.ENOMEM, f"cannot start a thread: {e}") from None
    made = ThreadRuntime(store, instance, runtime.memory, check, thread)
    cell.append(made)
    entry = export(store, instance, THREAD_ENTRY)
    done = export(store, instance, THREAD_DONE)
    # The unchecked calls need the right types: a module whose exports have
    # others cannot run threads (the kernel refuses with ENOEXEC).
    if _takes_i32s(store, entry, 2) and _takes_i32s(store, done, 1):
        assert isinstance(entry, wasmtime.Func)
        assert isinstance(done, wasmtime.Func)
        made.entry, made.done = RawCall(store, entry, 2), RawCall(store, done, 1)
    return made


def _takes_i32s(store: wasmtime.Store, func: object, n: int) -> bool:
    """``func`` is a function of ``n`` i32 parameters and no results."""
    if not isinstance(func, wasmtime.Func):
        return False
    ty = func.type(store)
    return [str(t) for t in ty.params] == ["i32"] * n and not list(ty.results)


Runner = Callable[[Thread, int], None]

__all__ = [
    "THREAD_DONE",
    "THREAD_ENTRY",
    "IdleInstance",
    "SharedGuestMemory",
    "SharedImport",
    "SharedProcessRuntime",
    "ThreadRuntime",
    "define_shared_memory",
    "install_thread_epoch_check",
    "make_shared_runtime",
    "new_thread_instance",
    "shared_extern",
    "shared_import",
]
