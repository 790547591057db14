"""An authentic artifact compiled under another engine configuration is never
loaded blindly: wasmtime refuses it and the module is compiled again."""

from __future__ import annotations

import hashlib
from pathlib import Path

import wasmtime

from pyocclum.wasm.codecache import CodeCache
from pyocclum.wasm.engine import make_engine

WAT = '(module (memory (export "memory") 1) (func (export "_start")))'


def test_artifact_from_another_engine_config_is_recompiled(tmp_path: Path) -> None:
    image = bytes(wasmtime.wat2wasm(WAT))
    digest = hashlib.sha256(image).hexdigest()
    cache = CodeCache(tmp_path, b"\x07" * 32)
    # An artifact made by an engine with other settings, carrying a valid tag (as
    # if our own settings had changed between build and run).
    cfg = wasmtime.Config()
    cfg.epoch_interruption = False
    other = wasmtime.Engine(cfg)
    foreign = bytes(wasmtime.Module(other, image).serialize())
    (tmp_path / f"{digest}.cwasm").write_bytes(cache._tag(digest, foreign) + foreign)
    engine = make_engine()
    assert cache.load(engine, digest) is None  # refused by wasmtime, not loaded
    module = cache.compile_and_store(engine, image, "/bin/x", digest)
    assert [e.name for e in module.exports] == ["memory", "_start"]
    reloaded = cache.load(engine, digest)
    assert reloaded is not None
    assert [e.name for e in reloaded.exports] == ["memory", "_start"]
