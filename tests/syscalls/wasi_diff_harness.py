"""Differential harness for raw WASI preview1: one sequence of calls, run by a
generated guest module under PyOcclum's kernel and under wasmtime's built-in
WASI (the oracle), with the same initial tree; the results are compared call by
call (the harness module of tests/syscalls, imported by name).

A sequence is a list of :class:`Call`. The guest is straight-line code: each
call's arguments are constants, pointers to input data, pointers to the call's
own output slots, or an fd read at run time from an earlier ``path_open``'s
output (:class:`Ref`), so a failed open makes later calls use fd ``0xFFFFFFFF``
in both runs alike. After the last call the guest writes its whole result area
(every errno and every output slot) to fd 1; fds 0 to 2 are never arguments.
"""

from __future__ import annotations

import contextlib
import os
import struct
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import wasmtime
from syscalls_harness import NoExecutor

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.fs.file import OpenFile
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.stdio import BufferStream, BytesInputStream
from pyocclum.fs.types import FileSystem, Inode
from pyocclum.fs.unionfs import UnionFs
from pyocclum.fs.vfs import Vfs
from pyocclum.kernel import Kernel, Process
from pyocclum.syscalls import syscall_table
from pyocclum.wasm import WasmExecutor

MODULE = "wasi_snapshot_preview1"
#: Where input data starts in guest memory (below: the fd_write iovec).
DATA_BASE = 1024
FILL = 0xFF  # output slots start as 0xFF bytes: a failed open's fd reads as 0xFFFFFFFF

# -- the initial tree ------------------------------------------------------------------
#: (path, kind, content): "d" directory, "f" file, "l" symlink (content = target).
TREE: tuple[tuple[str, str, str], ...] = (
    ("d", "d", ""),
    ("d/e", "d", ""),
    ("d/f", "f", "hello"),
    ("d/l_back", "l", "../f"),
    ("f", "f", "0123456789"),
    ("empty", "f", ""),
    ("l_rel", "l", "f"),
    ("l_dir", "l", "d"),
    ("l_up", "l", "../f"),
    ("l_abs", "l", "/f"),
    ("l_loop", "l", "l_loop"),
    ("l_dangling", "l", "nope"),
)
PROG = "prog.wasm"


def _signatures() -> dict[str, tuple[list[str], bool]]:
    """name -> (wasm parameter types, returns an errno) for every preview1 call."""
    out: dict[str, tuple[list[str], bool]] = {}
    for sc in syscall_table(Kernel(Vfs(RamFs()), NoExecutor())):
        if sc.module == MODULE:
            out[sc.name] = (list(sc.wasm_params), sc.returns != "none")
    return out


SIGNATURES = _signatures()


# -- arguments ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Ref:
    """The u32 in output slot ``slot`` of call ``index`` (an opened fd)."""

    index: int
    slot: int = 0

    def __repr__(self) -> str:
        return f"Ref({self.index})"


@dataclass(frozen=True)
class Data:
    """A pointer to these input bytes."""

    data: bytes

    def __repr__(self) -> str:
        shown = self.data if len(self.data) <= 40 else self.data[:20] + b"..." + self.data[-4:]
        return f"Data({shown!r}, {len(self.data)} bytes)" if shown != self.data else (
            f"Data({self.data!r})")


@dataclass(frozen=True)
class Out:
    """A pointer to a fresh output slot of ``size`` bytes."""

    size: int

    def __repr__(self) -> str:
        return f"Out({self.size})"


@dataclass(frozen=True)
class Bad:
    """A pointer outside guest memory (for an iovec argument: the array's pointer,
    with a count of 1)."""

    iov: bool = False

    def __repr__(self) -> str:
        return "Bad()"


#: Where a bad pointer points: the last bytes of the 4 GiB address space.
BAD_ADDRESS = 0xFFFFFFF0


@dataclass(frozen=True)
class IovOut:
    """An iovec array of one buffer of ``size`` bytes (two wasm params: iovs, 1)."""

    size: int


@dataclass(frozen=True)
class IovIn:
    """An iovec array of one buffer holding ``data`` (two wasm params: iovs, 1)."""

    data: bytes


Arg = int | Ref | Data | Out | IovOut | IovIn | Bad
Norm = Callable[[list[bytes]], Any]


def _no_outputs(outs: list[bytes]) -> Any:
    return None


@dataclass
class Call:
    """One raw WASI call: its name, its arguments and how to compare its outputs.

    ``norm`` turns the output slots (in the order of the ``Out``/``IovOut``
    arguments) of a *successful* call into the value both runs must agree on.
    """

    name: str
    args: tuple[Arg, ...]
    norm: Norm = field(default=_no_outputs, compare=False)
    label: str = ""

    def with_bad_pointer(self, which: int) -> Call:
        """This call with its ``which``-th pointer argument (modulo their number)
        pointing outside memory."""
        ptrs = [i for i, a in enumerate(self.args) if isinstance(a, Data | Out | IovOut | IovIn)]
        if not ptrs:
            return self
        i = ptrs[which % len(ptrs)]
        bad = Bad(iov=isinstance(self.args[i], IovOut | IovIn))
        # Should it succeed, its outputs are not all there: only the errno is compared.
        return Call(self.name, (*self.args[:i], bad, *self.args[i + 1:]), _no_outputs,
                    self.label)

    def __repr__(self) -> str:
        shown = ", ".join(repr(a) if not isinstance(a, int) else _num(a) for a in self.args)
        return f"{self.label or self.name}({shown})"


def _num(v: int) -> str:
    return hex(v) if v > 0xFFFF else str(v)


@dataclass
class Result:
    errno: int
    value: Any

    def __repr__(self) -> str:
        try:
            name = Errno(self.errno).name if self.errno else "OK"
        except ValueError:
            name = str(self.errno)
        return name if self.value is None else f"{name} {self.value!r}"


# -- the guest -------------------------------------------------------------------------------
class _Layout:
    def __init__(self) -> None:
        self.data: list[tuple[int, bytes]] = []
        self.cursor = DATA_BASE

    def place(self, blob: bytes, align: int = 8) -> int:
        self.cursor = (self.cursor + align - 1) & ~(align - 1)
        addr = self.cursor
        self.data.append((addr, blob))
        self.cursor += max(len(blob), 1)
        return addr


def _wat_bytes(blob: bytes) -> str:
    return "".join(f"\\{b:02x}" for b in blob)


class Program:
    """The guest module for one sequence, and where each call's results are."""

    def __init__(self, calls: Sequence[Call]) -> None:
        self.calls = list(calls)
        lay = _Layout()
        # Results: every call's errno, then its output slots (filled with 0xFF).
        self.errno_at: list[int] = []
        self.outs_at: list[list[tuple[int, int]]] = []
        for _ in self.calls:
            self.errno_at.append(lay.place(b"\0\0\0\0", 4))
        body: list[str] = []
        for i, c in enumerate(self.calls):
            params, returns = SIGNATURES[c.name]
            values: list[str] = []
            slots: list[tuple[int, int]] = []
            for a in c.args:
                if isinstance(a, Ref):
                    addr = self.outs_at[a.index][a.slot][0]
                    values.append(f"(i32.load (i32.const {addr}))")
                elif isinstance(a, Data):
                    # Aligned as the struct it may hold: wasmtime traps on a misaligned one.
                    values.append(f"(i32.const {lay.place(a.data)})")
                elif isinstance(a, Out):
                    addr = lay.place(bytes([FILL]) * a.size)
                    slots.append((addr, a.size))
                    values.append(f"(i32.const {addr})")
                elif isinstance(a, IovOut):
                    buf = lay.place(bytes([FILL]) * a.size)
                    slots.append((buf, a.size))
                    iov = lay.place(struct.pack("<II", buf, a.size))
                    values += [f"(i32.const {iov})", "(i32.const 1)"]
                elif isinstance(a, Bad):
                    values.append(f"(i32.const {BAD_ADDRESS})")
                    if a.iov:
                        values.append("(i32.const 1)")
                elif isinstance(a, IovIn):
                    buf = lay.place(a.data, 1)
                    iov = lay.place(struct.pack("<II", buf, len(a.data)))
                    values += [f"(i32.const {iov})", "(i32.const 1)"]
                else:
                    values.append(a)  # type: ignore[arg-type]  # filled in below
            if len(values) != len(params):
                raise ValueError(f"{c!r}: {len(values)} wasm arguments, {c.name} takes "
                                 f"{len(params)}")
            typed = []
            for v, t in zip(values, params, strict=True):
                if isinstance(v, int):
                    typed.append(f"({t}.const {v & (0xFFFFFFFF if t == 'i32' else (1 << 64) - 1)})")
                else:
                    typed.append(v)
            call = f"(call ${c.name} {' '.join(typed)})"
            if returns:
                body.append(f"(i32.store (i32.const {self.errno_at[i]}) {call})")
            else:
                body.append(call)
            # The whole result area after every call: if wasmtime traps (its answer
            # to a bad pointer), the calls before are still known.
            body.append("(call $dump)")
            self.outs_at.append(slots)
        self.res_start = DATA_BASE
        self.res_end = lay.cursor
        iov = lay.place(struct.pack("<II", self.res_start, self.res_end - self.res_start))
        nwritten = lay.place(b"\0\0\0\0")
        dump = (f'(func $dump (drop (call $fd_write (i32.const 1) (i32.const {iov}) '
                f'(i32.const 1) (i32.const {nwritten}))))')
        self.pages = (lay.cursor >> 16) + 2
        names = sorted({c.name for c in self.calls} | {"fd_write"})
        imports = []
        for n in names:
            params, returns = SIGNATURES[n]
            result = " (result i32)" if returns else ""
            imports.append(f'(import "{MODULE}" "{n}" (func ${n} (param {" ".join(params)})'
                           f'{result}))')
        datas = [f'(data (i32.const {a}) "{_wat_bytes(b)}")' for a, b in lay.data if b]
        self.wat = "(module\n  " + "\n  ".join(
            [*imports, f'(memory (export "memory") {self.pages})', *datas, dump,
             '(func (export "_start")\n    ' + "\n    ".join(body) + ")"]) + ")"
        self.wasm = bytes(wasmtime.wat2wasm(self.wat))

    @property
    def memory_size(self) -> int:
        return self.pages << 16

    def results(self, output: bytes) -> list[Result]:
        """The results of the calls that returned, from the guest's output (one
        dump of the result area per returned call)."""
        size = self.res_end - self.res_start
        done = len(output) // size
        if len(output) % size or done > len(self.calls):
            raise AssertionError(f"the guest wrote {len(output)} bytes of results, "
                                 f"not a multiple of {size}")
        dump = output[-size:] if done else b""
        out: list[Result] = []
        for i, c in enumerate(self.calls[:done]):
            at = self.errno_at[i] - self.res_start
            (errno,) = struct.unpack_from("<I", dump, at)
            outs = [dump[a - self.res_start:a - self.res_start + n] for a, n in self.outs_at[i]]
            out.append(Result(errno, c.norm(outs) if errno == 0 else None))
        return out


# -- the two runs ------------------------------------------------------------------------------
def make_host_tree(root: Path, prog: bytes) -> None:
    for path, kind, content in TREE:
        p = root / path
        if kind == "d":
            p.mkdir(mode=0o755)
        elif kind == "f":
            p.write_bytes(content.encode())
            p.chmod(0o644)
        else:
            os.symlink(content, p)
    (root / PROG).write_bytes(prog)


def make_ramfs_tree(fs: RamFs, prog: bytes) -> None:
    root = fs.root()
    for path, kind, content in TREE:
        parent: Inode = root
        *dirs, name = path.split("/")
        for d in dirs:
            parent = parent.lookup(d)
        if kind == "d":
            parent.mkdir(name, 0o755)
        elif kind == "f":
            parent.create(name, 0o644).write(0, content.encode())
        else:
            parent.symlink(name, content)
    root.create(PROG, 0o755).write(0, prog)


def run_wasmtime(program: Program) -> list[Result]:
    """The sequence under wasmtime's built-in WASI, ``/`` preopened as fd 3."""
    with tempfile.TemporaryDirectory(prefix="wasidiff-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        make_host_tree(root, program.wasm)
        out = Path(tmp) / "stdout"
        engine = wasmtime.Engine()
        store = wasmtime.Store(engine)
        cfg = wasmtime.WasiConfig()
        cfg.argv = ["/" + PROG]
        cfg.stdout_file = str(out)
        cfg.preopen_dir(str(root), "/")
        store.set_wasi(cfg)
        linker = wasmtime.Linker(engine)
        linker.define_wasi()
        module = wasmtime.Module(engine, program.wasm)
        instance = linker.instantiate(store, module)
        start = instance.exports(store)["_start"]
        assert isinstance(start, wasmtime.Func)
        # A trap (a bad pointer, a bad flags value) ends the run: the results stop
        # at the call that trapped.
        with contextlib.suppress(wasmtime.Trap, wasmtime.WasmtimeError):
            start(store)
        del instance, store
        return program.results(out.read_bytes())


def run_pyocclum(program: Program, *, union: bool = False) -> list[Result]:
    """The sequence as a PyOcclum process on a RamFs root holding the same tree
    (``union``: a union whose lower layer holds it, as the image under ``/``)."""
    fs = RamFs()
    make_ramfs_tree(fs, program.wasm)
    root: FileSystem = UnionFs(RamFs(), [fs]) if union else fs
    _, proc, out = run_captured(root, "/" + PROG)
    if not proc.done.is_set():
        raise AssertionError("the guest did not finish in 30 s")
    if proc.status != 0:
        raise AssertionError(f"the guest died: status {proc.status} {proc.death_reason}")
    return program.results(out.getvalue())


def run_captured(
    root: FileSystem, path: str, timeout: float = 30,
) -> tuple[Kernel, Process, BufferStream]:
    """Run the program at ``path`` in a new kernel on ``root``, with empty stdin
    and stdout and stderr both into the returned buffer; wait up to ``timeout``
    seconds (``proc.done`` is not set if it did not end by then)."""
    executor = WasmExecutor()
    kernel = Kernel(Vfs(root), executor)
    executor.bind(kernel)
    out = BufferStream()

    def stdio(stream: BufferStream | BytesInputStream, readable: bool) -> OpenFile:
        return OpenFile(inode=None, stream=stream, path="stdio", filetype=FileType.UNKNOWN,
                        readable=readable, writable=not readable)

    proc = kernel.spawn(path, [path.encode()], [], cwd=kernel.vfs.root(),
                        stdio=[stdio(BytesInputStream(b""), True), stdio(out, False),
                               stdio(out, False)])
    proc.done.wait(timeout)
    return kernel, proc, out


# -- the calls, with what of their results is compared -------------------------------------------
ALL_RIGHTS = (1 << 30) - 1
_U32 = struct.Struct("<I")
_U64 = struct.Struct("<Q")


def _u32(outs: list[bytes]) -> int:
    return int(_U32.unpack(outs[0])[0])


def _u64(outs: list[bytes]) -> int:
    return int(_U64.unpack(outs[0])[0])


def _opened(outs: list[bytes]) -> str:
    # fd numbers are not compared: PyOcclum gives the lowest free fd (POSIX), wasmtime
    # the highest one closed before; later calls name the fd by Ref.
    return "fd"


def _fdstat(outs: list[bytes]) -> tuple[str, int, str, str]:
    ftype, flags, base, inheriting = struct.unpack("<BxHxxxxQQ", outs[0])
    return FileType(ftype).name, flags, hex(base), hex(inheriting)


def _filestat(outs: list[bytes]) -> tuple[Any, ...]:
    _dev, _ino, ftype, nlink, size = struct.unpack_from("<QQBxxxxxxxQQ", outs[0])
    if ftype == FileType.DIRECTORY:
        # A directory's size and link count are the file system's own (ext4: 4096).
        return (FileType(ftype).name,)
    return FileType(ftype).name, nlink, size


def _read(outs: list[bytes]) -> bytes:
    n = _U32.unpack(outs[1])[0]
    return outs[0][:n]


def _buf_used(outs: list[bytes]) -> bytes:
    n = _U32.unpack(outs[1])[0]
    return outs[0][:n]


def _readdir(outs: list[bytes]) -> Any:
    buf, used = outs[0], _U32.unpack(outs[1])[0]
    if used >= len(buf):
        return "full"  # which entries fit depends on the order, which is the FS's own
    names = []
    at = 0
    while at + 24 <= used:
        _next, _ino, namlen, dtype = struct.unpack_from("<QQIB", buf, at)
        names.append((buf[at + 24:at + 24 + namlen].decode(errors="replace"),
                      FileType(dtype).name))
        at += 24 + namlen
    return sorted(names)


def _prestat(outs: list[bytes]) -> tuple[int, int]:
    tag, n = struct.unpack("<BxxxI", outs[0])
    return tag, n


def path_open(fd: Arg, path: bytes | Arg, oflags: int = 0, base: int = ALL_RIGHTS,
              inheriting: int = ALL_RIGHTS, fdflags: int = 0, dirflags: int = 1) -> Call:
    return Call("path_open", (fd, dirflags, *_str(path), oflags, base, inheriting, fdflags,
                              Out(4)), _opened)


def _str(path: bytes | Arg) -> tuple[Arg, Arg]:
    """A string argument: (pointer, length); a bare int is a bad pointer (length 4)."""
    if isinstance(path, bytes):
        return Data(path), len(path)
    return path, 4


def fd_read(fd: Arg, size: int = 32) -> Call:
    return Call("fd_read", (fd, IovOut(size), Out(4)), _read)


def fd_pread(fd: Arg, size: int, offset: int) -> Call:
    return Call("fd_pread", (fd, IovOut(size), offset, Out(4)), _read)


def fd_write(fd: Arg, data: bytes) -> Call:
    return Call("fd_write", (fd, IovIn(data), Out(4)), _u32)


def fd_pwrite(fd: Arg, data: bytes, offset: int) -> Call:
    return Call("fd_pwrite", (fd, IovIn(data), offset, Out(4)), _u32)


def fd_seek(fd: Arg, offset: int, whence: int) -> Call:
    return Call("fd_seek", (fd, offset, whence, Out(8)), _u64)


def fd_tell(fd: Arg) -> Call:
    return Call("fd_tell", (fd, Out(8)), _u64)


def fd_fdstat_get(fd: Arg) -> Call:
    return Call("fd_fdstat_get", (fd, Out(24)), _fdstat)


def fd_fdstat_set_flags(fd: Arg, flags: int) -> Call:
    return Call("fd_fdstat_set_flags", (fd, flags))


def fd_fdstat_set_rights(fd: Arg, base: int, inheriting: int) -> Call:
    return Call("fd_fdstat_set_rights", (fd, base, inheriting))


def fd_filestat_get(fd: Arg) -> Call:
    return Call("fd_filestat_get", (fd, Out(64)), _filestat)


def fd_filestat_set_size(fd: Arg, size: int) -> Call:
    return Call("fd_filestat_set_size", (fd, size))


def fd_filestat_set_times(fd: Arg, fst: int) -> Call:
    return Call("fd_filestat_set_times", (fd, 10**18, 10**18, fst))


def fd_readdir(fd: Arg, size: int = 4096, cookie: int = 0) -> Call:
    """Entries from ``cookie``: compared as names when read from the start,
    else by their number (which ones come after a cookie is the FS's order)."""
    if cookie == 0:
        return Call("fd_readdir", (fd, Out(size), size, cookie, Out(4)), _readdir)

    def count(outs: list[bytes]) -> Any:
        names = _readdir(outs)
        return names if names == "full" else f"{len(names)} entries"

    return Call("fd_readdir", (fd, Out(size), size, cookie, Out(4)), count)


def fd_renumber(fd: Arg, to: Arg) -> Call:
    return Call("fd_renumber", (fd, to))


def fd_close(fd: Arg) -> Call:
    return Call("fd_close", (fd,))


def fd_sync(fd: Arg) -> Call:
    return Call("fd_sync", (fd,))


def fd_datasync(fd: Arg) -> Call:
    return Call("fd_datasync", (fd,))


def fd_advise(fd: Arg, offset: int, length: int, advice: int) -> Call:
    return Call("fd_advise", (fd, offset, length, advice))


def fd_allocate(fd: Arg, offset: int, length: int) -> Call:
    return Call("fd_allocate", (fd, offset, length))


def fd_prestat_get(fd: Arg) -> Call:
    return Call("fd_prestat_get", (fd, Out(8)), _prestat)


def fd_prestat_dir_name(fd: Arg, size: int = 8) -> Call:
    return Call("fd_prestat_dir_name", (fd, Out(size), size),
                lambda outs: outs[0].rstrip(bytes([FILL])))


def path_filestat_get(fd: Arg, path: bytes | Arg, flags: int = 1) -> Call:
    return Call("path_filestat_get", (fd, flags, *_str(path), Out(64)), _filestat)


def path_filestat_set_times(fd: Arg, path: bytes | Arg, fst: int, flags: int = 1) -> Call:
    return Call("path_filestat_set_times", (fd, flags, *_str(path), 10**18, 10**18, fst))


def path_create_directory(fd: Arg, path: bytes | Arg) -> Call:
    return Call("path_create_directory", (fd, *_str(path)))


def path_remove_directory(fd: Arg, path: bytes | Arg) -> Call:
    return Call("path_remove_directory", (fd, *_str(path)))


def path_unlink_file(fd: Arg, path: bytes | Arg) -> Call:
    return Call("path_unlink_file", (fd, *_str(path)))


def path_readlink(fd: Arg, path: bytes | Arg, size: int = 32) -> Call:
    return Call("path_readlink", (fd, *_str(path), Out(size), size, Out(4)), _buf_used)


def path_symlink(target: bytes | Arg, fd: Arg, path: bytes | Arg) -> Call:
    return Call("path_symlink", (*_str(target), fd, *_str(path)))


def path_rename(fd: Arg, old: bytes | Arg, new_fd: Arg, new: bytes | Arg) -> Call:
    return Call("path_rename", (fd, *_str(old), new_fd, *_str(new)))


def path_link(fd: Arg, old: bytes | Arg, new_fd: Arg, new: bytes | Arg, flags: int = 0) -> Call:
    return Call("path_link", (fd, flags, *_str(old), new_fd, *_str(new)))


def sock_accept(fd: Arg) -> Call:
    return Call("sock_accept", (fd, 0, Out(4)), _opened)


def sock_recv(fd: Arg) -> Call:
    return Call("sock_recv", (fd, IovOut(8), 0, Out(4), Out(4)), _read)


def sock_send(fd: Arg) -> Call:
    return Call("sock_send", (fd, IovIn(b"x"), 0, Out(4)), _u32)


def sock_shutdown(fd: Arg, how: int = 3) -> Call:
    return Call("sock_shutdown", (fd, how))


_EVENT = struct.Struct("<QHBxxxxxQHxxxxxx")


def _events(outs: list[bytes]) -> list[tuple[int, ...]]:
    n = _U32.unpack(outs[1])[0]
    return sorted(_EVENT.unpack_from(outs[0], 32 * i) for i in range(n))


def subscription(userdata: int, tag: int, body: bytes) -> bytes:
    return struct.pack("<QB7x32s", userdata, tag, body)


def clock_subscription(userdata: int, timeout: int, clock_id: int = 1, flags: int = 0) -> bytes:
    return subscription(userdata, 0, struct.pack("<IxxxxQQH", clock_id, timeout, 0, flags))


def fd_subscription(userdata: int, tag: int, fd: int) -> bytes:
    return subscription(userdata, tag, struct.pack("<I", fd))


def poll_oneoff(subscriptions: bytes) -> Call:
    """One poll of the subscriptions given; events compared sorted (by userdata)."""
    n = len(subscriptions) // 48
    return Call("poll_oneoff", (Data(subscriptions), Out(32 * max(n, 1)), n, Out(4)), _events)
