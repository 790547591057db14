"""occlum-c++'s C++ runtime (cli/cxxrt.py): built once and cached, exceptions
that work across functions, an uncaught exception that ends the program as on
Linux, -fno-exceptions still honoured, and C programs untouched.

Programs run inside a PyOcclum instance (``occlum run``); the host's g++ is
the oracle where the behaviour is Linux's.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import wasmtime

from pyocclum.cli import cc, cxxrt
from pyocclum.config.template import new_instance
from pyocclum.wasm.executor import CXX_ENTRY, entry_of

OCCLUM = Path(sys.executable).parent / "occlum"
GXX = shutil.which("g++")

THROW_ACROSS = r"""
#include <iostream>
#include <stdexcept>
#include <string>
struct Noisy {
    const char *name;
    ~Noisy() { std::cout << "~" << name << "\n"; }
};
static int parse(const std::string &s) {
    Noisy n{"parse"};
    if (s.empty()) throw std::invalid_argument("empty input");
    return std::stoi(s);  // libc++'s own throw, from the runtime library
}
static int twice(const std::string &s) {
    Noisy n{"twice"};
    return 2 * parse(s);
}
int main() {
    std::cout << twice("21") << "\n";
    for (const char *input : {"", "x", "99999999999"}) {
        try {
            twice(input);
        } catch (const std::invalid_argument &e) {
            std::cout << "invalid_argument\n";
        } catch (const std::out_of_range &e) {
            std::cout << "out_of_range\n";
        }
    }
    try {
        throw 42;
    } catch (...) {
        std::cout << "catch(...)\n";
    }
    return 0;
}
"""

UNCAUGHT = r"""
#include <iostream>
#include <stdexcept>
static void fail() { throw std::runtime_error("boom"); }
int main() {
    std::cout << "before" << std::endl;
    fail();
    std::cout << "after\n";
}
"""


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A fresh cache: libocclum and the C++ runtime are built here once for the module."""
    root = tmp_path_factory.mktemp("pyocclum-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYOCCLUM_CACHE_DIR", str(root))
        yield root


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory, cache: Path) -> Path:
    """A built instance whose /host/bin holds the programs the tests compile."""
    folder = tmp_path_factory.mktemp("cxx") / "inst"
    new_instance(folder)
    config_path = folder / "Occlum.json"
    config = json.loads(config_path.read_text())
    config["entry_points"] = ["/bin", "/host/bin"]
    config_path.write_text(json.dumps(config, indent=2))
    (folder / "host" / "bin").mkdir(parents=True, exist_ok=True)
    subprocess.run([str(OCCLUM), "build"], cwd=folder, check=True, capture_output=True)
    return folder


def occlum_cxx(*argv: str | Path) -> int:
    return cc.run([str(a) for a in argv], cxx=True)


def build(tmp_path: Path, name: str, source: str, *flags: str) -> Path:
    src = tmp_path / f"{name}.cc"
    src.write_text(source)
    out = tmp_path / name
    assert occlum_cxx("-O1", "-std=gnu++17", "-Wall", *flags, src, "-o", out) == 0
    return out


def run_inside(instance: Path, program: Path) -> subprocess.CompletedProcess[str]:
    shutil.copy2(program, instance / "host" / "bin" / program.name)
    return subprocess.run([str(OCCLUM), "run", f"/host/bin/{program.name}"], cwd=instance,
                          capture_output=True, text=True, timeout=120, check=False)


def run_native(tmp_path: Path, name: str, source: str) -> subprocess.CompletedProcess[str]:
    assert GXX is not None
    src = tmp_path / f"{name}-native.cc"
    src.write_text(source)
    exe = tmp_path / f"{name}-native"
    subprocess.run([GXX, "-O1", "-std=gnu++17", str(src), "-o", str(exe)], check=True)
    return subprocess.run([str(exe)], capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(GXX is None, reason="needs the host's g++")
def test_throw_across_functions_is_caught_as_with_gxx(tmp_path: Path, instance: Path) -> None:
    inside = run_inside(instance, build(tmp_path, "across", THROW_ACROSS))
    native = run_native(tmp_path, "across", THROW_ACROSS)
    assert native.returncode == 0
    assert (inside.returncode, inside.stdout) == (0, native.stdout), inside.stderr
    assert inside.stdout.count("out_of_range") == 1


@pytest.mark.skipif(GXX is None, reason="needs the host's g++")
def test_uncaught_exception_terminates_with_sigabrt_as_with_gxx(
    tmp_path: Path, instance: Path
) -> None:
    inside = run_inside(instance, build(tmp_path, "uncaught", UNCAUGHT))
    native = run_native(tmp_path, "uncaught", UNCAUGHT)
    assert native.returncode == -signal.SIGABRT
    assert "terminate called after throwing an instance of 'std::runtime_error'" in native.stderr
    # The CLI reports a process killed by signal N as 128 + N, like a shell.
    assert inside.returncode == 128 + signal.SIGABRT, inside.stderr
    assert inside.stdout == native.stdout == "before\n"
    assert ("libc++abi: terminating due to uncaught exception of type std::runtime_error: boom"
            in inside.stderr)


def test_no_exceptions_is_still_honoured(
    tmp_path: Path, instance: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "throws.cc"
    src.write_text(THROW_ACROSS)
    assert occlum_cxx("-fno-exceptions", "-c", src, "-o", tmp_path / "throws.o") != 0
    assert "cannot use 'throw' with exceptions disabled" in capfd.readouterr().err
    plain = build(tmp_path, "plain", '#include <iostream>\n'
                  'int main() { std::cout << "no exceptions\\n"; }\n', "-fno-exceptions")
    ran = run_inside(instance, plain)
    assert (ran.returncode, ran.stdout) == (0, "no exceptions\n")


def test_runtime_is_built_once_and_cached(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = cc.ensure_cxx_runtime()
    assert first.parent == cache
    assert (first / cxxrt.ARCHIVE_NAME).is_file()
    assert (first / cxxrt.START_OBJECT_NAME).is_file()
    stamp = (first / cxxrt.ARCHIVE_NAME).stat().st_mtime_ns

    def no_rebuild(*args: object, **kwargs: object) -> None:
        raise AssertionError("the cached runtime was rebuilt")

    monkeypatch.setattr(cxxrt, "build_runtime", no_rebuild)
    results: list[Path] = []
    workers = [threading.Thread(target=lambda: results.append(cc.ensure_cxx_runtime()))
               for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert results == [first] * 4
    assert (first / cxxrt.ARCHIVE_NAME).stat().st_mtime_ns == stamp
    # A compile and link in the same cache reuses it too.
    build(tmp_path, "reuse", "int main() { return 0; }\n")
    assert sorted(p.name for p in cache.glob("cxxrt-*")) == [first.name]


def test_runtime_key_follows_threads_headers_and_zig() -> None:
    base = ["-target", cc.TARGET]
    key = cxxrt.runtime_key(base, False, [], "0.17.1")
    assert cxxrt.runtime_key(base, False, [], "0.17.1") == key
    assert cxxrt.runtime_key(base, True, [], "0.17.1") != key
    assert cxxrt.runtime_key(base, False, [], "0.18.0") != key
    assert cxxrt.runtime_key([*base, "-matomics"], False, [], "0.17.1") != key
    header = next(p for p in cc.INCLUDE_DIR.rglob("*.h"))
    assert cxxrt.runtime_key(base, False, [header], "0.17.1") != key


def test_zig_libcxx_configuration_is_read_from_zig() -> None:
    defines = cxxrt.zig_libcxx_defines()
    assert "-D_LIBCPP_ABI_VERSION=1" in defines
    assert not any(d.startswith(("-D_LIBCPP_HAS_THREADS", "-D_LIBCPP_HAS_FILESYSTEM"))
                   for d in defines)
    assert "-D_LIBCPP_HAS_THREADS=1" in cxxrt.compile_flags(threads=True)
    assert "-D_LIBCPP_HAS_THREADS=0" in cxxrt.compile_flags(threads=False)


def test_c_programs_are_unaffected(tmp_path: Path, cache: Path) -> None:
    cmd = cc.compile_command(["hello.c", "-o", "hello"], cxx=False,
                             libocclum_dir=Path("/fake"), cxxrt_dir=Path("/fake-cxx"))
    assert not set(cmd) & {"-fwasm-exceptions", "-nostdlib++"}
    assert not any("cxxrt" in arg or "libcxx" in arg for arg in cmd)
    assert not any(arg.startswith("-D_LIBCPP") for arg in cmd)
    src = tmp_path / "hello.c"
    src.write_text('#include <stdio.h>\nint main(void) { puts("c"); return 0; }\n')
    out = tmp_path / "hello.wasm"
    assert cc.run([str(src), "-o", str(out)], cxx=False) == 0
    # Started through _start: C programs export no C++ entry.
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(out))
    assert CXX_ENTRY not in {e.name for e in module.exports}
    assert entry_of(module, "hello").calls == ("_start",)


def test_cxx_programs_start_through_the_catching_entry(tmp_path: Path, cache: Path) -> None:
    out = build(tmp_path, "entry", "int main() { return 0; }\n")
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(out))
    exports = {e.name for e in module.exports}
    assert {"_start", CXX_ENTRY} <= exports
    assert entry_of(module, "entry").calls == (CXX_ENTRY,)
    assert CXX_ENTRY == cxxrt.START_EXPORT


@pytest.mark.parametrize("lib", sorted(cxxrt.LIBRARY_FLAGS))
def test_gxx_library_flags_link_our_runtime(lib: str) -> None:
    """A g++ link line's -lstdc++ (or -lc++...) means our runtime, never zig's,
    also when occlum-cc links C++ objects."""
    fake = Path("/fake-cxx")
    for cxx in (True, False):
        cmd = cc.compile_command(["main.o", lib, "-o", "prog"], cxx=cxx,
                                 libocclum_dir=Path("/fake"), cxxrt_dir=fake)
        assert lib not in cmd
        assert str(fake / cxxrt.ARCHIVE_NAME) in cmd
        assert str(fake / cxxrt.START_OBJECT_NAME) in cmd


def test_occlum_cc_links_cxx_objects_with_lstdcxx(tmp_path: Path, instance: Path) -> None:
    src = tmp_path / "obj.cc"
    src.write_text(THROW_ACROSS)
    obj = tmp_path / "obj.o"
    assert occlum_cxx("-c", src, "-o", obj) == 0
    out = tmp_path / "linked_by_cc"
    assert cc.run([str(obj), "-lstdc++", "-o", str(out)], cxx=False) == 0
    ran = run_inside(instance, out)
    assert (ran.returncode, ran.stdout.splitlines()[0]) == (0, "~parse"), ran.stderr

