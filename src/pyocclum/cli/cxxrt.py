"""occlum-c++'s C++ runtime: libc++, libc++abi and libunwind with wasm exceptions.

zig links its own libc++ and libc++abi into every ``zig c++`` link, but for
wasm32-wasi it builds them with ``-fno-exceptions`` and without
``cxa_exception.cpp``/``cxa_personality.cpp``, so a ``throw`` cannot link
(``__cxa_throw``, ``__cxa_allocate_exception``, ``__wasm_lpad_context`` are
missing). zig ships the sources of all three libraries; this module builds
them with wasm exception handling into one archive, ``libcxxrt.a``, and
gives occlum-c++ the flags that go with it:

* ``-fwasm-exceptions -Xclang -target-feature -Xclang +exception-handling
  -mllvm -wasm-use-legacy-eh=false``: the exceptions proposal in its final
  form (``try_table``/``exnref``), which is what wasmtime implements (it
  rejects the legacy ``try``/``delegate`` instructions, which clang 22 still
  emits by default). zig overrides the feature that ``-fwasm-exceptions``
  turns on with its CPU model's list, hence the explicit one after it.
* ``-nostdlib++`` so zig links neither its libc++ nor its libc++abi (they
  come before the user's inputs on zig's link line, so ours could not replace
  them), and therefore also the C++ include path and the ``_LIBCPP_*``
  configuration macros that zig would have passed, read from zig itself
  (``zig c++ -###``) so they follow zig's version, as ``-I`` options (an
  ``-isystem`` of ours would come after the C headers, where libc++'s
  wrappers of ``<stdlib.h>``... must not be).

The runtime is libunwind's ``Unwind-wasm.c`` (the landing-pad context and
``_Unwind_RaiseException`` as the wasm ``throw`` instruction), libc++abi
with ``cxa_exception``/``cxa_personality``, libc++ (with
``src/filesystem``, which zig leaves out on wasi, so ``_LIBCPP_HAS_FILESYSTEM=1``),
and a definition of the ``__cpp_exception`` tag (clang only references it).
It is built like libocclum: once, into
``<cache root>/cxxrt-<pyocclum version>-<hash>/``, where the hash covers the
zig version (which fixes the library sources), the flags and libocclum's
headers (the runtime is compiled against them, as programs are); in a
temporary folder renamed into place, under a lock file so that parallel
compiles wait for one build instead of each doing it.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import itertools
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

from pyocclum import __version__

TARGET = "wasm32-wasi"
ARCHIVE_NAME = "libcxxrt.a"
START_OBJECT_NAME = "cxxrt_start.o"
#: The C++ libraries a g++ link line may name; occlum-cc/occlum-c++ link this
#: runtime in their place.
LIBRARY_FLAGS = frozenset({"-lstdc++", "-lc++", "-lc++abi", "-lsupc++"})
#: The export a C++ program is started through (wasm/executor.py prefers it to _start).
START_EXPORT = "__occlum_start"
# The feature goes to clang itself (-Xclang, after zig's own feature list, so
# it wins): as zig's -mexception-handling it would change zig's target, and
# zig would build and link a second wasi-libc just for C++ programs.
EXCEPTION_FLAGS = ("-fwasm-exceptions", "-Xclang", "-target-feature", "-Xclang",
                   "+exception-handling", "-mllvm", "-wasm-use-legacy-eh=false")

LIBCXXABI_SOURCES = (
    "abort_message", "cxa_aux_runtime", "cxa_default_handlers", "cxa_demangle",
    "cxa_exception", "cxa_exception_storage", "cxa_guard", "cxa_handlers",
    "cxa_personality", "cxa_vector", "cxa_virtual", "fallback_malloc",
    "private_typeinfo", "stdlib_exception", "stdlib_new_delete", "stdlib_stdexcept",
    "stdlib_typeinfo",
)
LIBCXXABI_THREAD_SOURCES = ("cxa_thread_atexit",)
LIBCXX_SOURCES = (
    "algorithm", "any", "bind", "call_once", "charconv", "chrono", "error_category",
    "exception", "expected", "fstream", "functional", "hash", "ios", "ios.instantiations",
    "iostream", "locale", "memory", "memory_resource", "new", "new_handler", "new_helpers",
    "optional", "ostream", "print", "random", "random_shuffle", "regex", "ryu/d2fixed",
    "ryu/d2s", "ryu/f2s", "stdexcept", "string", "strstream", "system_error", "typeinfo",
    "valarray", "variant", "vector", "verbose_abort",
    # zig leaves these out on wasi (wasi-libc lacks fchmod...); libocclum has
    # what they call, so <filesystem> and <fstream> are there, as on Linux.
    "filesystem/directory_entry", "filesystem/directory_iterator",
    "filesystem/filesystem_clock", "filesystem/filesystem_error", "filesystem/operations",
    "filesystem/path",
)
LIBCXX_THREAD_SOURCES = (
    "atomic", "barrier", "condition_variable", "condition_variable_destructor", "future",
    "mutex", "mutex_destructor", "shared_mutex", "thread",
)

# Flags of every runtime source (after occlum-c++'s own, see runtime_flags).
_COMMON_CFLAGS = ("-O2", "-g0", "-DNDEBUG", "-fvisibility=hidden",
                  "-fvisibility-inlines-hidden")
_LIBCXX_CFLAGS = (
    "-std=c++23", "-D_LIBCPP_BUILDING_LIBRARY", "-DLIBCXX_BUILDING_LIBCXXABI",
    "-D_LIBCPP_HAS_NO_PRAGMA_SYSTEM_HEADER", "-DLIBC_NAMESPACE=__llvm_libc_common_utils",
    "-faligned-allocation", "-Wno-user-defined-literals", "-Wno-covered-switch-default",
    "-Wno-suggest-override",
)
_LIBCXXABI_CFLAGS = (
    "-std=c++23", "-D_LIBCPP_BUILDING_LIBRARY", "-D_LIBCXXABI_BUILDING_LIBRARY",
    "-fstrict-aliasing", "-Wno-user-defined-literals", "-Wno-covered-switch-default",
    "-Wno-suggest-override",
)
_LIBUNWIND_CFLAGS = ("-std=c11", "-D_LIBUNWIND_IS_NATIVE_ONLY", "-D_LIBUNWIND_HIDE_SYMBOLS")

# Linux ends a program whose exception nobody catches with std::terminate,
# whose handler prints the exception and calls abort(). A wasm exception
# that nobody catches leaves the instance as a trap instead (there is no
# search phase to notice it before unwinding), so every C++ program exports
# this entry, which runs wasi-libc's _start and hands such an exception to
# std::terminate; libocclum's thread start does the same for each thread
# (__occlum_cxx_thread_run). The frames it unwound have run their
# destructors: a difference from Linux, which terminates without unwinding.
_START_SOURCE = """\
#include <exception>
extern "C" void _start(void);
extern "C" __attribute__((export_name("__occlum_start"))) void __occlum_cxx_start(void) {
    try {
        _start();
    } catch (...) {
        std::terminate();
    }
}
// libocclum's thread start calls this (a weak symbol) for a thread's start routine.
extern "C" void *__occlum_cxx_thread_run(void *(*start)(void *), void *arg) {
    try {
        return start(arg);
    } catch (...) {
        std::terminate();
    }
}
"""

# To copy a file libc++ tries copy_file_range (it assumes musl has it) and
# sendfile (when <sys/sendfile.h> exists), then falls back to reading and
# writing. wasi-libc has neither function, so operations.cpp gets these
# stand-ins, failing with the errnos that choose the fallback.
_COPY_FILE_RANGE_SHIM = """\
#include <errno.h>
#include <sys/types.h>
#define copy_file_range __occlum_cxxrt_copy_file_range
#define sendfile __occlum_cxxrt_sendfile
extern "C" {
static inline ssize_t copy_file_range(int, off_t *, int, off_t *, size_t, unsigned) {
    errno = ENOSYS;
    return -1;
}
static inline ssize_t sendfile(int, int, off_t *, size_t) {
    errno = EINVAL;
    return -1;
}
}
"""

# clang references the tag that C++ exceptions are thrown with but never
# defines it (emscripten's compiler-rt has the same few lines).
_CPP_EXCEPTION_TAG = """\
# The wasm exception tag of C++ exceptions (payload: the exception's address).
.globl __cpp_exception
.tagtype __cpp_exception i32
__cpp_exception:
"""


class CxxRuntimeError(Exception):
    """Building the C++ runtime failed (the compiler's output is in the message)."""


def zig_lib_dir() -> Path:
    """zig's lib folder (libc++, libc++abi and libunwind sources and headers)."""
    spec = importlib.util.find_spec("ziglang")
    if spec is None or spec.origin is None:
        raise CxxRuntimeError("the ziglang package is not installed")
    return Path(spec.origin).parent / "lib"


def include_flags() -> list[str]:
    """``-I`` options for libc++'s and libc++abi's headers (see the module doc)."""
    lib = zig_lib_dir()
    return ["-I", str(lib / "libcxx" / "include"), "-I", str(lib / "libcxxabi" / "include")]


@cache
def zig_libcxx_defines() -> tuple[str, ...]:
    """The ``-D_LIBCPP_*``/``-D_LIBCXXABI_*`` options zig gives a wasm32-wasi C++ compile.

    Read from ``zig c++ -###`` (a dry run, ~20 ms) so they follow zig's
    version; ``_LIBCPP_HAS_THREADS`` and ``_LIBCPP_HAS_FILESYSTEM`` are left
    out (``libcxx_defines`` sets them).
    """
    cmd = [sys.executable, "-m", "ziglang", "c++", "-target", TARGET, "-###",
           "-x", "c++", "-c", "/dev/null", "-o", "/dev/null"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    args: list[str] = []
    for line in (proc.stdout + proc.stderr).splitlines():
        if "-cc1" in line:
            args = shlex.split(line)
            break
    defines = tuple(
        f"-D{value}" for flag, value in itertools.pairwise(args)
        if flag == "-D" and value.startswith(("_LIBCPP", "_LIBCXXABI"))
        and not value.startswith(("_LIBCPP_HAS_THREADS", "_LIBCPP_HAS_FILESYSTEM"))
    )
    if not any(d.startswith("-D_LIBCPP_ABI_VERSION") for d in defines):
        raise CxxRuntimeError(f"cannot read libc++'s configuration from {' '.join(cmd)}")
    return defines


def libcxx_defines(threads: bool) -> list[str]:
    """zig's libc++ configuration, with threads on or off, and with <filesystem>."""
    return [*zig_libcxx_defines(), f"-D_LIBCPP_HAS_THREADS={int(threads)}",
            "-D_LIBCPP_HAS_FILESYSTEM=1"]


def compile_flags(threads: bool = False) -> list[str]:
    """What occlum-c++ adds to every command (before the user's arguments).

    Exceptions are on, as with g++; a user ``-fno-exceptions`` later on the
    command line turns them off again.
    """
    return [*EXCEPTION_FLAGS, "-nostdlib++", *include_flags(), *libcxx_defines(threads)]


def runtime_flags(base: Sequence[str], threads: bool) -> list[str]:
    """Flags of every runtime source: occlum-c++'s (``base``: target, libocclum's
    include dir, emulation macros, thread flags) plus ours."""
    return [*base, *compile_flags(threads), *_COMMON_CFLAGS]


def _jobs(base: Sequence[str], threads: bool, dest: Path) -> list[list[str]]:
    lib = zig_lib_dir()
    zig = [sys.executable, "-m", "ziglang"]
    flags = runtime_flags(base, threads)
    src_includes = ["-I", str(lib / "libcxx" / "src"), "-I", str(lib / "libcxx" / "libc")]
    jobs = [[*zig, "cc", *base, *EXCEPTION_FLAGS, *_COMMON_CFLAGS, *_LIBUNWIND_CFLAGS,
             "-I", str(lib / "libunwind" / "include"), "-c",
             str(lib / "libunwind" / "src" / "Unwind-wasm.c"), "-o", "unwind-wasm.o"],
            [*zig, "cc", *base, *EXCEPTION_FLAGS, "-c", "cpp_exception.S",
             "-o", "cpp_exception.o"],
            [*zig, "c++", *flags, "-std=c++17", "-c", "cxxrt_start.cc", "-o", START_OBJECT_NAME]]
    abi = LIBCXXABI_SOURCES + (LIBCXXABI_THREAD_SOURCES if threads else ())
    abi_flags = [*_LIBCXXABI_CFLAGS, *([] if threads else ["-D_LIBCXXABI_HAS_NO_THREADS"])]
    for name in abi:
        jobs.append([*zig, "c++", *flags, *abi_flags, *src_includes, "-c",
                     str(lib / "libcxxabi" / "src" / f"{name}.cpp"), "-o", f"abi-{name}.o"])
    for name in LIBCXX_SOURCES + (LIBCXX_THREAD_SOURCES if threads else ()):
        obj = f"cxx-{name.replace('/', '-')}.o"
        shim = ["-include", "copy_file_range.h"] if name == "filesystem/operations" else []
        jobs.append([*zig, "c++", *flags, *_LIBCXX_CFLAGS, *src_includes, *shim, "-c",
                     str(lib / "libcxx" / "src" / f"{name}.cpp"), "-o", obj])
    (dest / "cpp_exception.S").write_text(_CPP_EXCEPTION_TAG)
    (dest / "cxxrt_start.cc").write_text(_START_SOURCE)
    (dest / "copy_file_range.h").write_text(_COPY_FILE_RANGE_SHIM)
    return jobs


def _run(cmd: list[str], cwd: Path, verbose: bool) -> None:
    if verbose:
        print(shlex.join(cmd), file=sys.stderr)
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise CxxRuntimeError(
            f"building the C++ runtime failed ({shlex.join(cmd)}):\n{proc.stdout}{proc.stderr}")


def build_runtime(dest: Path, base: Sequence[str], threads: bool, verbose: bool = False) -> None:
    """Compile the runtime into ``dest``: ``libcxxrt.a``, and ``cxxrt_start.o``
    (linked as an object: nothing refers to its export). ``dest`` exists and is empty."""
    jobs = _jobs(base, threads, dest)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda cmd: _run(cmd, dest, verbose), jobs))
    objects = sorted(p.name for p in dest.glob("*.o") if p.name != START_OBJECT_NAME)
    _run([sys.executable, "-m", "ziglang", "ar", "rcs", ARCHIVE_NAME, *objects], dest, verbose)
    for name in (*objects, "cpp_exception.S", "cxxrt_start.cc", "copy_file_range.h"):
        (dest / name).unlink()


def runtime_key(base: Sequence[str], threads: bool, headers: Sequence[Path],
                zig_version: str) -> str:
    """Hash of everything that decides the runtime's build output."""
    h = hashlib.sha256()
    for part in (__version__, zig_version, str(zig_lib_dir()), str(threads),
                 *runtime_flags(base, threads), _CPP_EXCEPTION_TAG, _START_SOURCE,
                 _COPY_FILE_RANGE_SHIM,
                 *_LIBCXX_CFLAGS, *_LIBCXXABI_CFLAGS, *_LIBUNWIND_CFLAGS,
                 *LIBCXX_SOURCES, *LIBCXXABI_SOURCES):
        h.update(part.encode() + b"\0")
    for path in sorted(headers):
        data = path.read_bytes()
        h.update(path.name.encode() + b"\0" + len(data).to_bytes(8, "little") + data)
    return h.hexdigest()[:16]


def ensure_runtime(cache_root: Path, base: Sequence[str], threads: bool,
                   headers: Sequence[Path], zig_version: str, verbose: bool = False) -> Path:
    """Return the folder holding ``libcxxrt.a`` and ``cxxrt_start.o``, building
    them on first use.

    ``base`` are occlum-c++'s compile flags for the target (the runtime is
    compiled with them), ``headers`` the files they make visible (libocclum's
    include dir), which go into the cache key. A folder that exists is
    complete; builds are serialised by a lock file in ``cache_root``.
    """
    final = cache_root / f"cxxrt-{__version__}-{runtime_key(base, threads, headers, zig_version)}"
    if final.is_dir():
        return final
    cache_root.mkdir(parents=True, exist_ok=True)
    with (cache_root / ".cxxrt.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if final.is_dir():  # another process built it while we waited
            return final
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=cache_root))
        try:
            build_runtime(tmp, base, threads, verbose=verbose)
            tmp.chmod(0o755)
            tmp.rename(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return final
