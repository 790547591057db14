"""Running processes: modules compiled once, pre-linked, each process on a worker thread."""

from __future__ import annotations

import contextlib
import hashlib
import queue
import threading
import time
from collections.abc import Callable
from typing import Literal, NamedTuple

import wasmtime

from pyocclum import _log
from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal, wait_status_exited, wait_status_signaled
from pyocclum.errors import ImageError, KernelError
from pyocclum.kernel.kernel import Kernel
from pyocclum.kernel.placement import Placement
from pyocclum.kernel.process import Process, set_current_process, this_thread
from pyocclum.kernel.threads import Thread, ThreadedSignalState
from pyocclum.syscalls import syscall_table
from pyocclum.wasm.codecache import CodeCache
from pyocclum.wasm.engine import compile_module, limit_store, make_engine
from pyocclum.wasm.exports import call_entry, export, instantiate, s32
from pyocclum.wasm.host import Binder, ProcessRuntime
from pyocclum.wasm.signals import install_epoch_check, run_handlers, trap_status
from pyocclum.wasm.threads import (
    THREAD_ENTRY,
    IdleInstance,
    SharedImport,
    SharedProcessRuntime,
    ThreadRuntime,
    install_thread_epoch_check,
    make_shared_runtime,
    new_thread_instance,
    shared_import,
)

log = _log.getLogger("pyocclum.wasm")

#: How often the engine's epoch advances: the latency of stopping a busy process.
EPOCH_TICK = 0.01
#: Seconds a worker thread waits for the next process before it exits.
WORKER_IDLE_EXIT = 5.0
#: Seconds an ended thread's instance waits for the next thread of its process.
THREAD_IDLE_EXIT = 2.0


class SharedTemplate:
    """A linked program that imports a shared memory (built with ``-pthread``):
    each process gets its own memory and InstancePre (wasm/threads.py)."""

    __slots__ = ("module", "where")

    def __init__(self, module: wasmtime.Module, where: SharedImport) -> None:
        self.module = module
        self.where = where


Linked = wasmtime.InstancePre | SharedTemplate


#: ``yes`` is set in the workers' threads.
_in_worker = threading.local()


class _Worker:
    """One reusable thread: ``task`` is what it runs next, ``wake`` is released
    to start it (held while the thread is idle)."""

    __slots__ = ("task", "tid", "wake")

    def __init__(self, task: Callable[[], None]) -> None:
        self.task: Callable[[], None] | None = task
        self.tid = 0
        self.wake = threading.Lock()
        self.wake.acquire()


class _Workers:
    """Reusable threads: starting a Python thread per process costs ~100 us. A
    thread idle for ``idle_exit`` seconds exits, so a host process that boots
    many LibOS instances does not keep a thread for every one of them.

    Each idle thread waits on its own lock, so that :meth:`submit` can place
    the one it picks, and the caller, on the caller's CPU before it wakes it
    (kernel/placement.py)."""

    def __init__(self, idle_exit: float = WORKER_IDLE_EXIT) -> None:
        #: Idle threads, the most recently idle last (it is taken first).
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()
        self._idle_exit = idle_exit
        self.placement = Placement(enabled=False)

    def submit(self, task: Callable[[], None], name: str) -> None:
        cpu = self.placement.here()
        if getattr(_in_worker, "yes", False):  # a process's thread, not the host's
            self.placement.place(threading.get_native_id(), cpu)
        with self._lock:
            worker = self._idle.pop() if self._idle else None
        if worker is None:
            worker = _Worker(task)
            threading.Thread(target=self._work, args=(worker, cpu), name=name,
                             daemon=True).start()
            return
        self.placement.place(worker.tid, cpu)
        worker.task = task
        worker.wake.release()

    def _work(self, worker: _Worker, cpu: int | None) -> None:
        worker.tid = threading.get_native_id()
        _in_worker.yes = True
        self.placement.place(worker.tid, cpu)
        while True:
            task, worker.task = worker.task, None
            assert task is not None
            task()
            # An idle thread must not keep its last process (the kernel, its
            # mounts and their host descriptors) alive until it exits.
            del task
            with self._lock:
                self._idle.append(worker)
            if worker.wake.acquire(timeout=self._idle_exit):
                continue
            with self._lock:
                if worker in self._idle:  # nobody picked it: exit
                    self._idle.remove(worker)
                    return
            worker.wake.acquire()  # a submit picked it meanwhile: its task is coming


class WasmExecutor:
    """Implements the kernel's ``Executor`` with wasmtime."""

    def __init__(self, code_cache: CodeCache | None = None) -> None:
        self.engine = make_engine()
        self.code_cache = code_cache
        self._lock = threading.Lock()
        self._modules: dict[str, wasmtime.Module] = {}
        self._pre: dict[str, Linked] = {}
        self._digests: dict[int, tuple[bytes, str]] = {}
        #: Bytes of linear memory each linked program starts with (its data and stack).
        self._image_memory: dict[int, int] = {}
        #: How each linked program is started (a command's ``_start`` or a reactor's ``run``).
        self._entry: dict[int, Entry] = {}
        self._linker: wasmtime.Linker | None = None
        self._binder: Binder | None = None
        self._workers = _Workers()
        self._ticker: threading.Thread | None = None
        #: Processes started and not finished (the ticker runs while there are any).
        self._live = 0

    def bind(self, kernel: Kernel) -> None:
        """Build the one linker for this kernel (not per spawn)."""
        linker = wasmtime.Linker(self.engine)
        codes = self.code_cache.load_dispatchers() if self.code_cache is not None else None
        self._linker, self._binder = linker, Binder(kernel, linker, syscall_table(kernel), codes)
        self._workers.placement = kernel.placement

    # -- loading -----------------------------------------------------------------
    def _digest(self, image: bytes) -> str:
        """SHA-256 of ``image``, remembered for the image objects the kernel reuses."""
        known = self._digests.get(id(image))
        if known is not None and known[0] is image:
            return known[1]
        digest = hashlib.sha256(image).hexdigest()
        with self._lock:
            if len(self._digests) >= 64:
                self._digests.pop(next(iter(self._digests)))
            self._digests[id(image)] = (image, digest)  # holding it keeps id() unique
        return digest

    def module(self, image: bytes, name: str) -> wasmtime.Module:
        """The compiled module for ``image``: from memory, the code cache, or compiled."""
        digest = self._digest(image)
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

    def _instance_pre(self, image: bytes, name: str) -> Linked:
        digest = self._digest(image)
        with self._lock:
            pre = self._pre.get(digest)
        if pre is not None:
            return pre
        return self._link(image, name, digest)

    def _link(self, image: bytes, name: str, digest: str) -> Linked:
        module = self.module(image, name)
        if self._linker is None or self._binder is None:
            raise RuntimeError("WasmExecutor.bind(kernel) was not called")
        entry = entry_of(module, name)
        where = shared_import(module)
        pre: Linked
        with self._lock:
            self._binder.define_imports(module)
            if self._binder.new_codes and self.code_cache is not None:
                self._binder.new_codes = False
                try:
                    self.code_cache.store_dispatchers(self._binder.codes)
                except OSError as e:  # a read-only build/: compiled again next time
                    log.info("code cache: dispatchers not saved: %s", e)
            try:
                if where is None:
                    pre = self._linker.instantiate_pre(module)
                else:  # check that it links, with a memory of its own type
                    make_shared_runtime(self.engine, self._linker, module, where, 0)
                    pre = SharedTemplate(module, where)
            except wasmtime.WasmtimeError as e:
                raise ImageError(f"{name}: cannot be linked: {_clean(e)}") from None
            self._pre[digest] = pre
            self._image_memory[id(pre)] = (
                _initial_memory(module) if where is None else where.minimum << 16)
            self._entry[id(pre)] = entry
        return pre

    def load(self, path: str, image: bytes) -> None:
        try:
            self._instance_pre(image, path)
        except ImageError as e:
            raise KernelError(Errno.ENOEXEC, str(e)) from None

    # -- running -------------------------------------------------------------------
    def start(self, kernel: Kernel, proc: Process, image: bytes) -> None:
        try:
            pre = self._instance_pre(image, proc.path)
        except ImageError as e:
            raise KernelError(Errno.ENOEXEC, str(e)) from None
        proc.run_handlers = run_handlers
        self._start_ticker()
        try:
            self._workers.submit(lambda: self._run(kernel, proc, pre), f"pid-{proc.pid}")
        except BaseException:
            self._finished()
            raise

    def interrupt(self, proc: Process) -> None:
        # Advancing the epoch now makes every running store check at once, so a
        # kill takes effect without waiting for the next tick.
        self.engine.increment_epoch()

    def memory_size(self, proc: Process) -> int:
        """Read afresh when ``proc`` asks about itself, or for a shared memory (any
        thread may read its size); for another process, as of its last access
        past the size it had (its store is not touched from another thread)."""
        runtime = proc.runtime
        if runtime is None:
            return 0
        memory = runtime.memory
        if isinstance(runtime, SharedProcessRuntime) or getattr(
                this_thread, "process", None) is proc:
            memory.remap()
        return int(memory.size)

    def _start_ticker(self) -> None:
        """Count a process in, and make sure the epoch advances while it runs: the
        ticker thread stops once no process of this executor is left (a host
        process that boots many instances would otherwise keep one ticker per
        instance, each taking the GIL a hundred times a second)."""
        with self._lock:
            self._live += 1
            if self._ticker is None:
                self._ticker = threading.Thread(target=self._tick, name="epoch", daemon=True)
                self._ticker.start()

    def _tick(self) -> None:
        while True:
            time.sleep(EPOCH_TICK)
            with self._lock:
                if self._live == 0:
                    self._ticker = None
                    break
            self.engine.increment_epoch()
            self._workers.placement.release_expired()
        self._workers.placement.release_all()  # no pin outlives the processes

    def _finished(self) -> None:
        with self._lock:
            self._live -= 1

    def _run(self, kernel: Kernel, proc: Process, pre: Linked) -> None:
        set_current_process(proc)
        proc.cpu.enter()
        status, reason = wait_status_exited(0), ""
        try:
            while True:
                status, reason = self._run_image(kernel, proc, pre)
                if len(proc.threads) > 1 or proc.kill_status == _EXEC_DRAIN:
                    # (the drain marker: the threads stopped before main did)
                    status, reason = self._end_main_thread(proc, status, reason)
                request = proc.exec_request
                if request is None or proc.status is not None:
                    break
                pre = self._exec(proc, request)
        except Exception as e:  # a kernel bug must not take the LibOS down
            import traceback  # only here: start-up does not pay for it

            kernel.log_bug(proc, f"executor failure: {traceback.format_exc()}")
            status, reason = wait_status_signaled(Signal.SIGKILL), f"killed: internal error: {e}"
        finally:
            # Its figures are final before the parent can reap it (a store that
            # cannot say its size must not keep the parent waiting).
            with contextlib.suppress(Exception):
                proc.cpu.peak_kib = max(proc.cpu.peak_kib, self.memory_size(proc) // 1024)
            proc.cpu.leave()
            set_current_process(None)
            proc.threads.spawn = None
            proc.threads.main.runtime = None
            if isinstance(proc.runtime, SharedProcessRuntime):
                proc.runtime.close()
            # The store (with the process's memory) is freed once the parent has
            # been told: deleting it (~57 us) is not work that wait4 waits for.
            ended, proc.runtime = proc.runtime, None
            try:
                kernel.exit_process(
                    proc,
                    proc.status if proc.status is not None else status,
                    proc.death_reason or reason,
                )
            finally:
                self._finished()
                del ended

    def _exec(
        self, proc: Process, request: tuple[str, bytes, list[bytes], list[bytes]]
    ) -> Linked:
        """Switch ``proc`` to a new image (validated by the execve handler)."""
        path, image, argv, env = request
        proc.exec_request = None
        pre = self._instance_pre(image, path)
        proc.path, proc.argv, proc.env = path, argv, env
        for fd, entry in proc.fds.items():
            if entry.cloexec:
                proc.fds.close(fd)
        with proc.lock:
            proc.sig = proc.sig.after_exec()
        if isinstance(proc.runtime, SharedProcessRuntime):
            proc.runtime.close()
        proc.runtime = None
        proc.threads.reset()
        proc.threads.spawn = None
        return pre

    def _run_image(self, kernel: Kernel, proc: Process, pre: Linked) -> tuple[int, str]:
        """Instantiate and run one image; returns (status, reason) unless an exec follows."""
        main = proc.threads.main
        try:
            store = wasmtime.Store(self.engine)
            # As in Occlum, the limit is on the heap the program grows into: its own
            # image (data segments, stack) comes on top, but never past the user
            # space (a module declaring more memory than that cannot start).
            limit = max(proc.memory_limit, min(
                proc.memory_limit + self._image_memory.get(id(pre), 0), kernel.limits.user_space))
            limit_store(store, limit)
            try:
                if isinstance(pre, SharedTemplate):
                    with self._lock:
                        shared = make_shared_runtime(
                            self.engine, self._linker_or_fail(), pre.module, pre.where, limit)
                    epoch_check = install_thread_epoch_check(store, proc, lambda: main)
                    instance = instantiate(shared.pre, store)
                else:
                    epoch_check = install_epoch_check(store, proc)
                    instance = instantiate(pre, store)
            except wasmtime.Trap as trap:
                # The module's start function trapped: the process dies of it as
                # of a trap in its entry (a hostile module, not a kernel bug).
                if proc.status is None and proc.exec_request is None:
                    return trap_status(trap)
                return wait_status_exited(0), ""
            except wasmtime.WasmtimeError as e:
                raise KernelError(
                    Errno.ENOMEM,
                    f"cannot start: {_clean(e)} (the limit is process.default_heap_size + "
                    "process.default_stack_size in Occlum.json beyond the program's image, "
                    "and resource_limits.user_space_size in all)",
                ) from None
            if isinstance(pre, SharedTemplate):
                main.runtime = shared.main = ThreadRuntime(
                    store, instance, shared.memory, epoch_check, main)
                proc.runtime = shared
                proc.threads.spawn = lambda thread, arg: self._spawn_thread(
                    kernel, proc, shared, thread, arg)
            else:
                proc.runtime = ProcessRuntime(store, instance)
                proc.runtime.epoch_check = epoch_check
            entry = self._entry[id(pre)]
            result: object = None
            try:
                last = len(entry.calls) - 1
                for i, name in enumerate(entry.calls):
                    func = export(store, instance, name)
                    if not isinstance(func, wasmtime.Func):  # checked at link time
                        raise KernelError(Errno.ENOEXEC, f"module has no {name} function")
                    returns = entry.returns if i == last else "none"
                    if returns == "other":
                        result = func(store)
                    else:
                        result = call_entry(store, func, returns == "i32")
            except wasmtime.Trap as trap:
                if main.exited or main.stop:  # pthread_exit, or execve by another thread
                    return wait_status_exited(0), ""
                if proc.status is None and proc.exec_request is None:
                    return trap_status(trap)
                return wait_status_exited(0), ""
            except wasmtime.WasmtimeError as e:
                # A host function's trap (exit, exec, kill, kernel bug) has recorded why.
                if main.exited or main.stop:
                    return wait_status_exited(0), ""
                if proc.status is None and proc.exec_request is None:
                    return wait_status_signaled(Signal.SIGKILL), f"killed: {_clean(e)}"
                return wait_status_exited(0), ""
            # A reactor's run returns its exit status; as with exit(), only the low 8 bits.
            return wait_status_exited(result & 0xFF if isinstance(result, int) else 0), ""
        except KernelError as e:
            return wait_status_exited(127), f"{proc.path}: {e.msg or e.errno.name}"

    # -- threads (docs/threads.md) ---------------------------------------------------------
    def _linker_or_fail(self) -> wasmtime.Linker:
        if self._linker is None:
            raise RuntimeError("WasmExecutor.bind(kernel) was not called")
        return self._linker

    def _stop_threads(self, proc: Process, status: int | None, me: Thread | None) -> None:
        """Make every thread of ``proc`` but ``me`` stop wherever it is.

        With ``status`` the process is ending (exit_group, a fatal signal, a
        crash): it is recorded as the kill status. Without, only the threads
        stop (``execve``): a marker kill status makes blocked calls return and
        is cleared once they are gone (:meth:`_end_main_thread`).
        """
        others = proc.threads.others(me)
        for thread in others:
            if status is None:
                thread.stop = True
        with proc.lock:
            if proc.kill_status is None:
                proc.kill_status = status if status is not None else _EXEC_DRAIN
        self.interrupt(proc)
        proc.wake()

    def _end_main_thread(self, proc: Process, status: int, reason: str) -> tuple[int, str]:
        """The main thread's instance has stopped while other threads live: end
        the process (exit, crash, kill), or let it go on without its main thread
        (pthread_exit), or stop the others for an ``execve``; then wait until
        every other thread has stopped. Returns the process's status."""
        main = proc.threads.main
        if proc.exec_request is not None:
            self._stop_threads(proc, None, main)
        elif not main.exited:
            proc.finish(status, reason)
            assert proc.status is not None
            self._stop_threads(proc, proc.status, main)
        proc.threads.wait_alone(main)
        if proc.exec_request is not None and proc.status is None:
            with proc.lock:
                if proc.kill_status == _EXEC_DRAIN:
                    proc.kill_status = None
            main.stop = False
        if proc.status is not None:
            return proc.status, proc.death_reason
        return wait_status_exited(0), ""  # every thread ended by pthread_exit

    def _spawn_thread(
        self, kernel: Kernel, proc: Process, shared: SharedProcessRuntime, thread: Thread,
        start_arg: int,
    ) -> None:
        """Start ``thread`` at the guest's thread entry (the thread_spawn call), on
        an idle instance of the process if there is one, else on a new one (made
        here, so that a failure is the caller's ENOMEM)."""
        idle = shared.take_idle()
        if idle is not None:
            idle.runtime.thread = thread
            thread.runtime = idle.runtime
            self._start_ticker()
            idle.work.put((thread, start_arg))
            return
        runtime = new_thread_instance(self.engine, shared, proc, thread)
        if runtime.entry is None or runtime.done is None:
            raise KernelError(Errno.ENOEXEC, f"the program exports no {THREAD_ENTRY}")
        thread.runtime = runtime
        self._start_ticker()
        try:
            self._workers.submit(
                lambda: self._thread_host(kernel, proc, shared, runtime, thread, start_arg),
                f"tid-{thread.tid}")
        except BaseException:
            self._finished()
            raise

    def _thread_host(
        self, kernel: Kernel, proc: Process, shared: SharedProcessRuntime,
        runtime: ThreadRuntime, thread: Thread, start_arg: int,
    ) -> None:
        """Run threads of ``proc`` on one instance, one after the other: after a
        thread ends normally the instance waits (parked in ``shared``) for the
        process's next thread_spawn, for up to THREAD_IDLE_EXIT seconds."""
        try:
            while True:
                reusable = self._run_thread(kernel, proc, thread, runtime, start_arg)
                idle = IdleInstance(runtime)
                parked = reusable and shared.park(idle)
                if reusable:
                    # Its joiners may go on (and free its stack) now that it has
                    # stopped; a pthread_create right after finds it parked.
                    parked = self._thread_done(proc, runtime, start_arg) and parked
                self._finished()
                if not parked:
                    shared.unpark(idle)
                    return
                try:
                    work = idle.work.get(timeout=THREAD_IDLE_EXIT)
                except queue.Empty:
                    if shared.unpark(idle):
                        return
                    work = idle.work.get()  # a spawn took it meanwhile
                if work is None:
                    return
                thread, start_arg = work
        finally:
            set_current_process(None)

    def _thread_done(self, proc: Process, runtime: ThreadRuntime, start_arg: int) -> bool:
        """Call the guest's __occlum_thread_done(start_arg); False if it failed."""
        assert runtime.done is not None
        try:
            runtime.done(s32(start_arg))
            return True
        except wasmtime.WasmtimeError:  # killed meanwhile
            return False

    def _run_thread(
        self, kernel: Kernel, proc: Process, thread: Thread, runtime: ThreadRuntime,
        start_arg: int,
    ) -> bool:
        """Run one thread to its end; True if it ended normally (returned from
        its start routine or called pthread_exit) and its process goes on."""
        set_current_process(proc, thread)
        proc.cpu.enter()
        crash: tuple[int, str] | None = None
        normal = False
        sig = proc.sig
        if isinstance(sig, ThreadedSignalState):
            with proc.lock:
                sig.started(thread)
        try:
            assert runtime.entry is not None
            runtime.entry(thread.tid, s32(start_arg))
            normal = True
        except wasmtime.Trap as trap:
            if thread.exited:
                normal = True
            elif not self._thread_ended_on_purpose(proc, thread):
                crash = trap_status(trap)  # a crashing thread kills its process
        except wasmtime.WasmtimeError as e:
            if thread.exited:
                normal = True
            elif proc.exec_request is not None and not thread.stop:
                # This thread called execve: the main thread carries it out once
                # every other thread has stopped.
                proc.threads.main.stop = True
                self._stop_threads(proc, None, thread)
            elif not self._thread_ended_on_purpose(proc, thread):
                crash = wait_status_signaled(Signal.SIGKILL), f"killed: {_clean(e)}"
        except Exception as e:  # a kernel bug must not take the LibOS down
            import traceback  # only here: start-up does not pay for it

            kernel.log_bug(proc, f"tid {thread.tid}: executor failure: {traceback.format_exc()}")
            crash = wait_status_signaled(Signal.SIGKILL), f"killed: internal error: {e}"
        finally:
            proc.cpu.leave()
            thread.runtime = None
            if isinstance(sig, ThreadedSignalState):
                with proc.lock:
                    sig.ended(thread.host)
            if crash is not None:
                proc.finish(*crash)
                assert proc.status is not None
                self._stop_threads(proc, proc.status, thread)
            proc.threads.remove(thread)
        return normal and proc.status is None and proc.kill_status is None

    @staticmethod
    def _thread_ended_on_purpose(proc: Process, thread: Thread) -> bool:
        """The thread's instance stopped because of pthread_exit, an exec, or the
        end of its process, not because it crashed."""
        return (thread.exited or thread.stop or proc.status is not None
                or proc.kill_status is not None or proc.exec_request is not None)



#: A kill status that only makes the other threads' blocked calls return while
#: an execve waits for them to stop (never a process's status: see _stop_threads).
_EXEC_DRAIN = -1


class Entry(NamedTuple):
    """How a program starts: the exports called in order (no arguments). The last
    one's i32 result, if any, is the exit status."""

    kind: Literal["command", "reactor"]
    calls: tuple[str, ...]
    #: What the last call returns: nothing, an i32, or anything else (a
    #: command's ``_start`` of another type: called the generic way).
    returns: Literal["none", "i32", "other"] = "none"


#: The export a reactor's work starts from, after ``_initialize``.
REACTOR_ENTRY = "run"
#: What occlum-c++ programs export besides ``_start``: ``_start`` inside a
#: catch-all that calls std::terminate, so an exception nobody catches ends
#: the program as on Linux (message, abort) rather than as a wasm trap.
CXX_ENTRY = "__occlum_start"


def entry_of(module: wasmtime.Module, name: str) -> Entry:
    """How ``module`` is started; ``ImageError`` if it is not a program.

    A *command* (WASI's default execution model) exports ``_start``, which
    runs ``main`` and the exit handlers. A *reactor* (``-mexec-model=reactor``)
    has no ``_start``: it exports ``_initialize`` (constructors, wasi-libc
    set-up) and its functions. PyOcclum runs a reactor that exports ``run``,
    with no parameters and an optional i32 result: ``_initialize`` (when
    exported), then ``run``, whose result is the exit status. ``run`` reads
    its arguments and environment through ``args_get``/``environ_get``, as
    ``main`` does.
    """
    funcs = {
        exp.name: exp.type for exp in module.exports if isinstance(exp.type, wasmtime.FuncType)
    }
    for start in (CXX_ENTRY, "_start"):  # occlum-c++ programs: _start under a catch (cli/cxxrt.py)
        ty = funcs.get(start)
        if ty is not None:
            return Entry("command", (start,), _returns(ty))
    run = funcs.get(REACTOR_ENTRY)
    if run is None:
        raise ImageError(
            f"{name}: not a program: it exports neither _start (a command) "
            f"nor {REACTOR_ENTRY} (a reactor)"
        )
    results = [str(t) for t in run.results]
    if list(run.params) or results not in ([], ["i32"]):
        params = ", ".join(str(t) for t in run.params)
        raise ImageError(
            f"{name}: a reactor's {REACTOR_ENTRY} must take no parameters and return "
            f"nothing or an i32 exit status (it is ({params}) -> ({', '.join(results)}))"
        )
    init = funcs.get("_initialize")
    if init is not None and (list(init.params) or list(init.results)):
        raise ImageError(f"{name}: _initialize must take no parameters and return nothing")
    calls = ("_initialize", REACTOR_ENTRY) if init is not None else (REACTOR_ENTRY,)
    return Entry("reactor", calls, _returns(run))


def _returns(ty: wasmtime.FuncType) -> Literal["none", "i32", "other"]:
    """What :func:`call_entry` can call a function of type ``ty`` for."""
    if list(ty.params):
        return "other"
    results = [str(t) for t in ty.results]
    return "none" if not results else "i32" if results == ["i32"] else "other"


def _initial_memory(module: wasmtime.Module) -> int:
    """Bytes of the module's exported memory at instantiation."""
    for exp in module.exports:
        ty = exp.type
        if isinstance(ty, wasmtime.MemoryType):
            return int(ty.limits.min) << int(ty.page_size_log2)
    return 0


def _clean(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__
