"""Running processes: modules compiled once, pre-linked, each process on its own thread."""

from __future__ import annotations

import hashlib
import logging
import threading

import wasmtime

from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal, signal_name, wait_status_exited, wait_status_signaled
from pyocclum.errors import ImageError, KernelError
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.process import Process, set_current_process
from pyocclum.syscalls import syscall_table
from pyocclum.wasm.codecache import CodeCache
from pyocclum.wasm.engine import compile_module, make_engine
from pyocclum.wasm.host import Binder, ProcessRuntime

log = logging.getLogger("pyocclum.wasm")

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
#: Epoch deadline far enough away never to fire (until kill via epochs lands).
_FAR_DEADLINE = 1 << 62


class WasmExecutor:
    """Implements the kernel's ``Executor`` with wasmtime."""

    def __init__(self, code_cache: CodeCache | None = None) -> None:
        self.engine = make_engine()
        self.code_cache = code_cache
        self._lock = threading.Lock()
        self._modules: dict[str, wasmtime.Module] = {}
        self._pre: dict[str, wasmtime.InstancePre] = {}
        self._linker: wasmtime.Linker | None = None
        self._binder: Binder | None = None

    def bind(self, kernel: Kernel) -> None:
        """Build the one linker for this kernel (not per spawn)."""
        linker = wasmtime.Linker(self.engine)
        self._linker, self._binder = linker, Binder(kernel, linker, syscall_table(kernel))

    # -- loading -----------------------------------------------------------------
    def module(self, image: bytes, name: str) -> wasmtime.Module:
        """The compiled module for ``image``: from memory, the code cache, or compiled."""
        digest = hashlib.sha256(image).hexdigest()
        with self._lock:
            cached = self._modules.get(digest)
        if cached is not None:
            return cached
        module = None
        if self.code_cache is not None:
            module = self.code_cache.load(self.engine, digest)
            if module is None:
                module = self.code_cache.compile_and_store(self.engine, image, name, digest)
        if module is None:
            module = compile_module(self.engine, image, name)
        with self._lock:
            self._modules[digest] = module
        return module

    def _instance_pre(self, image: bytes, name: str) -> wasmtime.InstancePre:
        digest = hashlib.sha256(image).hexdigest()
        with self._lock:
            pre = self._pre.get(digest)
        if pre is not None:
            return pre
        module = self.module(image, name)
        if self._linker is None or self._binder is None:
            raise RuntimeError("WasmExecutor.bind(kernel) was not called")
        with self._lock:
            self._binder.define_imports(module)
            try:
                pre = self._linker.instantiate_pre(module)
            except wasmtime.WasmtimeError as e:
                raise ImageError(f"{name}: cannot be linked: {_clean(e)}") from None
            self._pre[digest] = pre
        return pre

    # -- running -------------------------------------------------------------------
    def start(self, kernel: Kernel, proc: Process, image: bytes) -> None:
        try:
            pre = self._instance_pre(image, proc.path)
        except ImageError as e:
            raise KernelError(Errno.ENOEXEC, str(e)) from None
        thread = threading.Thread(
            target=self._run, args=(kernel, proc, pre), name=f"pid-{proc.pid}", daemon=True
        )
        thread.start()

    def _run(self, kernel: Kernel, proc: Process, pre: wasmtime.InstancePre) -> None:
        status = wait_status_exited(0)
        reason = ""
        set_current_process(proc)
        try:
            store = wasmtime.Store(self.engine)
            store.set_epoch_deadline(_FAR_DEADLINE)
            store.set_limits(memory_size=proc.memory_limit)
            try:
                instance = pre.instantiate(store)
            except wasmtime.WasmtimeError as e:
                raise KernelError(Errno.ENOMEM, f"cannot instantiate: {_clean(e)}") from None
            proc.runtime = ProcessRuntime(store, instance)
            start = instance.exports(store).get("_start")
            if not isinstance(start, wasmtime.Func):
                raise KernelError(Errno.ENOEXEC, "module has no _start function")
            try:
                start(store)
            except wasmtime.Trap as trap:
                if proc.status is None:
                    status, reason = _trap_status(trap)
            except wasmtime.WasmtimeError as e:
                # A host function's trap (exit, kernel bug) has set proc.status already.
                if proc.status is None:
                    status = wait_status_signaled(Signal.SIGKILL)
                    reason = f"killed: {_clean(e)}"
        except KernelError as e:
            status = wait_status_exited(127)
            reason = f"{proc.path}: {e.msg or e.errno.name}"
        except Exception as e:  # a kernel bug must not take the LibOS down
            log.exception("pid %d: executor failure", proc.pid)
            status = wait_status_signaled(Signal.SIGKILL)
            reason = f"killed: internal error: {e}"
        finally:
            set_current_process(None)
            runtime = proc.runtime
            proc.runtime = None
            del runtime  # drop the memory view before the store goes
            kernel.exit_process(proc, proc.status if proc.status is not None else status,
                                proc.death_reason or reason)


def _trap_status(trap: wasmtime.Trap) -> tuple[int, str]:
    code = trap.trap_code
    sig, what = _TRAP_SIGNALS.get(code, (Signal.SIGILL, f"trap: {_clean(trap)}"))
    return wait_status_signaled(sig), f"{signal_name(sig)}: {what}"


def _clean(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__

