"""The kernel object: everything a LibOS instance shares, with no module-level state.

Process lifecycle (as Linux, without fork or job control): a process is
created by :meth:`Kernel.spawn`, runs on a thread of the executor, and when it
stops :meth:`Kernel.exit_process` releases its resources, reparents its
children to pid 1 and leaves it a zombie until its parent reaps it with
:meth:`Kernel.wait4` (or reaps it at once if nobody will: no parent, or the
parent ignores SIGCHLD).
"""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple, Protocol

from pyocclum import _log
from pyocclum.abi.errno import Errno
from pyocclum.abi.signals import Signal, wait_status_signaled
from pyocclum.abi.wasi import RIGHTS_DIRECTORY, RIGHTS_STREAM, FileType
from pyocclum.errors import KernelError, WouldBlock
from pyocclum.fs.file import OpenFile
from pyocclum.fs.types import Inode, Stream
from pyocclum.fs.vfs import Location, Vfs
from pyocclum.kernel.fdtable import ROOT_FD, FdTable
from pyocclum.kernel.locks import LockTable
from pyocclum.kernel.placement import Placement
from pyocclum.kernel.process import Process
from pyocclum.kernel.signals import (
    CLD_EXITED,
    CLD_KILLED,
    DEFAULT_SIGPENDING,
    RLIMIT_SIGPENDING,
    SA_NOCLDWAIT,
    SI_KERNEL,
    SI_USER,
    SIG_DFL,
    SIG_IGN,
    SigInfo,
    SignalState,
    bit,
    check_signal,
)

if TYPE_CHECKING:
    from pyocclum.net.policy import NetworkPolicy

log = _log.getLogger("pyocclum.kernel")

WNOHANG = 1
INIT_PID = 1
#: How many recently run programs the kernel keeps in memory.
PROGRAM_CACHE = 32
#: Linux reads at most this much of a script's ``#!`` line (BINPRM_BUF_SIZE).
SHEBANG_LINE_MAX = 256
#: The first bytes of a WebAssembly module (wasm/engine.py's WASM_MAGIC).
WASM_MAGIC = b"\0asm"
_SHEBANG = re.compile(rb"[ \t]*([^ \t]*)[ \t]*(.*?)[ \t]*", re.DOTALL)
#: How many kernel bugs :attr:`Kernel.bugs` keeps (a storm of them must not grow memory).
MAX_BUGS_KEPT = 1000
#: Scripts whose interpreter is a script again: Linux follows at most 4 (then ELOOP).
SHEBANG_DEPTH = 4
#: Linux's limits on a new program's arguments and environment (E2BIG beyond):
#: one string, and all of them together (ARG_MAX with an 8 MiB stack).
MAX_ARG_STRLEN = 128 * 1024
ARG_MAX = 2 * 1024 * 1024


def check_arg_sizes(argv: Sequence[bytes], env: Sequence[bytes]) -> None:
    """Raise E2BIG, as Linux's ``execve`` does, if one argument or environment
    string, with its NUL, is longer than :data:`MAX_ARG_STRLEN` or all of them
    together (each with its NUL) exceed :data:`ARG_MAX`. Applies to every new
    program, whoever starts it: a process inside, or the host (``occlum run``),
    whose oversized argv would otherwise make the program die at start-up
    without a word when its memory cannot hold them."""
    total = 0
    for s in (*argv, *env):
        if len(s) >= MAX_ARG_STRLEN:
            raise KernelError(Errno.E2BIG, f"argument string longer than {MAX_ARG_STRLEN} bytes")
        total += len(s) + 1
    if total > ARG_MAX:
        raise KernelError(Errno.E2BIG, f"argument list too long (more than {ARG_MAX} bytes)")


class Limits(NamedTuple):
    """Limits the kernel enforces (from ``Occlum.json``)."""

    max_processes: int = 256
    max_open_files: int = 1024
    #: Linear memory limit per process, bytes.
    process_memory: int = 32 << 20
    #: ``resource_limits.user_space_size``: no process's memory, its program's own
    #: image included, is ever larger (a module may declare any initial memory).
    user_space: int = 300 << 20
    #: Threads besides the processes' main ones, over the whole kernel (Occlum's
    #: ``resource_limits.max_num_of_threads``; docs/threads.md).
    max_threads: int = 32


class Executor(Protocol):
    """Starts programs (implemented by the wasm layer)."""

    def load(self, path: str, image: bytes) -> None:
        """Check that ``image`` can run (compile and link it, cached); ENOEXEC if not."""

    def start(self, kernel: Kernel, proc: Process, image: bytes) -> None:
        """Run ``proc`` from ``image`` on a thread of its own; return at once.

        Raises ``KernelError(ENOEXEC)`` if ``image`` is not a loadable program.
        When the process ends, the executor calls ``kernel.exit_process``.
        """

    def interrupt(self, proc: Process) -> None:
        """Make a running ``proc`` stop soon even if it never makes a syscall."""

    def memory_size(self, proc: Process) -> int:
        """Bytes of memory ``proc`` has now (0 if it is not running)."""


#: Strace sink: receives one formatted line per syscall (must be thread-safe).
TraceSink = Callable[[str], None]


class Kernel:
    """Processes, the VFS and the executor of one LibOS instance."""

    def __init__(
        self,
        vfs: Vfs,
        executor: Executor,
        *,
        limits: Limits | None = None,
        strace: TraceSink | None = None,
        network: NetworkPolicy | None = None,
        placement: Placement | None = None,
    ) -> None:
        self.vfs = vfs
        #: Which CPU the processes' host threads start on (kernel/placement.py).
        self.placement = placement or Placement()
        self._network = network or None
        #: ``uname``'s nodename (``gethostname``): the boot sets it from ``/etc/hostname``.
        self.hostname = b"occlum"
        self.executor = executor
        self.limits = limits or Limits()
        self.strace = strace
        #: Kernel bugs seen so far, one entry each (who, and the traceback): a Python
        #: exception other than KernelError escaped a syscall handler or the executor,
        #: and only the process that hit it was killed (:meth:`log_bug`). The
        #: hardening tests read it (issue 16); the log has each one too.
        self.bugs: list[str] = []
        self.boot_ns = time.monotonic_ns()
        self._lock = threading.Lock()
        self._procs: dict[int, Process] = {}
        self._next_pid = 1
        self._programs: dict[tuple[str, int, int, int, int], tuple[Location, bytes]] = {}
        #: The bytes of the programs kept: at most the user space (so are the programs).
        self._program_bytes = 0
        #: Woken whenever any process exits (for shutdown waits).
        self.any_exit = threading.Condition(self._lock)
        #: Advisory file locks (fcntl record and OFD locks, flock) of every process.
        self.locks = LockTable()
        #: Files made unnamed by O_TMPFILE (without O_EXCL) while they have no name:
        #: linkat(AT_EMPTY_PATH) may name them (Linux's I_LINKABLE).
        self.unnamed_files: weakref.WeakSet[Inode] = weakref.WeakSet()

    # -- process table ----------------------------------------------------------------
    @property
    def network(self) -> NetworkPolicy:
        """Which addresses sockets may bind and connect to (``Occlum.json``'s ``network``;
        without one :data:`~pyocclum.net.policy.ALLOW_ALL`, imported when first asked:
        a run that makes no socket never imports the policy)."""
        policy = self._network
        if policy is None:
            from pyocclum.net.policy import ALLOW_ALL

            policy = self._network = ALLOW_ALL
        return policy

    @network.setter
    def network(self, policy: NetworkPolicy) -> None:
        self._network = policy

    def process(self, pid: int) -> Process:
        proc = self._procs.get(pid)
        if proc is None:
            raise KernelError(Errno.ESRCH, f"no process {pid}")
        return proc

    def processes(self) -> list[Process]:
        with self._lock:
            return list(self._procs.values())

    def live_processes(self) -> list[Process]:
        return [p for p in self.processes() if not p.exited]

    def reserve_init(self) -> None:
        """Leave pid 1 unused (server mode, ``occlum start``): no process is init, so
        orphans get parent 0 and are reaped by the kernel, and ``kill(-1)`` spares
        nobody. Only before the first spawn."""
        with self._lock:
            if self._procs or self._next_pid != INIT_PID:
                raise RuntimeError("reserve_init after a process was started")
            self._next_pid = INIT_PID + 1

    def _alloc_pid(self) -> int:
        # Callers hold self._lock.
        if len(self._procs) >= self.limits.max_processes:
            raise KernelError(
                Errno.EAGAIN,
                f"process limit reached (resource_limits.max_num_of_processes = "
                f"{self.limits.max_processes})",
            )
        pid = self._next_pid
        while pid in self._procs:
            pid += 1
        self._next_pid = pid + 1
        return pid

    # -- open files the kernel itself makes -------------------------------------------------
    def root_file(self) -> OpenFile:
        """A new open description of ``/`` (the fd 3 preopen)."""
        root = self.vfs.root()
        return OpenFile(
            inode=root.inode,
            stream=None,
            path="/",
            filetype=FileType.DIRECTORY,
            readable=True,
            writable=False,
            rights_base=RIGHTS_DIRECTORY,
            rights_inheriting=(1 << 30) - 1,
        )

    def new_stdio_file(self, stream: Stream, *, readable: bool, writable: bool) -> OpenFile:
        tty = stream.isatty()
        # wasi-libc's isatty() is "a character device without seek rights": only a
        # terminal may look like that. Other stdio (pipes, files, captures) is
        # reported as WASI's "unknown" type, as wasmtime reports pipes.
        return OpenFile(
            inode=None,
            stream=stream,
            path="/dev/tty" if tty else "pipe:[stdio]",
            filetype=FileType.CHARACTER_DEVICE if tty else FileType.UNKNOWN,
            readable=readable,
            writable=writable,
            rights_base=RIGHTS_STREAM,
        )

    def new_fd_table(self, stdio: Sequence[OpenFile]) -> FdTable:
        """A table with ``stdio`` at 0, 1, 2 (references taken over) and the root at 3."""
        fds = FdTable(self.limits.max_open_files)
        for i, f in enumerate(stdio):
            fds.install_at(i, f)
        fds.install_at(ROOT_FD, self.root_file())
        return fds

    # -- creating processes --------------------------------------------------------------
    def read_program(self, start: Location, path: str) -> tuple[Location, bytes]:
        """Resolve and read a program file (ENOENT; EACCES, as Linux's ``execve``
        gives even root, for a file that is not regular or has no execute bit).

        Recently run programs are kept (with the path walk's inodes, so the file
        systems' lookup caches stay warm): a spawn of an unchanged program
        neither reads nor hashes it again.
        """
        loc = self.vfs.resolve(start, path, follow=True)
        st = loc.inode.stat()
        if st.filetype == FileType.DIRECTORY:
            raise KernelError(Errno.EACCES, f"{path} is a directory")
        if st.filetype != FileType.REGULAR_FILE:
            raise KernelError(Errno.EACCES, f"{path} is not a regular file")
        if not st.mode & 0o111:
            raise KernelError(Errno.EACCES, f"{path} is not executable")
        key = (loc.path, st.dev, st.ino, st.size, st.mtim)
        cached = self._programs.get(key)
        if cached is not None:
            return loc, cached[1]
        # Only a module is read whole: a script's #! line, or what the executor
        # refuses for its first bytes (ENOEXEC), is in its head. And no module
        # larger than the user space can run: reading one whole (an execve of a
        # sparse file of 2**62 bytes) made the LibOS allocate what it said
        # (gigabytes within seconds, found by the fuzzer).
        head = loc.inode.read(0, min(st.size, SHEBANG_LINE_MAX))
        if not head.startswith(WASM_MAGIC):
            return loc, head
        if st.size > self.limits.user_space:
            raise KernelError(Errno.ENOMEM, f"{path}: a program of {st.size} bytes, more than "
                              "resource_limits.user_space_size")
        image = head + loc.inode.read(len(head), st.size - len(head))
        with self._lock:
            programs = self._programs
            self._program_bytes += len(image)
            while programs and (len(programs) >= PROGRAM_CACHE
                                or self._program_bytes > self.limits.user_space):
                self._program_bytes -= len(programs.pop(next(iter(programs)))[1])
            if key not in programs:
                programs[key] = (loc, image)
            else:
                self._program_bytes -= len(image)
        return loc, image

    def load_program(
        self, start: Location, path: str, argv: Sequence[bytes]
    ) -> tuple[Location, bytes, list[bytes]]:
        """:meth:`read_program`, following ``#!`` lines as Linux's ``execve`` does.

        For a script starting with ``#!interpreter [arg]`` the interpreter is
        run instead, with argv ``[interpreter, arg (if any), path, argv[1:]...]``;
        an interpreter that is a script again is followed too, up to
        :data:`SHEBANG_DEPTH` levels (ELOOP beyond). Returns the program's
        location, its module bytes and the argv to start it with. Anything
        that is not a script is returned as it is (the executor refuses a
        non-module with ENOEXEC).
        """
        args = list(argv)
        script = ""
        for _ in range(SHEBANG_DEPTH + 1):
            try:
                loc, image = self.read_program(start, path)
            except KernelError as e:
                if script and e.errno == Errno.ENOENT:
                    raise KernelError(
                        e.errno, f"{script}: bad interpreter {path}: no such file") from None
                raise
            if not image.startswith(b"#!"):
                return loc, image, args
            line = image[2:SHEBANG_LINE_MAX].split(b"\n", 1)[0]
            # Linux: the interpreter runs to the first blank; the rest, trimmed, is one arg.
            match = _SHEBANG.fullmatch(line)
            assert match is not None  # every line matches: each part may be empty
            interpreter, arg = match.groups()
            if not interpreter:
                raise KernelError(Errno.ENOEXEC, f"{path}: no interpreter after #!")
            script = path
            args = [interpreter, *([arg] if arg else []), path.encode("utf-8", "surrogateescape"),
                    *args[1:]]
            path = interpreter.decode("utf-8", "surrogateescape")
        raise KernelError(Errno.ELOOP, f"{path}: more than {SHEBANG_DEPTH} nested #! interpreters")

    def spawn(
        self,
        path: str,
        argv: Sequence[bytes],
        env: Sequence[bytes],
        *,
        cwd: Location,
        fds: FdTable | None = None,
        stdio: Sequence[OpenFile] = (),
        parent: Process | None = None,
        pgid: int | None = None,
        setsid: bool = False,
        sig: SignalState | None = None,
        umask: int = 0o022,
    ) -> Process:
        """Start the program at ``path`` (resolved against ``cwd``) as a new process
        (a ``#!`` script through its interpreter: :meth:`load_program`).

        ``fds`` is the child's prepared fd table, or None for a fresh one made
        from ``stdio``; either way the kernel owns it from here on (and closes
        it if the spawn fails). ``pgid`` 0 makes the child a group leader.
        A child of ``parent`` inherits its nice value and resource limits (as
        across fork and exec on Linux).
        """
        if fds is None:
            fds = self.new_fd_table(stdio)
        try:
            loc, image, argv = self.load_program(cwd, path, argv)
            check_arg_sizes(argv, env)
            self.executor.load(loc.path, image)
            with self._lock:
                pid = self._alloc_pid()
                proc = Process(
                    pid=pid,
                    ppid=parent.pid if parent is not None else 0,
                    path=loc.path,
                    argv=list(argv),
                    env=list(env),
                    cwd=cwd,
                    fds=fds,
                    start_ns=time.monotonic_ns(),
                    memory_limit=self.limits.process_memory,
                    umask=umask,
                )
                if setsid or parent is None:
                    proc.sid = proc.pgid = pid
                else:
                    proc.sid = parent.sid
                    proc.pgid = parent.pgid if pgid is None else (pgid or pid)
                if sig is not None:
                    proc.sig = sig
                if parent is not None:
                    proc.nice = parent.nice
                    proc.rlimits = dict(parent.rlimits)
                self._procs[pid] = proc
                if parent is not None:
                    parent.children.add(pid)
        except BaseException:
            fds.close_all()
            raise
        try:
            self.executor.start(self, proc, image)
        except BaseException:
            with self._lock:
                del self._procs[proc.pid]
                if parent is not None:
                    parent.children.discard(proc.pid)
            fds.close_all()
            raise
        return proc

    # -- ending processes ------------------------------------------------------------
    def exit_process(self, proc: Process, status: int, reason: str = "") -> None:
        """Called once when a process has stopped running: release its resources,
        reparent its children, and notify (or be reaped at once)."""
        proc.finish(status, reason)
        if proc.alarm is not None:
            proc.alarm.cancel()
        proc.fds.close_all()
        parent: Process | None = None
        with self._lock:
            init = self._procs.get(INIT_PID)
            for cpid in sorted(proc.children):
                child = self._procs.get(cpid)
                if child is None:
                    continue
                if init is not None and not init.exited and init is not proc:
                    child.ppid = INIT_PID
                    init.children.add(cpid)
                    if child.exited:
                        init.child_waitq.notify()
                else:
                    child.ppid = 0
                    if child.exited:
                        self._procs.pop(cpid, None)  # nobody left to reap it
            proc.children.clear()
            parent = self._procs.get(proc.ppid) if proc.ppid else None
            chld = parent.sig.action(Signal.SIGCHLD) if parent is not None else None
            # Linux auto-reaps when SIGCHLD is ignored or has SA_NOCLDWAIT.
            ignored = chld is not None and (
                chld.handler == SIG_IGN or bool(chld.flags & SA_NOCLDWAIT)
            )
            if parent is None or parent.exited or ignored:
                # Nobody will wait for it (Linux auto-reaps when SIGCHLD is ignored).
                self._procs.pop(proc.pid, None)
                if parent is not None:
                    parent.children.discard(proc.pid)
            self.any_exit.notify_all()
        proc.done.set()
        if parent is not None and not parent.exited:
            parent.child_waitq.notify()
            final = proc.status if proc.status is not None else status
            code, value = (CLD_KILLED, final & 0x7F) if final & 0x7F else (
                CLD_EXITED, (final >> 8) & 0xFF)
            self.send_signal(parent, Signal.SIGCHLD,
                             SigInfo(Signal.SIGCHLD, code, pid=proc.pid, status=value))

    def wait4(self, proc: Process, pid: int, options: int) -> tuple[int, int]:
        """Linux ``wait4``: reap a matching exited child.

        Returns ``(pid, status)``, or ``(0, 0)`` with WNOHANG when none has
        exited yet; raises ECHILD if no child matches, ``WouldBlock`` (on the
        caller's child wait queue) otherwise.
        """
        child = self.reap(proc, pid, options)
        if child is None:
            return 0, 0
        assert child.status is not None
        return child.pid, child.status

    def reap(self, proc: Process, pid: int, options: int) -> Process | None:
        """As :meth:`wait4`, returning the reaped child (None: WNOHANG and none
        has exited); its CPU time now counts among ``proc``'s children's."""
        if options & ~WNOHANG & ~0x40000000:  # __WALL is harmless
            raise KernelError(Errno.EINVAL, f"unsupported wait options {options:#x}")
        token = proc.child_waitq.token()  # before looking: no lost wake-up
        with self._lock:
            matches = [self._procs[c] for c in sorted(proc.children) if c in self._procs]
            if pid > 0:
                matches = [c for c in matches if c.pid == pid]
            elif pid == 0:
                matches = [c for c in matches if c.pgid == proc.pgid]
            elif pid < -1:
                matches = [c for c in matches if c.pgid == -pid]
            if not matches:
                raise KernelError(Errno.ECHILD, "no child process to wait for")
            for child in matches:
                if child.exited and child.done.is_set():
                    del self._procs[child.pid]
                    proc.children.discard(child.pid)
                    proc.cpu.add_child(child.cpu)
                    return child
        if options & WNOHANG:
            return None
        raise WouldBlock(proc.child_waitq.since(token))

    # -- signals ------------------------------------------------------------------------
    def kill(self, sender: Process | None, pid: int, sig: int) -> None:
        """Linux ``kill`` target selection; ``sig`` 0 only checks. A zombie (exited,
        not yet reaped) still exists: it can be named, and ignores the signal."""
        check_signal(sig, allow_zero=True)
        with self._lock:
            procs = list(self._procs.values())
        if pid > 0:
            targets = [p for p in procs if p.pid == pid]
        elif pid == 0:
            group = sender.pgid if sender is not None else 0
            targets = [p for p in procs if p.pgid == group]
        elif pid == -1:
            targets = [p for p in procs if p.pid != INIT_PID and p is not sender]
        else:
            targets = [p for p in procs if p.pgid == -pid]
        if not targets:
            raise KernelError(Errno.ESRCH, f"no process matches {pid}")
        if sig:
            info = SigInfo(sig, SI_USER, pid=sender.pid if sender is not None else 0)
            for target in targets:
                self.send_signal(target, sig, info)

    def send_signal(self, proc: Process, sig: int, info: SigInfo | None = None) -> bool:
        """Post ``sig`` to ``proc`` with its siginfo record (default: sent by the
        kernel, SI_KERNEL). SIGKILL and unhandled fatal signals stop it even in a
        tight loop; handled ones wait for a syscall boundary; an ignored signal
        is dropped unless blocked (Linux keeps it pending then, for sigwait).

        Returns False if a real-time signal sent with a record of its own
        (``sigqueue``) could not be queued (RLIMIT_SIGPENDING): then it was
        not sent (see :meth:`SignalState.post`).
        """
        if proc.exited:
            return True
        with proc.lock:
            if sig == Signal.SIGKILL:
                fatal = True
            else:
                blocked = bool(proc.sig.blocked & bit(sig))
                if proc.sig.ignores(sig) and not blocked:
                    return True
                limit = proc.rlimits.get(RLIMIT_SIGPENDING, (DEFAULT_SIGPENDING,))[0]
                if not proc.sig.post(info or SigInfo(sig, SI_KERNEL), limit):
                    return False
                fatal = not blocked and proc.sig.action(sig).handler == SIG_DFL
            if fatal and proc.kill_status is None:
                proc.kill_status = wait_status_signaled(sig)
        if fatal:
            self.executor.interrupt(proc)
        proc.wake()
        return True

    # -- misc ---------------------------------------------------------------------------
    def log_bug(self, proc: Process, what: str) -> None:
        """Record a kernel bug met by ``proc`` (which the caller then kills): logged at
        ERROR and kept in :attr:`bugs` (the first :data:`MAX_BUGS_KEPT` of them)."""
        log.error("kernel bug in pid %d (%s), killing it: %s", proc.pid, proc.path, what)
        if len(self.bugs) < MAX_BUGS_KEPT:
            self.bugs.append(f"pid {proc.pid} ({proc.path}): {what}")

    def shutdown(self, grace: float = 0.0) -> None:
        """Stop every process (SIGTERM, then SIGKILL after ``grace`` seconds) and wait."""
        if grace > 0:
            for p in self.live_processes():
                self.send_signal(p, Signal.SIGTERM)
            deadline = time.monotonic() + grace
            with self._lock:
                while any(not p.exited for p in self._procs.values()):
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    self.any_exit.wait(left)
        for p in self.live_processes():
            self.send_signal(p, Signal.SIGKILL)
        for p in self.processes():
            p.done.wait(5)


__all__ = [
    "ARG_MAX",
    "INIT_PID",
    "MAX_ARG_STRLEN",
    "SIG_DFL",
    "WNOHANG",
    "Executor",
    "Kernel",
    "Limits",
    "TraceSink",
    "check_arg_sizes",
]
