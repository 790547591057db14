"""Engine settings, compile errors that say what is wrong, the engine fingerprint."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import wasmtime

from pyocclum.errors import ImageError
from pyocclum.wasm.engine import check_wasm, compile_module, engine_fingerprint, make_engine


@pytest.fixture(scope="module")
def engine() -> Iterator[wasmtime.Engine]:
    e = make_engine()
    yield e
    e.close()


def compile_error(engine: wasmtime.Engine, image: bytes, name: str = "/bin/prog") -> str:
    with pytest.raises(ImageError) as e:
        compile_module(engine, image, name)
    return str(e.value)


def test_valid_module_compiles(engine: wasmtime.Engine) -> None:
    image = bytes(wasmtime.wat2wasm('(module (func (export "f") (result i32) i32.const 3))'))
    module = compile_module(engine, image, "/bin/f")
    assert [e.name for e in module.exports] == ["f"]
    check_wasm(image, "/bin/f")  # no exception


@pytest.mark.parametrize(
    "image", [b"", b"hello world", b"\x7fELF\x02\x01\x01\0", b"#!/bin/sh\necho hi\n", b"\0as"],
)
def test_not_wasm(engine: wasmtime.Engine, image: bytes) -> None:
    msg = compile_error(engine, image, "/bin/script")
    assert msg.startswith("/bin/script: ")
    assert "not a WebAssembly module" in msg
    assert "magic" in msg


def test_component_binary(engine: wasmtime.Engine) -> None:
    msg = compile_error(engine, b"\0asm\x0d\x00\x01\x00", "/bin/comp")
    assert msg.startswith("/bin/comp: ")
    assert "0d000100" in msg
    assert "components are not supported" in msg
    assert "occlum-cc" in msg


def test_unknown_version(engine: wasmtime.Engine) -> None:
    msg = compile_error(engine, b"\0asm\x02\x00\x00\x00")
    assert "02000000" in msg
    assert "not a core module" in msg


def test_truncated_header_is_not_called_a_component(engine: wasmtime.Engine) -> None:
    msg = compile_error(engine, b"\0asm")
    assert "component" not in msg


def test_invalid_module(engine: wasmtime.Engine) -> None:
    msg = compile_error(engine, b"\0asm\x01\x00\x00\x00\xff\xff", "/bin/bad")
    assert msg.startswith("/bin/bad: invalid WebAssembly module: ")
    assert "\n" not in msg  # wasmtime's multi-line error is folded onto one line
    assert "section" in msg


def test_failing_validation(engine: wasmtime.Engine) -> None:
    # Well-formed binary, but the function returns nothing where it promised an i32.
    image = b"\0asm\x01\0\0\0" + bytes(
        [1, 5, 1, 0x60, 0, 1, 0x7F,  # type section: () -> i32
         3, 2, 1, 0,  # function section: one function of type 0
         10, 4, 1, 2, 0, 0x0B]  # code section: an empty body
    )
    msg = compile_error(engine, image, "/bin/v")
    assert msg.startswith("/bin/v: invalid WebAssembly module: ")
    assert "\n" not in msg
    assert "type mismatch" in msg


def test_error_has_no_wasmtime_cause(engine: wasmtime.Engine) -> None:
    with pytest.raises(ImageError) as e:
        compile_module(engine, b"\0asm\x01\x00\x00\x00\xff", "/x")
    assert e.value.__cause__ is None
    assert e.value.__suppress_context__


def test_fingerprint_is_stable_and_short() -> None:
    fp = engine_fingerprint()
    assert re.fullmatch(r"[0-9a-f]{16}", fp)
    assert engine_fingerprint() == fp
    assert engine_fingerprint() == fp


def test_engine_runs_code(engine: wasmtime.Engine) -> None:
    # The engine compiles and runs code under a (far) epoch deadline.
    image = bytes(wasmtime.wat2wasm('(module (func (export "f") (result i32) i32.const 9))'))
    module = compile_module(engine, image, "/bin/f")
    store = wasmtime.Store(engine)
    store.set_epoch_deadline(1 << 40)
    instance = wasmtime.Instance(store, module, [])
    func = instance.exports(store)["f"]
    assert isinstance(func, wasmtime.Func)
    assert func(store) == 9
