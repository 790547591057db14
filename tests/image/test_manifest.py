"""The integrity image builder: the hash tree, on-disk format, deterministic roots."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
from pathlib import Path

import pytest
from blake3 import blake3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyocclum.errors import ImageError
from pyocclum.fs.integrityfs import (
    LEAF_CONTEXT,
    ROOT_CONTEXT,
    ImageManifest,
    leaf_hash,
    parse_manifest,
    read_manifest,
)
from pyocclum.image.manifest import (
    BLOCK,
    EMPTY_ROOT,
    build_image,
    file_tree,
    load_manifest,
    tree_root,
)


def H(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def write(p: Path, data: bytes, mode: int = 0o644) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    p.chmod(mode)


def make_tree(s: Path) -> Path:
    write(s / "bin" / "hello", b"\0asm\1\0\0\0" + bytes(range(256)) * 40, 0o755)
    write(s / "etc" / "hosts", b"127.0.0.1 localhost\n", 0o640)
    write(s / "etc" / "copy", b"127.0.0.1 localhost\n", 0o600)  # same content: one blob
    write(s / "empty_file", b"")
    write(s / "exact", b"x" * BLOCK)
    (s / "empty").mkdir()
    (s / "private").mkdir()
    (s / "private").chmod(0o700)
    os.symlink("hello", s / "bin" / "hi")
    os.symlink("/etc", s / "etc_link")
    return s


# -- the hash tree ------------------------------------------------------------------
def leaf(b: bytes) -> bytes:
    return blake3(b, derive_key_context="pyocclum 2026-12-07 integrity image v2 leaf").digest()


def root_of(leaves: bytes) -> bytes:
    return blake3(leaves,
                  derive_key_context="pyocclum 2026-12-07 integrity image v2 file root").digest()


def test_hash_tree_by_hand() -> None:
    assert BLOCK == 65536
    assert (LEAF_CONTEXT, ROOT_CONTEXT) == ("pyocclum 2026-12-07 integrity image v2 leaf",
                                            "pyocclum 2026-12-07 integrity image v2 file root")
    a, b, c = (leaf(x) for x in (b"a", b"b", b"c"))
    assert leaf_hash(b"a") == a
    assert tree_root([]) == tree_root(b"") == EMPTY_ROOT == root_of(b"")
    assert tree_root([a, b, c]) == tree_root(a + b + c) == root_of(a + b + c)
    # Separate domains: a file's root is never one of its leaves, a leaf of the
    # bytes of a leaf list is not that list's root, and order counts.
    assert tree_root([a]) != a
    assert leaf_hash(a + b) != tree_root([a, b])
    assert tree_root([a, b]) != tree_root([b, a])
    assert tree_root([a, b, c]) != tree_root([a, b, c, c])
    with pytest.raises(ValueError, match="multiple of 32"):
        tree_root(b"x" * 33)


def test_file_tree_blocks(tmp_path: Path) -> None:
    data = os.urandom(2 * BLOCK + 5)
    t = file_tree(data)
    assert t.size == len(data)
    assert t.leaves == (leaf(data[:BLOCK]), leaf(data[BLOCK : 2 * BLOCK]), leaf(data[2 * BLOCK :]))
    assert t.root == tree_root(t.leaves) == root_of(b"".join(t.leaves))
    p = tmp_path / "f"
    p.write_bytes(data)
    assert file_tree(p) == t
    big = os.urandom(40 * BLOCK + 1)  # more than one piece of the builder's reads
    p.write_bytes(big)
    assert file_tree(p) == file_tree(big)
    assert file_tree(p).leaves[-1] == leaf(big[-1:])
    assert file_tree(b"").root == EMPTY_ROOT
    assert file_tree(b"").leaves == ()
    # A trailing zero byte changes the root (the last block's length is bound).
    assert file_tree(data + b"\0").root != t.root


# -- the on-disk format -------------------------------------------------------------
def test_format(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "image")
    dst = tmp_path / "build"
    m = build_image(src, dst)
    raw = (dst / "manifest.json").read_bytes()
    assert m.root == H(raw)
    assert m.raw == raw
    obj = json.loads(raw)
    assert obj["format"] == "pyocclum-integrity-image"
    assert obj["version"] == 2
    assert obj["block"] == BLOCK == 65536
    paths = [e["path"] for e in obj["entries"]]
    assert paths == sorted(paths)
    assert paths[0] == ""
    by = {e["path"]: e for e in obj["entries"]}
    assert by["bin/hello"]["mode"] == 0o755
    assert by["private"] == {"path": "private", "type": "dir", "mode": 0o700}
    assert by["etc_link"] == {"path": "etc_link", "type": "symlink", "target": "/etc"}
    assert by["empty_file"]["root"] == EMPTY_ROOT.hex()
    # No timestamps, no absolute paths of the build machine.
    assert str(tmp_path).encode() not in raw
    assert b"time" not in raw
    # Content-addressed blobs and leaf lists; identical files stored once.
    assert by["etc/hosts"]["root"] == by["etc/copy"]["root"]
    roots = {e["root"] for e in obj["entries"] if e["type"] == "file"}
    assert {p.name for p in (dst / "blobs").iterdir()} == roots
    assert {p.name for p in (dst / "trees").iterdir()} == roots
    for e in obj["entries"]:
        if e["type"] != "file":
            continue
        data = (src / e["path"]).read_bytes()
        assert (dst / "blobs" / e["root"]).read_bytes() == data
        assert (dst / "trees" / e["root"]).read_bytes() == file_tree(data).leaf_bytes()
    assert load_manifest(dst, m.root) == m


def test_special_files_skipped(tmp_path: Path) -> None:
    src = tmp_path / "image"
    src.mkdir()
    os.mkfifo(src / "fifo")
    s = socket.socket(socket.AF_UNIX)
    try:
        s.bind(str(src / "sock"))
        m = build_image(src, tmp_path / "b")
    finally:
        s.close()
    assert [e.path for e in m.entries] == [""]


# -- determinism ---------------------------------------------------------------------
def test_same_tree_same_root(tmp_path: Path) -> None:
    a = make_tree(tmp_path / "one" / "image")
    b = make_tree(tmp_path / "two" / "deeper" / "img")
    os.utime(b / "etc" / "hosts", (1, 1))
    ra = build_image(a, tmp_path / "out1").root
    rb = build_image(b, tmp_path / "out2").root
    assert ra == rb
    # Rebuilding in place gives the same root, and writes no blob again.
    blob = next((tmp_path / "out1" / "blobs").iterdir())
    before = blob.stat().st_mtime_ns, blob.stat().st_ino
    assert build_image(a, tmp_path / "out1").root == ra
    assert (blob.stat().st_mtime_ns, blob.stat().st_ino) == before


@pytest.mark.parametrize("change", ["byte", "mode", "name", "target", "dirmode", "add", "rm"])
def test_any_change_changes_root(tmp_path: Path, change: str) -> None:
    src = make_tree(tmp_path / "image")
    r0 = build_image(src, tmp_path / "b").root
    if change == "byte":
        p = src / "bin" / "hello"
        d = bytearray(p.read_bytes())
        d[5000] ^= 1
        p.write_bytes(bytes(d))
    elif change == "mode":
        (src / "etc" / "hosts").chmod(0o644)
    elif change == "name":
        (src / "etc" / "hosts").rename(src / "etc" / "hostz")
    elif change == "target":
        (src / "bin" / "hi").unlink()
        os.symlink("hellO", src / "bin" / "hi")
    elif change == "dirmode":
        (src / "empty").chmod(0o700)
    elif change == "add":
        write(src / "empty" / "new", b"")
    else:
        shutil.rmtree(src / "empty")
    r1 = build_image(src, tmp_path / "b").root
    assert r1 != r0
    # The incremental rebuild equals a fresh one, and removed stale blobs.
    fresh = build_image(src, tmp_path / "fresh")
    assert fresh.root == r1
    assert sorted(p.name for p in (tmp_path / "b" / "blobs").iterdir()) == sorted(
        p.name for p in (tmp_path / "fresh" / "blobs").iterdir())


def test_tampered_blob_rewritten_on_rebuild(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "image")
    m = build_image(src, tmp_path / "b")
    e = next(e for e in m.entries if e.path == "bin/hello")
    assert e.root is not None
    blob = tmp_path / "b" / "blobs" / e.root.hex()
    blob.write_bytes(b"evil")
    build_image(src, tmp_path / "b")
    assert blob.read_bytes() == (src / "bin" / "hello").read_bytes()


def test_non_utf8_names(tmp_path: Path) -> None:
    src = tmp_path / "image"
    src.mkdir()
    name = os.fsdecode(b"caf\xe9")
    write(src / name, b"x")
    m = build_image(src, tmp_path / "b")
    assert [e.path for e in m.entries] == ["", name]
    assert load_manifest(tmp_path / "b", m.root).entries == m.entries


# -- load_manifest ---------------------------------------------------------------------
def test_load_manifest_checks_root(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "image")
    m = build_image(src, tmp_path / "b")
    with pytest.raises(ImageError, match="does not match the expected root"):
        load_manifest(tmp_path / "b", H(b"other"))
    with pytest.raises(ImageError, match="manifest"):
        load_manifest(tmp_path / "nowhere", m.root)


def canon(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def doc(*entries: dict[str, object]) -> dict[str, object]:
    return {"format": "pyocclum-integrity-image", "version": 2, "block": BLOCK,
            "entries": [{"path": "", "type": "dir", "mode": 0o755}, *entries]}


@pytest.mark.parametrize("bad", [
    b"not json",
    b"[]",
    canon({**doc(), "version": 3}),
    canon({**doc(), "version": "2"}),
    canon({**doc(), "version": 0}),
    canon({**doc(), "block": 4096}),
    canon({**doc(), "format": "other"}),
    canon({k: v for k, v in doc().items() if k != "format"}),
    canon({**doc(), "extra": 1}),
    canon({**doc(), "entries": []}),
    canon(doc({"path": "a/b", "type": "dir", "mode": 0})),  # no parent
    canon(doc({"path": "a", "type": "symlink", "target": "x"},
              {"path": "a/b", "type": "dir", "mode": 0})),  # parent not a dir
    canon(doc({"path": "b", "type": "dir", "mode": 0}, {"path": "a", "type": "dir", "mode": 0})),
    canon(doc({"path": "a", "type": "dir", "mode": 0}, {"path": "a", "type": "dir", "mode": 0})),
    canon(doc({"path": "..", "type": "dir", "mode": 0})),
    canon(doc({"path": "a", "type": "dir", "mode": 0o10000})),
    canon(doc({"path": "a", "type": "dir", "mode": True})),
    canon(doc({"path": "a", "type": "fifo", "mode": 0})),
    canon(doc({"path": "a", "type": "dir"})),
    canon(doc({"path": "a", "type": "file", "mode": 0, "size": -1, "root": "00" * 32})),
    canon(doc({"path": "a", "type": "file", "mode": 0, "size": 1, "root": "zz" * 32})),
    canon(doc({"path": "a", "type": "file", "mode": 0, "size": 1, "root": "AB" * 32})),
    canon(doc({"path": "a", "type": "file", "mode": 0, "size": 0, "root": "00" * 32})),
    canon(doc({"path": "a", "type": "symlink", "target": ""})),
    canon(doc({"path": "a", "type": "symlink", "target": "x\0y"})),
    canon(doc()) + b" ",  # not canonical
    json.dumps(doc(), indent=1).encode(),
])
def test_malformed_manifest(bad: bytes) -> None:
    with pytest.raises(ImageError):
        parse_manifest(bad)
    with pytest.raises(ImageError, match="does not match"):
        parse_manifest(bad, H(b"x"))


@pytest.mark.parametrize("version", [3, "2", 0, None])
def test_unknown_versions_refused(version: object) -> None:
    raw = canon({**doc(), "version": version})
    with pytest.raises(ImageError, match=r"version .* is not supported \(expected 2\)"):
        parse_manifest(raw)


def test_version_1_says_rebuild() -> None:
    """An image built by an older PyOcclum (SHA-256, 4 KiB blocks) still matches its
    own measurement; it is refused by its version, with what to do."""
    raw = canon({**doc({"path": "a", "type": "file", "mode": 0o644, "size": 1,
                        "root": "ab" * 32}), "version": 1, "block": 4096})
    with pytest.raises(ImageError, match=r"format version 1, made by an older PyOcclum; "
                       r"this one reads only version 2: rebuild it with `occlum build`"):
        parse_manifest(raw, H(raw))


def test_a_cached_manifest_of_version_1_is_parsed_again(tmp_path: Path) -> None:
    """read_manifest's ``known`` (the boot's authenticated record of what it parsed)
    stands in for the parse only for a manifest of this format: a record written by
    an older PyOcclum for its own format still gets the refusal."""
    old = canon({**doc(), "version": 1, "block": 4096})
    (tmp_path / "manifest.json").write_bytes(old)
    known = ImageManifest((), H(old), old)
    with pytest.raises(ImageError, match="rebuild it with `occlum build`"):
        read_manifest(tmp_path, H(old), known=known)
    raw = canon(doc({"path": "a", "type": "symlink", "target": "b"}))
    (tmp_path / "manifest.json").write_bytes(raw)
    known = parse_manifest(raw, H(raw))
    assert read_manifest(tmp_path, H(raw), known=known) is known


def test_good_manifest_by_hand() -> None:
    raw = canon(doc({"path": "a", "type": "symlink", "target": "b"}))
    m = parse_manifest(raw, H(raw))
    assert [e.path for e in m.entries] == ["", "a"]


# -- property: random trees ------------------------------------------------------------
names = st.text(alphabet="abcxyz-._", min_size=1, max_size=6).filter(
    lambda s: s not in (".", ".."))
contents = st.one_of(st.binary(max_size=300),
                     st.integers(0, 3 * BLOCK + 7).map(lambda n: bytes([n % 251]) * n))
trees: st.SearchStrategy[dict[str, object]] = st.recursive(
    st.one_of(contents, names.map(lambda t: ("link", t))),
    lambda kids: st.dictionaries(names, kids, max_size=4),
    max_leaves=12,
).filter(lambda t: isinstance(t, dict))  # type: ignore[assignment]


def materialise(root: Path, tree: dict[str, object]) -> None:
    root.mkdir(parents=True)
    for name, v in tree.items():
        p = root / name
        if isinstance(v, dict):
            materialise(p, v)
        elif isinstance(v, tuple):
            os.symlink(v[1], p)
        else:
            assert isinstance(v, bytes)
            p.write_bytes(v)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees, mode=st.sampled_from([0o600, 0o644, 0o755]))
def test_property_deterministic(tmp_path_factory: pytest.TempPathFactory,
                                tree: dict[str, object], mode: int) -> None:
    base = tmp_path_factory.mktemp("prop")
    materialise(base / "a", tree)
    materialise(base / "x" / "b", tree)
    for p in (base / "a").rglob("*"):
        if p.is_file() and not p.is_symlink():
            p.chmod(mode)
            (base / "x" / "b" / p.relative_to(base / "a")).chmod(mode)
    ma = build_image(base / "a", base / "out_a")
    mb = build_image(base / "x" / "b", base / "out_b")
    assert ma.root == mb.root
    assert (base / "out_a" / "manifest.json").read_bytes() == (
        base / "out_b" / "manifest.json").read_bytes()
    for e in ma.entries:
        if e.type == "file":
            assert e.root is not None
            assert (base / "out_a" / "blobs" / e.root.hex()).read_bytes() == (
                base / "a" / e.path).read_bytes()
