"""Shared parts of the crash-safety tests (issue 16, item 3): what
``tests/programs/crash_steps.c`` does, in Python, and the instance it runs in.

``crash_steps`` takes turns over its directories; generation ``G`` of one
directory is one *step* ending in one fsync (see the C file). Since a sefs
commit is atomic over the whole volume, after a crash each directory must
hold exactly :func:`model` ``(initial, n)`` for the ``n`` its ``gen`` file
names: every file equal, none missing, none extra (a leftover ``tmp``, a
torn rewrite, an old copy of one file, bytes that were never written), and
``n`` must be at least the number of steps whose fsync returned.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pyocclum.boot import Instance
from pyocclum.config.template import new_instance
from pyocclum.errors import KernelError
from pyocclum.fs.types import FileType, Inode

PROGRAMS = Path(__file__).resolve().parent.parent / "programs"
CC = Path(sys.executable).parent / "occlum-cc"
OCCLUM = Path(sys.executable).parent / "occlum"
MAX_SIZE = 6000

#: The directories the writer works in: one in the union root whose files
#: start in the image (so steps copy up, white out, rename over lower files),
#: and the root of a sefs mount of its own (``run/mount/data``).
UNION_DIR = "/crash"
SEFS_DIR = "/data"


def content(gen: int) -> bytes:
    """``content(gen)`` of crash_steps.c."""
    size = (gen * 7919) % MAX_SIZE + 1
    head = f"gen {gen}|".encode()[: size - 1]
    return head + bytes(ord("a") + (gen + i) % 26 for i in range(len(head), size))


def image_files() -> dict[str, bytes]:
    """What ``/crash`` holds in the image (the union's lower layer)."""
    files = {}
    for k in range(3):
        for kind in "fru":
            files[f"{kind}{k}"] = f"image {kind}{k}\n".encode() * (50 + 40 * k)
        files[f"p{k}"] = bytes(ord("A") + (i * (k + 3)) % 26 for i in range(10_000))
    files["log"] = b"image log\n"
    return files


def apply(state: dict[str, bytes], gen: int) -> None:
    """Step ``gen`` of crash_steps.c on ``state`` (name -> content)."""
    k = (gen // 5) % 3
    state["gen"] = f"{gen + 1}\n".encode()
    kind = gen % 5
    data = content(gen)
    if kind == 0:
        state[f"f{k}"] = data
    elif kind == 1:
        old = bytearray(state.get(f"p{k}", b""))
        off = (gen * 131) % 9000
        if len(old) < off + len(data):
            old.extend(bytes(off + len(data) - len(old)))
        old[off : off + len(data)] = data
        state[f"p{k}"] = bytes(old)
    elif kind == 2:
        state.pop("tmp", None)  # renamed (a crash may have left one from before)
        state[f"r{k}"] = data
    elif kind == 3:
        if f"u{k}" in state:
            del state[f"u{k}"]
        else:
            state[f"u{k}"] = data
    else:
        state["log"] = state.get("log", b"") + f"rec {gen}\n".encode()


class Model:
    """The states of one directory along the writer's steps.

    sefs commits at every fsync *and* at the last close of a file written
    (``durable_close``), so besides the state after each whole step, a crash
    can leave the one in between: step ``n - 1`` after its ``gen`` file (which
    then says ``n``) was written and closed, and for a rename step also after
    ``tmp`` was closed. The writer's next run starts at step ``n`` whatever
    ``gen`` says, so a state found after a crash becomes the new starting
    point (:meth:`settle`).
    """

    def __init__(self, initial: dict[str, bytes]) -> None:
        self._base = 0
        self._states = [dict(initial)]

    def after(self, n: int) -> dict[str, bytes]:
        """The state after whole steps up to ``n`` (``n`` at least the last settled)."""
        assert n >= self._base, (n, self._base)
        while self._base + len(self._states) <= n:
            state = dict(self._states[-1])
            apply(state, self._base + len(self._states) - 1)
            self._states.append(state)
        return self._states[n - self._base]

    def allowed(self, n: int) -> list[dict[str, bytes]]:
        """Every state a crash may leave whose ``gen`` says ``n``: step ``n - 1``
        whole, or stopped at one of its commits by close."""
        out = [self.after(n)]
        if n > self._base:
            gen = n - 1
            part = dict(self.after(gen))
            part["gen"] = f"{n}\n".encode()
            out.append(part)
            if gen % 5 == 2:
                out.append({**part, "tmp": content(gen)})
        return out

    def settle(self, n: int, state: dict[str, bytes]) -> None:
        """The directory holds ``state``, and the writer's next step is ``n``."""
        self._base = n
        self._states = [dict(state)]


def compile_programs(out: Path, *names: str) -> dict[str, Path]:
    """``tests/programs/<name>.c`` compiled by occlum-cc (warnings are errors) into
    ``out``: name -> wasm file."""
    built = {}
    for name in names:
        wasm = out / name
        r = subprocess.run(
            [str(CC), "-O2", "-Wall", "-Wextra", "-Werror", str(PROGRAMS / f"{name}.c"),
             "-o", str(wasm)],
            capture_output=True, text=True, timeout=600, check=False,
        )
        assert r.returncode == 0, r.stderr
        built[name] = wasm
    return built


def make_crash_instance(folder: Path, programs: dict[str, Path],
                        union_files: dict[str, bytes] | None = None) -> Instance:
    """A new, built instance in ``folder``: each of ``programs`` (name -> wasm)
    as ``/bin/<name>``, ``image_files()`` (or ``union_files``) in ``/crash`` of the
    image, and a sefs mount at ``/data``."""
    new_instance(folder)
    for name, wasm in programs.items():
        out = folder / "image" / "bin" / name
        out.write_bytes(wasm.read_bytes())
        out.chmod(0o755)
    crash = folder / "image" / "crash"
    crash.mkdir()
    for name, data in (image_files() if union_files is None else union_files).items():
        (crash / name).write_bytes(data)
    config = json.loads((folder / "Occlum.json").read_text())
    config["mount"].append({"target": SEFS_DIR, "type": "sefs", "source": "./run/mount/data"})
    (folder / "Occlum.json").write_text(json.dumps(config, indent=4))
    inst = Instance(folder)
    inst.build()
    return inst


def read_tree(node: Inode) -> dict[str, bytes]:
    """The regular files directly in directory ``node``: name -> content (every
    node read, so every MAC on the way is checked); a subdirectory or any other
    kind of object is reported as such, so that it fails a comparison."""
    out: dict[str, bytes] = {}
    for entry in node.entries():
        if entry.name in (".", ".."):
            continue
        child = node.lookup(entry.name)
        if entry.filetype != FileType.REGULAR_FILE:
            out[entry.name] = f"<{entry.filetype.name}>".encode()
            continue
        size = child.stat().size
        out[entry.name] = child.read(0, size + 1)
    return out


def walk_all(node: Inode, depth: int = 0) -> int:
    """Read every file below directory ``node`` (a check that the whole tree
    authenticates); how many files were read."""
    count = 0
    for entry in node.entries():
        if entry.name in (".", ".."):
            continue
        child = node.lookup(entry.name)
        if entry.filetype == FileType.DIRECTORY and depth < 32:
            count += walk_all(child, depth + 1)
        elif entry.filetype == FileType.REGULAR_FILE:
            child.read(0, child.stat().size + 1)
            count += 1
    return count


@contextmanager
def mounted(inst: Instance) -> Iterator[dict[str, Inode]]:
    """Boot the instance as ``occlum run`` does (every mount must succeed) and give
    the writer's directories (absent ones are missing from the dict)."""
    with inst.booted() as booted:
        vfs = booted.kernel.vfs
        found = {}
        for path in (UNION_DIR, SEFS_DIR):
            try:
                found[path] = vfs.resolve(vfs.root(), path).inode
            except KernelError:
                continue
        yield found


def gen_of(files: dict[str, bytes]) -> int:
    """The step count a directory's ``gen`` file names (0 without one)."""
    raw = files.get("gen")
    return 0 if raw is None else int(raw.decode())
