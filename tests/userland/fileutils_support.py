"""What the file utilities' tests share (tests/userland/test_fileutils*.py): a tree
builder with fixed times, a snapshot of a tree, and a runner that runs one shell
script inside and with the host's coreutils and compares everything.

Scripts run under ``sh -c`` (PyOcclum's ``/bin/sh`` inside, the host's ``sh``
outside) so that one LibOS boot runs many commands; each command's stderr goes
to stdout (``2>&1``) and its exit status is printed after it, so the order of
messages and every status are compared too.
"""

from __future__ import annotations

import difflib
import os
import stat
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from userland_harness import Ran, Userland

#: A fixed, old modification time (2023-11-14): ls -l shows the year.
OLD = 1_700_000_000
#: A tree spec: path -> file contents (bytes), None for a directory, ("link", target)
#: for a symlink, ("hard", other path) for a hard link; directories are made as needed.
Spec = Mapping[str, "bytes | tuple[str, str] | None"]


def build(root: Path, spec: Spec, modes: Mapping[str, int] | None = None,
          times: Mapping[str, float] | None = None) -> None:
    """Create ``spec`` under ``root``; every object gets time ``OLD`` (plus its index,
    so -t sorts them) unless ``times`` says otherwise, and mode ``modes[path]``."""
    for path, what in spec.items():
        p = root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        if what is None:
            p.mkdir(exist_ok=True)
        elif isinstance(what, tuple):
            kind, target = what
            if kind == "link":
                p.symlink_to(target)
            else:
                os.link(root / target, p)
        else:
            p.write_bytes(what)
    for path, mode in (modes or {}).items():
        os.chmod(root / path, mode)
    # Times last, deepest first: creating entries changes a directory's mtime.
    paths = sorted(spec, key=lambda s: -s.count("/"))
    for i, path in enumerate(paths):
        t = (times or {}).get(path, OLD + i * 60)
        os.utime(root / path, (t, t), follow_symlinks=False)
    t = (times or {}).get(".", OLD)
    os.utime(root, (t, t))


def snapshot(root: Path, with_times: bool = False) -> dict[str, tuple[object, ...]]:
    """Everything under ``root`` a program can see: type, mode, contents, links, targets
    (and modification times if asked)."""
    out: dict[str, tuple[object, ...]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            st = p.lstat()
            rel = str(p.relative_to(root))
            mtime = (st.st_mtime_ns,) if with_times else ()
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", oct(st.st_mode & 0o7777), *mtime)
            else:
                out[rel] = ("file", oct(st.st_mode & 0o7777), st.st_nlink, p.read_bytes(), *mtime)
    return out


def script(*commands: str) -> str:
    """One shell script: each command with its stderr on stdout, then its status."""
    return "\n".join(f'{c} 2>&1; echo "[rc=$?]"' for c in commands)


def compare(
    userland: Userland,
    commands: Sequence[str],
    spec: Spec | None = None,
    *,
    modes: Mapping[str, int] | None = None,
    times: Mapping[str, float] | None = None,
    stdin: bytes = b"",
    normalize: Callable[[bytes], bytes] | None = None,
    with_times: bool = False,
    mutates: bool = True,
) -> Ran:
    """Run ``commands`` inside (in ``/host``) and natively (in the same folder) and
    require the same output, status and resulting tree. The tree is built from
    ``spec`` before each run if ``mutates``, else once (so inode numbers and change
    times are the same for both). Returns what ran inside."""
    text = script(*commands)
    norm = normalize or (lambda b: b)
    if spec is not None:
        build(userland.host, spec, modes, times)
    # Read-only scripts run on one tree; the snapshot reads every file first, so the
    # access times either run sees are the same.
    before = None if mutates else snapshot(userland.host, with_times)
    inside = userland.inside(["sh", "-c", text], stdin=stdin)
    after_inside = before if before is not None else snapshot(userland.host, with_times)
    if mutates:
        userland.clear()
        if spec is not None:
            build(userland.host, spec, modes, times)
    native = userland.native(["sh", "-c", text], stdin=stdin)
    after_native = snapshot(userland.host, with_times)
    got, want = (norm(r.stdout).decode(errors="replace") for r in (inside, native))
    assert got == want, "inside differs from the host (-host +inside):\n" + "".join(
        difflib.unified_diff(want.splitlines(True), got.splitlines(True), n=1))
    assert (inside.exit_code, norm(inside.stderr)) == (native.exit_code, norm(native.stderr)), (
        f"inside: {inside.exit_code} {inside.stderr!r}, host: {native.exit_code} {native.stderr!r}")
    assert after_inside == after_native, _tree_diff(after_native, after_inside)
    return inside


def _tree_diff(want: dict[str, tuple[object, ...]], got: dict[str, tuple[object, ...]]) -> str:
    keys = sorted(set(want) | set(got))
    return "trees differ (host, inside):\n" + "\n".join(
        f"{k}: {want.get(k)!r:.120} != {got.get(k)!r:.120}"
        for k in keys if want.get(k) != got.get(k))


def recent() -> float:
    """A time an hour ago: ls -l shows the time of day, not the year."""
    return time.time() - 3600
