"""The portable native library that ``occlum package --oci`` ships (an image has
no zig): used only where zig is missing, only for exactly its sources and
platform, only if no one else could have written it; sefs's AES-GCM and the
native WASI calls use it; its self-test records go to the cache."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from typing import Any

import pytest

from pyocclum.native import aead, library


@pytest.fixture(scope="module")
def portable() -> Path:
    """The portable build (in the user's cache, as ``occlum package --oci`` does)."""
    return library.build_portable()


@pytest.fixture
def shipped(portable: Path, tmp_path: Path) -> Path:
    """A copy of it laid out as in an image's package folder."""
    folder = tmp_path / "prebuilt"
    folder.mkdir(mode=0o755)
    for name in (library.LIB_NAME, library.PREBUILT_KEY):
        shutil.copy2(portable / name, folder / name)
    return folder


def test_the_build_holds_the_library_and_its_key(portable: Path) -> None:
    source = library.SOURCE.read_bytes()
    assert (portable / library.PREBUILT_KEY).read_text().strip() == library.portable_key(source)
    assert library.build_portable() == portable  # built once
    lib = library.NativeLibrary(portable / library.LIB_NAME)
    assert lib.portable
    aead.SefsGcm(lib, None).self_test()  # zig's std AES-GCM, built for any CPU
    assert not library.NativeLibrary(library.built()).portable


def test_only_for_its_sources_and_only_if_trusted(shipped: Path) -> None:
    source = library.SOURCE.read_bytes()
    assert library.prebuilt(source, shipped) == shipped / library.LIB_NAME
    assert library.prebuilt(source + b"\n", shipped) is None  # other sources
    (shipped / library.LIB_NAME).chmod(0o775)
    assert library.prebuilt(source, shipped) is None  # writable by the group
    (shipped / library.LIB_NAME).chmod(0o755)
    (shipped / library.PREBUILT_KEY).write_text("0" * 16 + "\n")
    assert library.prebuilt(source, shipped) is None
    (shipped / library.PREBUILT_KEY).unlink()
    assert library.prebuilt(source, shipped) is None


def test_used_where_there_is_no_zig(shipped: Path, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("PYOCCLUM_CACHE_DIR", str(cache))
    monkeypatch.delenv(library.NATIVE_SWITCH, raising=False)
    monkeypatch.setattr(library, "PREBUILT", shipped)
    real = importlib.util.find_spec

    def no_zig(name: str, *args: Any) -> Any:
        return None if name == "ziglang" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", no_zig)
    monkeypatch.setattr(library, "_tried", False)
    monkeypatch.setattr(library, "_shared", None)
    monkeypatch.setattr(aead, "_gcm_tried", False)
    monkeypatch.setattr(aead, "_gcm", None)
    lib = library.shared()
    assert lib is not None
    assert lib.path == shipped / library.LIB_NAME
    assert not cache.joinpath(library.native_path(library.SOURCE.read_bytes(), cache)).exists()
    gcm = aead.sefs_gcm()
    assert gcm is not None
    assert gcm.lib is lib
    # The self-test records went to the cache, not beside the shipped library.
    assert list((cache / "prebuilt-self-tests").glob("self-test-gcm-*.ok"))
    assert not list(shipped.glob("self-test-*"))
