"""`occlum-cc` / `occlum-c++`: gcc-like compiler drivers for PyOcclum programs.

Both run ``python -m ziglang cc|c++ -target wasm32-wasi`` (zig ships clang,
wasm-ld and wasi-libc on PyPI) and add what a LibOS process needs:

* our include dir first on the include path (``-I``), so it can supply
  missing POSIX headers and wrap existing ones (its ``unistd.h`` routes
  ``chdir`` through libocclum);
* ``-D_WASI_EMULATED_{SIGNAL,PROCESS_CLOCKS,GETPID,MMAN}``, and when linking
  the matching ``-lwasi-emulated-*`` libraries, so common sources compile;
* ``-fno-builtin-malloc -fno-builtin-calloc -fno-builtin-realloc``: clang
  may delete an allocation whose block is never read (a loop that mallocs and
  memsets until malloc returns NULL becomes an endless empty loop: issue 16's
  memory bomb), gcc (Occlum's occlum-gcc) never does; with these every
  allocation reaches the allocator, so a program sees its memory limit;
* ``-O2`` when the user gave no ``-O`` option. gcc defaults to ``-O0``, but
  at ``-O0`` zig also links a debug build of wasi-libc (hello world grows
  from 7.5 KB to 25 KB) and unoptimised wasm runs much slower. Pass ``-O0`` to get gcc's
  default;
* ``-g0`` when the user gave no ``-g`` (zig's clang emits debug info by
  default) and, when linking, ``-s`` (strip; a hello world is otherwise ~1 MB
  of wasi-libc debug info);
* C++ only: exceptions on, as with g++ (``-fno-exceptions`` still works), and
  our own build of libc++, libc++abi and libunwind with wasm exception
  handling instead of zig's, which has none (cli/cxxrt.py, docs/cxx.md);
* when linking: ``libocclum_init.o`` and ``libocclum.a`` (see below), and for
  C++ the runtime ``libcxxrt.a`` (built on first use, cached like libocclum).

Everything else (``-o -c -E -S -I -D -U -O* -g -l -L -W* -std= -f* -M* -x``,
several sources and objects, ``--``) passes through unchanged. Compiler
diagnostics go straight to the terminal and the exit status is the
compiler's. ``-v`` also prints the command that is run to stderr. Without
``-o`` the output names are the compiler's, like gcc: ``a.out``, ``x.o``, ``x.s``.

libocclum is built on first use into
``$PYOCCLUM_CACHE_DIR`` (default ``$XDG_CACHE_HOME/pyocclum``, default
``~/.cache/pyocclum``) ``/<pyocclum version>-<hash>/``, where the hash covers
its sources, headers, flags and the zig version. It is built in a temporary
folder that is then renamed into place, so concurrent compiles are safe and
a finished folder is never rebuilt.

Every linked program imports the ``occlum`` module (libocclum's start-up
constructor calls ``occlum.getcwd``; programs import more of it as they use
``chdir``, ``posix_spawn``, signals, ``fcntl`` ... see docs/abi.md). The
PyOcclum kernel always provides it. Tests that run a program under
wasmtime's own WASI as an oracle must define fallbacks with
``Linker.define_func``, as libocclum/README.md describes: e.g.
``abi_version() -> 2``; ``getcwd(buf, len, out_len)`` writes ``"/"`` (or
returns ENOSYS = 52); ``chdir(path, len) -> 0``. With those a program
behaves like a plain wasi-libc program, chdir included (except that under
the ``"/"`` fallback a chdir through ``..`` lands in ``/``; the ENOSYS
fallback has no such gap).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from pyocclum import __version__
from pyocclum.cli import cxxrt

# Built libocclum, C++ runtime and userland folders live where the native library does.
from pyocclum.native.library import cache_root

TARGET = "wasm32-wasi"
# Spellings of TARGET a user may pass with -target; anything else is refused.
ACCEPTED_TARGETS = frozenset({"wasm32-wasi", "wasm32-wasi-musl"})
LIBOCCLUM_DIR = Path(__file__).resolve().parent.parent / "libocclum"
INCLUDE_DIR = LIBOCCLUM_DIR / "include"
SOURCE_DIR = LIBOCCLUM_DIR / "src"
ARCHIVE_NAME = "libocclum.a"
INIT_OBJECT_NAME = "libocclum_init.o"
# Linked as an object rather than from the archive: a member holding only a
# constructor would never be pulled in (zig drops -Wl,-u and --whole-archive).
INIT_SOURCE_NAME = "init.c"
# A source with this marker in its first lines is merged into libocclum_init.o
# too (wasm-ld -r): an object always wins over wasi-libc's libc.a, so such a
# source can replace wasi-libc functions (e.g. its pthread stubs) by their names.
LINK_AS_OBJECT_MARKER = b"libocclum: link as an object"
# In the threaded variant those objects are kept apart, named with this prefix.
EXTRA_OBJECT_PREFIX = "libocclum_obj_"

EMULATIONS = ("signal", "process-clocks", "getpid", "mman")
EMULATION_DEFINES = tuple(f"-D_WASI_EMULATED_{e.upper().replace('-', '_')}" for e in EMULATIONS)
EMULATION_LIBS = tuple(f"-lwasi-emulated-{e}" for e in EMULATIONS)
DEFAULT_OPTIMIZATION = "-O2"
# setjmp/longjmp (libocclum's src/posix_setjmp.c): clang lowers them to wasm
# exceptions (the tag __c_longjmp), the exceptions proposal in its final form
# as occlum-c++'s (cxxrt.EXCEPTION_FLAGS); only functions that call setjmp
# change. The feature goes to clang itself (-Xclang), not to zig's target.
SJLJ_FLAGS = ("-Xclang", "-target-feature", "-Xclang", "+exception-handling",
              "-mllvm", "-wasm-enable-sjlj", "-mllvm", "-wasm-use-legacy-eh=false")

KEEP_ALLOCATIONS = ("-fno-builtin-malloc", "-fno-builtin-calloc", "-fno-builtin-realloc")
"""Every malloc/calloc/realloc call stays a call, as with gcc (module docstring)."""

# libocclum sees the same emulation headers as programs, and all of the API.
LIBOCCLUM_CFLAGS = (
    "-O2", "-g0", "-std=c11", "-Wall", "-Wextra", "-D__OCCLUM_BUILDING_LIBOCCLUM",
    "-D_GNU_SOURCE", *EMULATION_DEFINES,
)

# -pthread (docs/threads.md): the program's memory is a shared memory that
# every thread's instance imports, and everything (wasi-libc, libocclum, the
# program) is compiled with the atomics and bulk-memory features. zig's driver
# ignores -pthread for wasm32-wasi, so occlum-cc translates it.
THREAD_FLAGS = ("-matomics", "-mbulk-memory")
# wasm32's whole range: the kernel gives each process's memory a smaller
# maximum (its memory limit) when it creates it.
THREAD_MAX_MEMORY = (4 << 30) - (64 << 10)
THREAD_LINK_FLAGS = (
    f"-Wl,--shared-memory,--import-memory,--max-memory={THREAD_MAX_MEMORY}",
)

# Options whose value is the next argument (when not attached), so the value
# is neither an input file nor mistaken for an option.
_TAKES_VALUE = frozenset({
    "-o", "-I", "-D", "-U", "-L", "-l", "-x", "-MF", "-MT", "-MQ", "-include",
    "-imacros", "-isystem", "-idirafter", "-iquote", "-iprefix", "-iwithprefix",
    "-iwithprefixbefore", "-isysroot", "--sysroot", "-Xlinker", "-Xclang",
    "-Xpreprocessor", "-Xassembler", "-target", "--target", "-u", "-e", "-T",
    "-z", "-mllvm", "-arch", "-F", "-B",
})
# Any of these means the driver stops before linking.
_NO_LINK = frozenset({"-c", "-S", "-E", "-M", "-MM", "-fsyntax-only"})


class CompilerError(Exception):
    """occlum-cc cannot run the compiler (bad usage, or libocclum failed to build)."""


@dataclass(frozen=True)
class Request:
    """What a gcc-style command line asks for, as far as occlum-cc cares."""

    links: bool
    has_optimization: bool
    has_debug: bool
    strips: bool
    verbose: bool
    target: str | None
    no_stdlib: bool
    no_startfiles: bool
    threads: bool = False


def _is_debug_flag(arg: str) -> bool:
    """True for the -g options that turn debug info on (-g, -g3, -ggdb, -gdwarf-4...)."""
    if not arg.startswith("-g") or arg in ("-g0", "-ggdb0"):
        return False
    return not arg.startswith(("-gno-", "-gz", "-gcolumn-info", "-gcodeview"))


def parse_request(argv: Sequence[str]) -> Request:
    """Classify a gcc-style argument list without changing it.

    The driver links when at least one input (a file or ``-``) is given and
    none of ``-c -S -E -M -MM -fsyntax-only`` is; a bare ``occlum-cc
    --version`` therefore adds no link inputs.
    """
    inputs = 0
    no_link = False
    has_opt = has_debug = strips = verbose = False
    no_stdlib = no_startfiles = threads = False
    target: str | None = None
    i = 0
    while i < len(argv):
        arg = argv[i]
        i += 1
        if arg == "--":
            inputs += len(argv) - i
            break
        if arg == "-" or not arg.startswith("-"):
            inputs += 1
            continue
        if arg in _TAKES_VALUE:
            value = argv[i] if i < len(argv) else ""
            i += 1
            if arg in ("-target", "--target"):
                target = value
            continue
        if arg.startswith("--target="):
            target = arg.split("=", 1)[1]
        elif arg in _NO_LINK:
            no_link = True
        elif arg.startswith("-O"):
            has_opt = True
        elif _is_debug_flag(arg):
            has_debug = True
        elif arg in ("-g0", "-ggdb0"):
            has_debug = False
        elif arg in ("-s", "-Wl,-s", "-Wl,--strip-all"):
            strips = True
        elif arg == "-v":
            verbose = True
        elif arg in ("-nostdlib", "-nodefaultlibs"):
            no_stdlib = True
            no_startfiles = no_startfiles or arg == "-nostdlib"
        elif arg == "-nostartfiles":
            no_startfiles = True
        elif arg == "-pthread":
            threads = True
    return Request(
        links=inputs > 0 and not no_link,
        has_optimization=has_opt,
        has_debug=has_debug,
        strips=strips,
        verbose=verbose,
        target=target,
        no_stdlib=no_stdlib,
        no_startfiles=no_startfiles,
        threads=threads,
    )


def zig_command(cxx: bool) -> list[str]:
    """The command that runs zig's clang driver with this Python's ziglang."""
    return [sys.executable, "-m", "ziglang", "c++" if cxx else "cc"]


def compile_command(
    argv: Sequence[str], cxx: bool, libocclum_dir: Path | None = None,
    cxxrt_dir: Path | None = None,
) -> list[str]:
    """Translate an occlum-cc/occlum-c++ argument list into the zig command.

    Our flags come before the user's, so a user option that is repeated (say
    ``-fexceptions``) wins, and a user ``-x`` never applies to our inputs.
    When the command links, ``libocclum_dir`` holds ``libocclum.a`` and
    ``libocclum_init.o`` (default: build or reuse the cached ones), and
    ``cxxrt_dir`` the C++ runtime's ``libcxxrt.a`` (likewise).
    Raises CompilerError for a target other than wasm32-wasi.
    """
    req = parse_request(argv)
    cmd = zig_command(cxx)
    if req.target is None:
        cmd += ["-target", TARGET]
    elif req.target not in ACCEPTED_TARGETS:
        raise CompilerError(
            f"occlum-cc only builds {TARGET} programs (got -target {req.target})"
        )
    # zig cc defines NDEBUG when optimizing, which gcc never does: assert()
    # would vanish. Undefined here; a -DNDEBUG of the user's comes later and wins.
    cmd += ["-I", str(INCLUDE_DIR), *EMULATION_DEFINES, "-UNDEBUG", *KEEP_ALLOCATIONS]
    if cxx:
        cmd += [*cxxrt.compile_flags(threads=req.threads), "-mllvm", "-wasm-enable-sjlj"]
    else:
        cmd += SJLJ_FLAGS
    if not req.has_optimization:
        cmd.append(DEFAULT_OPTIMIZATION)
    if not req.has_debug:
        cmd.append("-g0")
    if req.threads:
        cmd += THREAD_FLAGS
        argv = [a for a in argv if a != "-pthread"]
    # g++-style link lines name the C++ library (-lstdc++...): ours is linked
    # instead (with them zig would link its own again), by occlum-cc too.
    links_cxx = cxx or any(a in cxxrt.LIBRARY_FLAGS for a in argv)
    argv = [a for a in argv if a not in cxxrt.LIBRARY_FLAGS]
    if req.links:
        if not req.has_debug and not req.strips:
            cmd.append("-s")
        if not req.no_stdlib:
            built = libocclum_dir if libocclum_dir is not None else ensure_libocclum(
                verbose=req.verbose, threads=req.threads)
            if not req.no_startfiles:
                cmd.append(str(built / INIT_OBJECT_NAME))
                cmd += sorted(str(p) for p in built.glob(f"{EXTRA_OBJECT_PREFIX}*.o"))
            cmd += [str(built / ARCHIVE_NAME), *EMULATION_LIBS]
            if links_cxx and "-nostdlib++" not in argv:
                rt = cxxrt_dir if cxxrt_dir is not None else ensure_cxx_runtime(
                    req.verbose, threads=req.threads)
                if not req.no_startfiles:
                    cmd.append(str(rt / cxxrt.START_OBJECT_NAME))
                cmd.append(str(rt / cxxrt.ARCHIVE_NAME))
        if req.threads:
            cmd += THREAD_LINK_FLAGS
    cmd += argv
    return cmd


def _library_files() -> list[Path]:
    files = [p for p in INCLUDE_DIR.rglob("*") if p.is_file()]
    files += [p for p in SOURCE_DIR.iterdir() if p.is_file()]
    return sorted(files)


def _zig_version() -> str:
    try:
        return importlib.metadata.version("ziglang")
    except importlib.metadata.PackageNotFoundError:  # e.g. run from a source tree
        return "unknown"


def _libocclum_cflags(threads: bool) -> tuple[str, ...]:
    return (*LIBOCCLUM_CFLAGS, *THREAD_FLAGS) if threads else LIBOCCLUM_CFLAGS


def libocclum_key(threads: bool = False) -> str:
    """Hash of everything that determines libocclum's build output."""
    h = hashlib.sha256()
    for part in (__version__, _zig_version(), TARGET, *_libocclum_cflags(threads)):
        h.update(part.encode() + b"\0")
    for path in _library_files():
        h.update(str(path.relative_to(LIBOCCLUM_DIR)).encode() + b"\0")
        data = path.read_bytes()
        h.update(len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:16]


def libocclum_path(threads: bool = False) -> Path:
    """The cache folder that holds (or will hold) this version's libocclum
    (its threaded variant, for -pthread programs, with ``threads``)."""
    return cache_root() / f"{__version__}-{libocclum_key(threads)}"


def _run_quietly(cmd: list[str], cwd: Path, verbose: bool) -> None:
    if verbose:
        print(shlex.join(cmd), file=sys.stderr)
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CompilerError(
            f"building libocclum failed ({shlex.join(cmd)}):\n{proc.stdout}{proc.stderr}"
        )


def build_libocclum(dest: Path, verbose: bool = False, threads: bool = False) -> None:
    """Compile libocclum's sources into ``dest`` (an existing empty folder).

    zig cc writes only one object per invocation, so each source is its own
    compiler process; they run in parallel. The threaded variant also
    assembles the ``.s`` sources (wasm assembly using atomics).
    """
    sources = sorted(SOURCE_DIR.glob("*.c"))
    if threads:
        sources = sorted([*sources, *SOURCE_DIR.glob("*.s")])
    base = [*zig_command(False), "-target", TARGET, *_libocclum_cflags(threads),
            "-I", str(INCLUDE_DIR), "-c"]
    jobs = [[*base, str(src), "-o", str(dest / f"{src.stem}.o")] for src in sources]
    with ThreadPoolExecutor(max_workers=min(8, len(jobs) or 1)) as pool:
        list(pool.map(lambda cmd: _run_quietly(cmd, dest, verbose), jobs))
    objects = [f"{src.stem}.o" for src in sources if _links_as_object(src)]
    members = [f"{src.stem}.o" for src in sources if not _links_as_object(src)]
    _run_quietly([sys.executable, "-m", "ziglang", "ar", "rcs", ARCHIVE_NAME, *members],
                 dest, verbose)
    if threads:
        # wasm-ld -r refuses TLS relocations against undefined symbols (errno
        # is thread-local here): the objects stay apart and are all linked.
        (dest / f"{Path(INIT_SOURCE_NAME).stem}.o").rename(dest / INIT_OBJECT_NAME)
        for name in objects:
            if name != f"{Path(INIT_SOURCE_NAME).stem}.o":
                (dest / name).rename(dest / f"{EXTRA_OBJECT_PREFIX}{name}")
        objects = []
    else:
        _run_quietly([sys.executable, "-m", "ziglang", "wasm-ld", "-r", "-o", INIT_OBJECT_NAME,
                      *objects], dest, verbose)
    for name in (*members, *objects):
        (dest / name).unlink()


def _links_as_object(src: Path) -> bool:
    """init.c, and sources marked LINK_AS_OBJECT_MARKER (in their first 512 bytes)."""
    if src.name == INIT_SOURCE_NAME:
        return True
    with src.open("rb") as f:
        return LINK_AS_OBJECT_MARKER in f.read(512)


def ensure_libocclum(verbose: bool = False, threads: bool = False) -> Path:
    """Return the folder with ``libocclum.a`` and ``libocclum_init.o``, building it once.

    The build happens in a temporary sibling folder that is renamed into
    place; if another process won the race, its result is used and ours is
    discarded. A folder that exists is complete and is never rebuilt.
    """
    final = libocclum_path(threads)
    if final.is_dir():
        return final
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        build_libocclum(tmp, verbose=verbose, threads=threads)
        tmp.chmod(0o755)  # mkdtemp's 0700 would hide a shared cache from other users
        try:
            tmp.rename(final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


def ensure_cxx_runtime(verbose: bool = False, threads: bool = False) -> Path:
    """The folder with occlum-c++'s runtime (cli/cxxrt.py), built once per variant.

    It is compiled with the flags and headers programs see, so it is keyed
    by libocclum's headers too; -pthread programs get a threaded variant.
    """
    headers = [p for p in INCLUDE_DIR.rglob("*") if p.is_file()]
    base = ["-target", TARGET, "-I", str(INCLUDE_DIR), *EMULATION_DEFINES,
            *(THREAD_FLAGS if threads else ())]
    try:
        return cxxrt.ensure_runtime(cache_root(), base, threads, headers, _zig_version(), verbose)
    except cxxrt.CxxRuntimeError as e:
        raise CompilerError(str(e)) from None


def run(argv: Sequence[str], cxx: bool) -> int:
    """Run occlum-cc (or occlum-c++ when ``cxx``) and return its exit status.

    The compiler inherits stdin/stdout/stderr; its exit status is returned
    unchanged. occlum-cc's own failures print ``occlum-cc: error: ...`` and
    return 1, like a compiler error.
    """
    name = "occlum-c++" if cxx else "occlum-cc"
    try:
        cmd = compile_command(argv, cxx)
    except (CompilerError, cxxrt.CxxRuntimeError) as e:
        print(f"{name}: error: {e}", file=sys.stderr)
        return 1
    req = parse_request(argv)
    if req.verbose:
        print(shlex.join(cmd), file=sys.stderr)
    try:
        rc = subprocess.run(cmd, check=False).returncode
    except OSError as e:
        print(f"{name}: error: cannot run the compiler: {e}", file=sys.stderr)
        return 1
    if rc == 0 and req.links and not req.threads and not req.no_stdlib:
        out = output_path(argv)
        if out is not None and imports_thread_spawn(out):
            relink_threaded(argv, cxx, out, name)
    return rc


def output_path(argv: Sequence[str]) -> Path | None:
    """The file a linking command writes (``-o FILE``, ``-oFILE``, else ``a.out``)."""
    out = "a.out"
    for i, arg in enumerate(argv):
        if arg == "-o" and i + 1 < len(argv):
            out = argv[i + 1]
        elif arg.startswith("-o") and len(arg) > 2:
            out = arg[2:]
    path = Path(out)
    return path if path.is_file() else None


def relink_threaded(argv: Sequence[str], cxx: bool, out: Path, name: str) -> bool:
    """Build again with ``-pthread`` a program that calls pthread_create (as
    glibc >= 2.34 programs may without -pthread); keep the first build if
    that fails (objects compiled without -pthread cannot be linked with it:
    its pthread_create then fails with EAGAIN). True if it was rebuilt."""
    first = out.read_bytes()
    try:
        cmd = compile_command(["-pthread", *argv], cxx)
        done = subprocess.run(cmd, check=False, capture_output=True).returncode == 0
    except (CompilerError, cxxrt.CxxRuntimeError, OSError):
        done = False
    if not done:
        out.write_bytes(first)
        print(f"{name}: warning: {out} calls pthread_create but cannot be linked with "
              "-pthread (its objects were compiled without it): threads will fail with "
              "EAGAIN", file=sys.stderr)
    return done


def imports_thread_spawn(path: Path) -> bool:
    """Whether the module at ``path`` imports ``occlum.thread_spawn`` (libocclum's
    single-threaded pthread_create does). False for anything unreadable."""
    try:
        data = path.read_bytes()
        return (b"occlum", b"thread_spawn") in _imports(data)
    except (OSError, IndexError, ValueError):
        return False


def _leb(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, pos


def _imports(data: bytes) -> set[tuple[bytes, bytes]]:
    """The (module, name) pairs of a wasm module's import section."""
    if data[:4] != b"\0asm":
        raise ValueError("not a wasm module")
    pos = 8
    while pos < len(data):
        section, pos = data[pos], pos + 1
        size, pos = _leb(data, pos)
        if section != 2:
            pos += size
            continue
        found = set()
        count, pos = _leb(data, pos)
        for _ in range(count):
            n, pos = _leb(data, pos)
            module, pos = data[pos:pos + n], pos + n
            n, pos = _leb(data, pos)
            field, pos = data[pos:pos + n], pos + n
            kind, pos = data[pos], pos + 1
            if kind == 0:  # function: a type index
                _, pos = _leb(data, pos)
            elif kind in (1, 2):  # table (element type first) or memory: limits
                pos += kind == 1
                flags, pos = data[pos], pos + 1
                _, pos = _leb(data, pos)
                if flags & 1:
                    _, pos = _leb(data, pos)
            elif kind == 3:  # global: value type, mutability
                pos += 2
            else:  # tag: attribute, type index
                _, pos = _leb(data, pos + 1)
            found.add((module, field))
        return found
    return set()


def _main(cxx: bool) -> None:
    sys.exit(run(sys.argv[1:], cxx))


def main_cc() -> None:
    """Console entry point of ``occlum-cc``."""
    _main(cxx=False)


def main_cxx() -> None:
    """Console entry point of ``occlum-c++``."""
    _main(cxx=True)
