"""occlum-cc / occlum-c++: command-line translation, real compiles, libocclum.

Programs run here under wasmtime's built-in WASI (allowed in tests only, as an
oracle), with the `occlum` imports defined by `FallbackKernel` (bench/stand_ins.py,
which the benchmarks' baselines use too) the way src/pyocclum/libocclum/README.md
tells test harnesses to.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest
import wasmtime
from bench.stand_ins import StandInKernel as FallbackKernel

import pyocclum
from pyocclum.cli import cc
from pyocclum.native.library import cache_root

WASI_ENOENT = 44
WASI_EACCES = 2
WASI_ENOSYS = 52
FAKE_LIB = Path("/fake/libocclum")
FAKE_CXXRT = Path("/fake/cxxrt")


# Build libocclum into a fresh cache of this module, not the user's (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("private_cache")


# --- command-line translation (no compiler run) ------------------------------


def translate(*argv: str, cxx: bool = False) -> list[str]:
    return cc.compile_command(list(argv), cxx, libocclum_dir=FAKE_LIB, cxxrt_dir=FAKE_CXXRT)


def ours(cmd: list[str], argv: tuple[str, ...]) -> list[str]:
    """The part of cmd that occlum-cc added between the zig driver and the user's args."""
    assert cmd[-len(argv):] == list(argv), "user arguments must come last, unchanged"
    return cmd[4:len(cmd) - len(argv)]


def test_link_adds_target_include_defines_libocclum_and_strip() -> None:
    argv = ("hello.c", "-o", "hello")
    cmd = translate(*argv)
    assert cmd[:4] == [sys.executable, "-m", "ziglang", "cc"]
    assert ours(cmd, argv) == [
        "-target", "wasm32-wasi",
        "-I", str(cc.INCLUDE_DIR),
        "-D_WASI_EMULATED_SIGNAL", "-D_WASI_EMULATED_PROCESS_CLOCKS",
        "-D_WASI_EMULATED_GETPID", "-D_WASI_EMULATED_MMAN",
        "-UNDEBUG",  # zig defines NDEBUG when optimizing; gcc never does
        *cc.KEEP_ALLOCATIONS,  # clang must not delete a malloc (issue 16)
        *cc.SJLJ_FLAGS,  # setjmp/longjmp as wasm exceptions
        "-O2", "-g0", "-s",
        str(FAKE_LIB / "libocclum_init.o"), str(FAKE_LIB / "libocclum.a"),
        "-lwasi-emulated-signal", "-lwasi-emulated-process-clocks",
        "-lwasi-emulated-getpid", "-lwasi-emulated-mman",
    ]


def test_our_include_dir_comes_before_the_users() -> None:
    cmd = translate("-Imine", "-I", "other", "-c", "a.c")
    includes = [a for a in cmd if a.startswith("-I")]
    assert includes[0] == "-I"
    assert cmd[cmd.index("-I") + 1] == str(cc.INCLUDE_DIR)
    assert cmd.index("-I") < cmd.index("-Imine")


@pytest.mark.parametrize("mode", ["-c", "-S", "-E", "-M", "-MM", "-fsyntax-only"])
def test_no_link_inputs_without_linking(mode: str) -> None:
    argv = (mode, "a.c", "-o", "a.out")
    added = ours(translate(*argv), argv)
    assert "-D_WASI_EMULATED_MMAN" in added
    assert not any(a.endswith((".a", ".o")) or a.startswith("-l") for a in added)
    assert "-s" not in added


def test_dependency_options_still_link() -> None:
    argv = ("-MMD", "-MF", "a.d", "-MT", "a", "a.c")
    assert str(FAKE_LIB / "libocclum.a") in translate(*argv)


def test_user_optimization_and_debug_replace_defaults() -> None:
    argv = ("-O0", "-g", "a.c")
    added = ours(translate(*argv), argv)
    assert not {"-O2", "-g0", "-s"} & set(added)
    argv = ("-Os", "-ggdb3", "a.c")
    assert not {"-O2", "-g0", "-s"} & set(ours(translate(*argv), argv))
    # -g0 after -g turns debug info back off, so the link strips again.
    argv = ("-g", "-g0", "a.c")
    assert "-s" in ours(translate(*argv), argv)


def test_option_values_are_not_inputs_or_flags() -> None:
    # "-o -c" names an output called "-c"; it must not switch off linking.
    argv = ("a.c", "-o", "-c")
    assert str(FAKE_LIB / "libocclum.a") in translate(*argv)
    # "-x c" is a language, not an input.
    assert str(FAKE_LIB / "libocclum.a") not in translate("-x", "c")


def test_double_dash_ends_options() -> None:
    argv = ("-O1", "--", "-weird-name.c")
    added = ours(translate(*argv), argv)
    assert str(FAKE_LIB / "libocclum.a") in added  # the input after -- links


def test_no_inputs_adds_nothing_to_link() -> None:
    for argv in (("--version",), ("-v",), ("-dumpversion",)):
        added = ours(translate(*argv), argv)
        assert not any(a.endswith((".a", ".o")) for a in added)


def test_nostdlib_and_nostartfiles() -> None:
    added = translate("-nostdlib", "a.c")
    assert not any(a.endswith((".a", ".o")) or a.startswith("-lwasi") for a in added)
    added = translate("-nostartfiles", "a.c")
    assert str(FAKE_LIB / "libocclum.a") in added
    assert str(FAKE_LIB / "libocclum_init.o") not in added


def test_cxx_has_exceptions_and_links_our_runtime_not_zigs() -> None:
    cmd = translate("a.cpp", cxx=True)
    assert cmd[3] == "c++"
    assert "-fwasm-exceptions" in cmd
    assert "-fno-exceptions" not in cmd
    assert "-nostdlib++" in cmd
    assert str(FAKE_CXXRT / "libcxxrt.a") in cmd
    c_cmd = translate("a.c")
    assert not {"-fwasm-exceptions", "-mexception-handling", "-nostdlib++"} & set(c_cmd)
    assert str(FAKE_CXXRT / "libcxxrt.a") not in c_cmd
    # A user -fno-exceptions comes last, so it wins (as with g++).
    assert translate("-fno-exceptions", "a.cpp", cxx=True)[-2] == "-fno-exceptions"
    assert str(FAKE_CXXRT / "libcxxrt.a") not in translate("-c", "a.cpp", cxx=True)
    assert str(FAKE_CXXRT / "libcxxrt.a") not in translate("-nostdlib++", "a.cpp", cxx=True)


def test_target() -> None:
    argv = ("-target", "wasm32-wasi-musl", "a.c")
    assert ours(translate(*argv), argv)[:2] != ["-target", "wasm32-wasi"]
    with pytest.raises(cc.CompilerError, match="x86_64-linux"):
        translate("-target", "x86_64-linux", "a.c")
    with pytest.raises(cc.CompilerError):
        translate("--target=aarch64-linux", "a.c")


def test_cache_root(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PYOCCLUM_CACHE_DIR", str(tmp_path / "x"))
    assert cache_root() == tmp_path / "x"
    monkeypatch.delenv("PYOCCLUM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "pyocclum"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache_root() == Path.home() / ".cache" / "pyocclum"
    assert cc.libocclum_path().name.startswith(f"{pyocclum.__version__}-")


# --- running programs under wasmtime's WASI with fallback `occlum` imports ----


def run_wasm(
    wasm: Path, root: Path, *args: str, kernel: FallbackKernel | None = None
) -> tuple[int, str]:
    """Run wasm with `root` preopened as "/"; return (exit code, stdout)."""
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    module = wasmtime.Module.from_file(engine, str(wasm))
    (kernel or FallbackKernel()).define(linker, module)
    store = wasmtime.Store(engine)
    config = wasmtime.WasiConfig()
    config.argv = [wasm.name, *args]
    out = root.parent / f"{wasm.name}.stdout"
    config.stdout_file = str(out)
    config.inherit_stderr()
    config.preopen_dir(str(root), "/")
    store.set_wasi(config)
    instance = linker.instantiate(store, module)
    start = instance.exports(store)["_start"]
    assert isinstance(start, wasmtime.Func)
    try:
        start(store)
        code = 0
    except wasmtime.ExitTrap as e:
        code = e.code
    return code, out.read_text()


def occlum_cc(*argv: str | Path, cxx: bool = False) -> int:
    return cc.run([str(a) for a in argv], cxx)


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


HELLO = '#include <stdio.h>\nint main(void) { printf("hello, occlum\\n"); return 0; }\n'


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty guest root directory with /tmp."""
    r = tmp_path / "root"
    (r / "tmp").mkdir(parents=True)
    return r


def test_hello_world_compiles_and_runs(tmp_path: Path, root: Path) -> None:
    src = write(tmp_path / "hello.c", HELLO)
    out = tmp_path / "hello.wasm"
    assert occlum_cc(src, "-o", out) == 0
    assert run_wasm(out, root) == (0, "hello, occlum\n")
    # Stripped and optimised: small, and the only non-WASI import is getcwd.
    assert out.stat().st_size < 20_000
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(out))
    foreign = {(i.module, i.name) for i in module.imports
               if i.module != "wasi_snapshot_preview1"}
    assert foreign == {("occlum", "getcwd")}


def test_default_output_names_are_gccs(
    tmp_path: Path, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "hello.c", HELLO)
    monkeypatch.chdir(tmp_path)
    assert occlum_cc("hello.c") == 0
    assert run_wasm(tmp_path / "a.out", root) == (0, "hello, occlum\n")
    assert occlum_cc("-c", "hello.c") == 0
    assert (tmp_path / "hello.o").is_file()


def test_compile_error_passes_through(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path / "broken.c", "int main(void) { return undeclared_thing; }\n")
    rc = occlum_cc(src, "-o", tmp_path / "broken.wasm")
    err = capfd.readouterr().err
    assert rc == 1  # clang's exit status, unchanged
    assert "broken.c:1:" in err
    assert "error: use of undeclared identifier 'undeclared_thing'" in err
    assert not (tmp_path / "broken.wasm").exists()


def test_verbose_prints_command(tmp_path: Path, capfd: pytest.CaptureFixture[str]) -> None:
    src = write(tmp_path / "hello.c", HELLO)
    assert occlum_cc("-v", "-c", src, "-o", tmp_path / "hello.o") == 0
    err = capfd.readouterr().err
    assert f"-m ziglang cc -target wasm32-wasi -I {cc.INCLUDE_DIR}" in err


def test_main_cc_exits_with_compiler_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = write(tmp_path / "hello.c", HELLO)
    monkeypatch.setattr(sys, "argv", ["occlum-cc", "-c", str(src), "-o", str(tmp_path / "h.o")])
    with pytest.raises(SystemExit) as done:
        cc.main_cc()
    assert done.value.code == 0
    monkeypatch.setattr(sys, "argv", ["occlum-cc", "-target", "x86_64-linux", str(src)])
    with pytest.raises(SystemExit) as done:
        cc.main_cc()
    assert done.value.code == 1


def test_compile_objects_then_link(tmp_path: Path, root: Path) -> None:
    write(tmp_path / "greet.h", "const char *greeting(void);\n")
    write(tmp_path / "greet.c", '#include "greet.h"\n'
          'const char *greeting(void) { return "two objects"; }\n')
    write(tmp_path / "main.c", '#include <stdio.h>\n#include "greet.h"\n'
          'int main(void) { puts(greeting()); return 3; }\n')
    for name in ("greet", "main"):
        assert occlum_cc("-c", tmp_path / f"{name}.c", "-o", tmp_path / f"{name}.o") == 0
    out = tmp_path / "prog.wasm"
    assert occlum_cc(tmp_path / "main.o", tmp_path / "greet.o", "-o", out) == 0
    assert run_wasm(out, root) == (3, "two objects\n")


def test_cxx_iostream(tmp_path: Path, root: Path) -> None:
    src = write(tmp_path / "hello.cpp", """
#include <iostream>
#include <string>
#include <vector>
int main() {
    std::vector<std::string> words{"c++", "works"};
    for (const auto &w : words) std::cout << w << ' ';
    std::cout << std::endl;
}
""")
    out = tmp_path / "hello.wasm"
    assert occlum_cc(src, "-std=c++17", "-o", out, cxx=True) == 0
    assert run_wasm(out, root) == (0, "c++ works \n")


def test_emulated_posix_functions_compile(tmp_path: Path, root: Path) -> None:
    src = write(tmp_path / "emu.c", """
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
int main(void) {
    signal(SIGINT, SIG_IGN);
    void *p = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("%d %d %d\\n", p != MAP_FAILED, getpid() > 0, clock() >= 0);
    return 0;
}
""")
    out = tmp_path / "emu.wasm"
    assert occlum_cc("-Wall", "-Werror", src, "-o", out) == 0
    assert run_wasm(out, root) == (0, "1 1 1\n")


# --- libocclum cache ---------------------------------------------------------


def _fingerprint(folder: Path) -> list[tuple[str, int, int]]:
    return sorted((p.name, p.stat().st_ino, p.stat().st_mtime_ns)
                  for p in [folder, *folder.iterdir()])


def test_libocclum_is_built_once_and_reused(tmp_path: Path) -> None:
    first = cc.ensure_libocclum()
    assert {p.name for p in first.iterdir()} == {"libocclum.a", "libocclum_init.o"}
    before = _fingerprint(first)
    src = write(tmp_path / "hello.c", HELLO)
    assert occlum_cc(src, "-o", tmp_path / "hello.wasm") == 0
    assert cc.ensure_libocclum() == first
    assert _fingerprint(first) == before


def test_concurrent_first_builds_agree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYOCCLUM_CACHE_DIR", str(tmp_path / "cache"))
    results: list[Path] = []
    errors: list[BaseException] = []

    def build() -> None:
        try:
            results.append(cc.ensure_libocclum())
        except BaseException as e:  # reported by the assert below
            errors.append(e)

    threads = [threading.Thread(target=build) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(results)) == 1
    # Only the finished folder is left: the losers' temporary folders are gone.
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [results[0].name]


# --- the current directory ---------------------------------------------------

CWD_TOOL = r"""
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Commands from argv: "cd PATH", "pwd", "cat FILE", "fpcd PATH" (chdir
   through a function pointer). */
int main(int argc, char **argv) {
    int (*cd)(const char *) = chdir;
    char buf[512];
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "pwd")) {
            printf("pwd %s\n", getcwd(buf, sizeof buf) ? buf : strerror(errno));
        } else if (!strcmp(argv[i], "cd") || !strcmp(argv[i], "fpcd")) {
            const char *p = argv[++i];
            int rc = argv[i - 1][0] == 'f' ? cd(p) : chdir(p);
            printf("cd %s %d %s\n", p, rc, rc ? strerror(errno) : "ok");
        } else if (!strcmp(argv[i], "cat")) {
            FILE *f = fopen(argv[++i], "r");
            if (!f) { printf("cat %s\n", strerror(errno)); continue; }
            size_t n = fread(buf, 1, sizeof buf - 1, f);
            buf[n] = 0;
            printf("cat %s", buf);
            fclose(f);
        }
    }
    return 0;
}
"""


@pytest.fixture(scope="module")
def cwd_tool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cwd-tool")
    src = write(folder / "cwd_tool.c", CWD_TOOL)
    out = folder / "cwd_tool.wasm"
    assert occlum_cc("-Wall", "-Werror", src, "-o", out) == 0
    return out


def test_chdir_tells_the_kernel(cwd_tool: Path, root: Path) -> None:
    kernel = FallbackKernel()
    write(root / "tmp" / "note.txt", "in tmp\n")
    code, out = run_wasm(cwd_tool, root, "cd", "/tmp", "pwd", "cat", "note.txt",
                         "fpcd", "/", "pwd", kernel=kernel)
    assert code == 0
    assert out == "cd /tmp 0 ok\npwd /tmp\ncat in tmp\ncd / 0 ok\npwd /\n"
    assert kernel.chdir_calls == ["/tmp", "/"]


def test_chdir_relative_paths_reach_the_kernel_absolute(cwd_tool: Path, root: Path) -> None:
    (root / "tmp" / "a" / "b").mkdir(parents=True)
    kernel = FallbackKernel(tracking=True)
    code, out = run_wasm(cwd_tool, root, "cd", "tmp//./a/", "cd", "b", "cd", "..", "pwd",
                         kernel=kernel)
    assert code == 0
    assert out.splitlines()[-1] == "pwd /tmp/a"  # the kernel's canonical path
    assert kernel.chdir_calls == ["/tmp/a", "/tmp/a/b", "/tmp/a/b/.."]


def test_failed_chdir_changes_nothing(cwd_tool: Path, root: Path) -> None:
    write(root / "file", "")
    # A kernel that accepts any path (it cannot see the files): the kernel is
    # asked first (it resolves Linux paths WASI cannot), so when wasi-libc
    # then fails, the kernel must be moved back to where it was.
    kernel = FallbackKernel(tracking=True)
    code, out = run_wasm(cwd_tool, root, "cd", "/tmp", "cd", "/nope", "cd", "/file", "cd", "",
                         "pwd", kernel=kernel)
    assert code == 0
    assert out == ("cd /tmp 0 ok\n"
                   "cd /nope -1 No such file or directory\n"
                   "cd /file -1 Not a directory\n"
                   "cd  -1 No such file or directory\npwd /tmp\n")
    assert kernel.chdir_calls == ["/tmp", "/nope", "/tmp", "/file", "/tmp"]
    assert kernel.cwd == "/tmp"


def test_kernel_refusal_rolls_back_libc(cwd_tool: Path, root: Path) -> None:
    kernel = FallbackKernel(chdir_errno=WASI_EACCES)
    code, out = run_wasm(cwd_tool, root, "cd", "/tmp", "pwd", kernel=kernel)
    assert code == 0
    assert out == "cd /tmp -1 Permission denied\npwd /\n"
    assert kernel.chdir_calls == ["/tmp"]


def test_process_starts_in_the_kernels_cwd(cwd_tool: Path, root: Path) -> None:
    (root / "work").mkdir()
    write(root / "work" / "data.txt", "inherited\n")
    code, out = run_wasm(cwd_tool, root, "pwd", "cat", "data.txt",
                         kernel=FallbackKernel(cwd="/work"))
    assert (code, out) == (0, "pwd /work\ncat inherited\n")


def test_long_kernel_cwd(cwd_tool: Path, root: Path) -> None:
    deep = root.joinpath(*["d" * 40] * 8)  # 328 bytes: more than the first 256-byte try
    deep.mkdir(parents=True)
    guest = "/" + str(deep.relative_to(root))
    code, out = run_wasm(cwd_tool, root, "pwd", kernel=FallbackKernel(cwd=guest))
    assert (code, out) == (0, f"pwd {guest}\n")


def test_getcwd_enosys_fallback(cwd_tool: Path, root: Path) -> None:
    (root / "tmp" / "a").mkdir()
    kernel = FallbackKernel(getcwd_errno=WASI_ENOSYS)
    code, out = run_wasm(cwd_tool, root, "pwd", "cd", "/tmp/a", "cd", "..", "pwd", kernel=kernel)
    assert code == 0
    # No canonical path from the kernel: wasi-libc keeps its own (with "..").
    assert out.splitlines()[0] == "pwd /"
    assert out.splitlines()[-1] == "pwd /tmp/a/.."


def test_environment_cache_dir_is_used(private_cache: Path) -> None:
    assert os.environ["PYOCCLUM_CACHE_DIR"] == str(private_cache)
    assert cc.ensure_libocclum().parent == private_cache
