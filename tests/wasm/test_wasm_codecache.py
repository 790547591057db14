"""The native code cache: only authenticated artifacts are ever deserialized."""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import wasmtime
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyocclum.wasm import codecache
from pyocclum.wasm.codecache import CodeCache
from pyocclum.wasm.engine import make_engine

# The spy (monkeypatch) is reset by hand in each example; the module-scoped cache is reused.
FIXTURES = HealthCheck.function_scoped_fixture
SECRET = bytes(range(32))
OTHER_SECRET = bytes(range(1, 33))
ENGINE = make_engine()


def wasm(value: int) -> bytes:
    return bytes(wasmtime.wat2wasm(
        f'(module (func (export "answer") (result i32) i32.const {value}))'
    ))


@pytest.fixture(scope="module", autouse=True)
def _close_engine() -> Iterator[None]:
    # Release the engine before interpreter shutdown tears wasmtime's bindings down.
    yield
    ENGINE.close()


A, B = wasm(42), wasm(7)
DA, DB = hashlib.sha256(A).hexdigest(), hashlib.sha256(B).hexdigest()


def answer(module: wasmtime.Module) -> int:
    store = wasmtime.Store(ENGINE)
    store.set_epoch_deadline(1 << 40)
    instance = wasmtime.Instance(store, module, [])
    func = instance.exports(store)["answer"]
    assert isinstance(func, wasmtime.Func)
    return int(func(store))


class DeserializeSpy:
    """Records every artifact handed to wasmtime for deserializing: through
    ``wasmtime.Module.deserialize`` or the cache's copy-free ``_deserialize``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[bytes] = []
        original: Callable[..., wasmtime.Module] = wasmtime.Module.deserialize
        in_place: Callable[..., wasmtime.Module] = codecache._deserialize

        def spy(engine: wasmtime.Engine, encoded: Any) -> wasmtime.Module:
            self.calls.append(bytes(encoded))
            return original(engine, encoded)

        def spy_in_place(engine: wasmtime.Engine, buffer: bytearray,
                         offset: int) -> wasmtime.Module:
            self.calls.append(bytes(buffer[offset:]))
            return in_place(engine, buffer, offset)

        monkeypatch.setattr(wasmtime.Module, "deserialize", staticmethod(spy))
        monkeypatch.setattr(codecache, "_deserialize", spy_in_place)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> DeserializeSpy:
    return DeserializeSpy(monkeypatch)


@pytest.fixture
def cache(tmp_path: Path) -> CodeCache:
    return CodeCache(tmp_path / "cache", SECRET)


def test_store_then_load(cache: CodeCache, spy: DeserializeSpy) -> None:
    compiled = cache.compile_and_store(ENGINE, A, "/bin/a")
    assert answer(compiled) == 42
    assert cache.has(DA)
    blob = (cache.folder / f"{DA}.cwasm").read_bytes()
    loaded = cache.load(ENGINE, DA)
    assert loaded is not None
    assert answer(loaded) == 42
    assert spy.calls == [blob[32:]]  # the artifact, never the tag


def test_a_new_cache_object_with_the_same_secret_loads(tmp_path: Path) -> None:
    CodeCache(tmp_path, SECRET).compile_and_store(ENGINE, A, "/bin/a")
    loaded = CodeCache(tmp_path, SECRET).load(ENGINE, DA)
    assert loaded is not None
    assert answer(loaded) == 42


def test_missing_entry(cache: CodeCache, spy: DeserializeSpy) -> None:
    assert cache.load(ENGINE, DA) is None
    assert not cache.has(DA)
    assert spy.calls == []


def test_entry_that_is_a_directory(cache: CodeCache, spy: DeserializeSpy) -> None:
    (cache.folder / f"{DA}.cwasm").mkdir(parents=True)
    assert cache.load(ENGINE, DA) is None
    assert spy.calls == []


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[CodeCache, bytes]:
    cache = CodeCache(tmp_path_factory.mktemp("flip"), SECRET)
    cache.compile_and_store(ENGINE, A, "/bin/a")
    return cache, (cache.folder / f"{DA}.cwasm").read_bytes()


def _tampered_load(cache: CodeCache, blob: bytes, spy: DeserializeSpy) -> None:
    path = cache.folder / f"{DA}.cwasm"
    path.write_bytes(blob)
    before = len(spy.calls)
    assert cache.load(ENGINE, DA) is None
    assert len(spy.calls) == before, "unauthenticated bytes reached Module.deserialize"


def test_flips_at_the_edges(
    stored: tuple[CodeCache, bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache, blob = stored
    spy = DeserializeSpy(monkeypatch)
    for index in (0, 31, 32, 33, len(blob) // 2, len(blob) - 1):
        for bit in (0, 7):
            bad = bytearray(blob)
            bad[index] ^= 1 << bit
            _tampered_load(cache, bytes(bad), spy)
    assert spy.calls == []


@settings(max_examples=40, deadline=None, suppress_health_check=[FIXTURES])
@given(st.data())
def test_flipped_byte_anywhere(
    stored: tuple[CodeCache, bytes], monkeypatch: pytest.MonkeyPatch, data: st.DataObject
) -> None:
    cache, blob = stored
    spy = DeserializeSpy(monkeypatch)
    index = data.draw(st.integers(min_value=0, max_value=len(blob) - 1))
    mask = data.draw(st.integers(min_value=1, max_value=255))
    bad = bytearray(blob)
    bad[index] ^= mask
    _tampered_load(cache, bytes(bad), spy)
    assert spy.calls == []


@settings(max_examples=25, deadline=None, suppress_health_check=[FIXTURES])
@given(st.data())
def test_truncated_anywhere(
    stored: tuple[CodeCache, bytes], monkeypatch: pytest.MonkeyPatch, data: st.DataObject
) -> None:
    cache, blob = stored
    spy = DeserializeSpy(monkeypatch)
    cut = data.draw(st.one_of(st.sampled_from([0, 1, 31, 32, 33, len(blob) - 1]),
                              st.integers(min_value=0, max_value=len(blob) - 1)))
    _tampered_load(cache, blob[:cut], spy)
    assert spy.calls == []


def test_appended_bytes(stored: tuple[CodeCache, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    cache, blob = stored
    spy = DeserializeSpy(monkeypatch)
    _tampered_load(cache, blob + b"\0", spy)
    assert spy.calls == []


def test_intact_file_still_loads_after_tampering_tests(
    stored: tuple[CodeCache, bytes], spy: DeserializeSpy
) -> None:
    cache, blob = stored
    (cache.folder / f"{DA}.cwasm").write_bytes(blob)
    loaded = cache.load(ENGINE, DA)
    assert loaded is not None
    assert answer(loaded) == 42
    assert len(spy.calls) == 1


def test_swapped_artifact(cache: CodeCache, spy: DeserializeSpy) -> None:
    cache.compile_and_store(ENGINE, A, "/bin/a")
    cache.compile_and_store(ENGINE, B, "/bin/b")
    a_blob = (cache.folder / f"{DA}.cwasm").read_bytes()
    (cache.folder / f"{DB}.cwasm").write_bytes(a_blob)  # A's artifact under B's digest
    assert cache.load(ENGINE, DB) is None
    assert spy.calls == []
    loaded = cache.load(ENGINE, DA)
    assert loaded is not None
    assert answer(loaded) == 42


def test_retagging_with_another_secret_fails(tmp_path: Path, spy: DeserializeSpy) -> None:
    CodeCache(tmp_path, OTHER_SECRET).compile_and_store(ENGINE, A, "/bin/a")
    assert CodeCache(tmp_path, SECRET).load(ENGINE, DA) is None
    assert spy.calls == []


def test_different_secret(tmp_path: Path, spy: DeserializeSpy) -> None:
    CodeCache(tmp_path, SECRET).compile_and_store(ENGINE, A, "/bin/a")
    assert CodeCache(tmp_path, OTHER_SECRET).load(ENGINE, DA) is None
    assert spy.calls == []
    assert CodeCache(tmp_path, SECRET).load(ENGINE, DA) is not None


def test_tamper_is_logged(cache: CodeCache, caplog: pytest.LogCaptureFixture) -> None:
    cache.compile_and_store(ENGINE, A, "/bin/a")
    path = cache.folder / f"{DA}.cwasm"
    path.write_bytes(b"\0" * 100)
    with caplog.at_level("WARNING", logger="pyocclum.wasm"):
        assert cache.load(ENGINE, DA) is None
    assert any("authentication" in r.getMessage() for r in caplog.records)


def test_explicit_digest_is_the_key(cache: CodeCache) -> None:
    # The caller may give the digest; the file is named and tagged by it.
    cache.compile_and_store(ENGINE, A, "/bin/a", digest=DB)
    assert cache.entries() == {DB}
    loaded = cache.load(ENGINE, DB)
    assert loaded is not None
    assert answer(loaded) == 42


def test_entries_and_remove(cache: CodeCache) -> None:
    assert cache.entries() == set()  # folder not created yet
    cache.compile_and_store(ENGINE, A, "/bin/a")
    cache.compile_and_store(ENGINE, B, "/bin/b")
    (cache.folder / "notes.txt").write_text("not an entry")
    assert cache.entries() == {DA, DB}
    cache.remove(DA)
    assert cache.entries() == {DB}
    assert not cache.has(DA)
    assert cache.load(ENGINE, DA) is None
    cache.remove(DA)  # removing a missing entry is fine
    assert cache.entries() == {DB}
    assert (cache.folder / "notes.txt").exists()


def test_no_temporary_files_left(cache: CodeCache) -> None:
    cache.compile_and_store(ENGINE, A, "/bin/a")
    assert sorted(p.name for p in cache.folder.iterdir()) == [f"{DA}.cwasm"]


def test_concurrent_store_of_one_module(
    cache: CodeCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_replace = os.replace
    barrier = threading.Barrier(2)

    def replace(src: Any, dst: Any) -> None:
        # Both threads have written their temporary file; now both rename it.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(10)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    errors: list[BaseException] = []

    def store() -> None:
        try:
            cache.compile_and_store(ENGINE, A, "/bin/a")
        except BaseException as e:
            errors.append(e)
            barrier.abort()

    threads = [threading.Thread(target=store) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert cache.load(ENGINE, DA) is not None


M1, M2 = b"\x01" * 32, b"\x02" * 32


def test_an_artifact_of_another_measurement_is_not_loaded(
    tmp_path: Path, spy: DeserializeSpy
) -> None:
    CodeCache(tmp_path, SECRET, M1).compile_and_store(ENGINE, A, "/bin/a")
    assert CodeCache(tmp_path, SECRET, M2).load(ENGINE, DA) is None
    assert CodeCache(tmp_path, SECRET).load(ENGINE, DA) is None
    assert spy.calls == []


def test_adopt_retags_an_authentic_artifact_for_the_new_measurement(
    tmp_path: Path, spy: DeserializeSpy
) -> None:
    old, new = CodeCache(tmp_path, SECRET, M1), CodeCache(tmp_path, SECRET, M2)
    old.compile_and_store(ENGINE, A, "/bin/a")
    assert new.adopt(old, DA)
    assert spy.calls == []  # re-tagging never deserializes
    loaded = new.load(ENGINE, DA)
    assert loaded is not None
    assert answer(loaded) == 42
    assert old.load(ENGINE, DA) is None  # the old tag is gone


def test_adopt_refuses_what_does_not_verify_under_the_old_key(tmp_path: Path) -> None:
    old, new = CodeCache(tmp_path, SECRET, M1), CodeCache(tmp_path, SECRET, M2)
    assert not new.adopt(old, DA)  # missing
    CodeCache(tmp_path, OTHER_SECRET, M1).compile_and_store(ENGINE, A, "/bin/a")
    before = (tmp_path / f"{DA}.cwasm").read_bytes()
    assert not new.adopt(old, DA)  # forged: wrong platform secret
    assert (tmp_path / f"{DA}.cwasm").read_bytes() == before
    old.compile_and_store(ENGINE, A, "/bin/a")
    blob = bytearray((tmp_path / f"{DA}.cwasm").read_bytes())
    blob[-1] ^= 1
    (tmp_path / f"{DA}.cwasm").write_bytes(bytes(blob))
    assert not new.adopt(old, DA)  # tampered
    assert new.load(ENGINE, DA) is None


# -- the syscall dispatchers' code objects ----------------------------------------------
def _codes() -> codecache.DispatchCodes:
    source = "def dispatch(x):\n    return x + 1\n"
    return {(source, "<dispatch m.f>"): compile(source, "<dispatch m.f>", "exec")}


def _run(codes: codecache.DispatchCodes) -> int:
    namespace: dict[str, Any] = {}
    exec(next(iter(codes.values())), namespace)
    return int(namespace["dispatch"](41))


def test_dispatchers_round_trip(tmp_path: Path) -> None:
    CodeCache(tmp_path, SECRET, b"m1").store_dispatchers(_codes())
    loaded = CodeCache(tmp_path, SECRET, b"m1").load_dispatchers()
    assert list(loaded) == list(_codes())
    assert _run(loaded) == 42
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_dispatchers_of_another_build_or_platform_are_not_unmarshalled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    CodeCache(tmp_path, SECRET, b"m1").store_dispatchers(_codes())
    unmarshalled: list[bytes] = []
    real = marshal.loads

    def spy(data: bytes) -> Any:
        unmarshalled.append(data)
        return real(data)

    monkeypatch.setattr(marshal, "loads", spy)
    assert CodeCache(tmp_path, SECRET, b"m2").load_dispatchers() == {}
    assert CodeCache(tmp_path, OTHER_SECRET, b"m1").load_dispatchers() == {}
    assert unmarshalled == []
    assert CodeCache(tmp_path, SECRET, b"m1").load_dispatchers() != {}


@pytest.mark.parametrize("where", [0, 31, 32, -1])
def test_tampered_dispatchers_are_not_unmarshalled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: int
) -> None:
    cache = CodeCache(tmp_path, SECRET, b"m1")
    cache.store_dispatchers(_codes())
    path = tmp_path / codecache.DISPATCH_FILE
    blob = bytearray(path.read_bytes())
    blob[where] ^= 1
    path.write_bytes(blob)
    monkeypatch.setattr(marshal, "loads", lambda b: pytest.fail("unmarshalled"))
    assert cache.load_dispatchers() == {}
    path.write_bytes(blob[:20])  # shorter than a tag
    assert cache.load_dispatchers() == {}
    path.unlink()
    assert cache.load_dispatchers() == {}
