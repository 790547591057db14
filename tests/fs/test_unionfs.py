"""UnionFs: lookup merging, whiteouts, opaque directories, copy-up, rename rules.

Both layers are real RamFs instances; the lower one is treated as read-only,
and every test checks (through the ``layers`` fixture) that the lower layer is
unchanged afterwards (all but access times, which a ramfs updates on reads).
"""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from helpers import errno_of, names, walk
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
)

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import KernelError
from pyocclum.fs.ramfs import RamFs
from pyocclum.fs.types import FileSystem, Inode
from pyocclum.fs.unionfs import OPAQUE_NAME, WORK_DIR_NAME, UnionFs, whiteout_name
from pyocclum.fs.vfs import Vfs

OLD = 1_000_000_000_000_000_000  # a fixed time (ns) that nothing else produces

# -- building and inspecting trees ------------------------------------------------------


@dataclass(frozen=True)
class Link:
    target: str


Spec = dict[str, "bytes | Link | None"]  # path -> file data, None = directory, or a symlink


def populate(fs: FileSystem, spec: Spec, mode: int = 0o644) -> None:
    """Create ``spec`` (parents before children), then give everything fixed old times."""
    made: list[Inode] = [fs.root()]
    for path in sorted(spec):
        *parents, name = path.split("/")
        parent = walk(fs.root(), "/".join(parents))
        value = spec[path]
        node: Inode
        if value is None:
            node = parent.mkdir(name, 0o755)
        elif isinstance(value, Link):
            node = parent.symlink(name, value.target)
        else:
            node = parent.create(name, mode)
            node.write(0, value)
        made.append(node)
    for node in made:
        node.set_times(OLD, OLD)


Snapshot = dict[str, tuple[object, ...]]


def snapshot(root: Inode, prefix: str = "") -> Snapshot:
    """Everything about a tree except access times (reads update those)."""
    out: Snapshot = {}
    for entry in root.entries():
        node = root.lookup(entry.name)
        path = f"{prefix}/{entry.name}"
        s = node.stat()
        if s.filetype == FileType.DIRECTORY:
            body: object = None
            out.update(snapshot(node, path))
        elif s.filetype == FileType.SYMBOLIC_LINK:
            body = node.readlink()
        else:
            body = node.read(0, s.size + 1)
        out[path] = (entry.ino, s.ino, s.filetype, s.mode, s.nlink, s.size, s.mtim, s.ctim, body)
    s = root.stat()
    out[prefix or "/"] = (s.ino, s.mode, s.nlink, s.mtim, s.ctim)
    return out


def visible(root: Inode, prefix: str = "") -> dict[str, tuple[object, ...]]:
    """What a program sees: names, types, modes and contents."""
    out: dict[str, tuple[object, ...]] = {}
    for entry in root.entries():
        node = root.lookup(entry.name)
        path = f"{prefix}/{entry.name}"
        s = node.stat()
        assert s.filetype == entry.filetype
        if s.filetype == FileType.DIRECTORY:
            out.update(visible(node, path))
            out[path] = ("dir", s.mode)
        elif s.filetype == FileType.SYMBOLIC_LINK:
            out[path] = ("link", node.readlink())
        else:
            out[path] = ("file", s.mode, s.nlink, s.size, node.read(0, s.size + 1))
    return out


LOWER: Spec = {
    "f": b"lower f",
    "g": b"",
    "big": bytes(range(256)) * 1000,
    "a": None,
    "a/f": b"lower a/f",
    "a/c": None,
    "a/c/f": b"deep",
    "b": None,
    "l": Link("f"),
    "a/l": Link("../f"),
}


@dataclass
class Layers:
    union: UnionFs
    upper: RamFs
    lower: RamFs

    @property
    def root(self) -> Inode:
        return self.union.root()

    def upper_names(self, path: str = "") -> list[str]:
        return names(walk(self.upper.root(), path))


@pytest.fixture
def layers() -> Iterator[Layers]:
    upper, lower = RamFs(), RamFs()
    populate(lower, LOWER)
    walk(lower.root(), "a").chmod(0o750)
    before = snapshot(lower.root())
    union = UnionFs(upper, [lower])
    union.dev = 42
    yield Layers(union, upper, lower)
    assert snapshot(lower.root()) == before, "the lower layer changed"


# -- construction ---------------------------------------------------------------------------


def test_constructor_rejects_bad_layer_sets() -> None:
    ro = RamFs()
    ro.read_only = True
    with pytest.raises(ValueError, match="writable"):
        UnionFs(ro, [RamFs()])
    with pytest.raises(ValueError, match="at least one"):
        UnionFs(RamFs(), [])
    same = RamFs()
    with pytest.raises(ValueError, match="twice"):
        UnionFs(same, [same])
    with pytest.raises(ValueError, match="at most"):
        UnionFs(RamFs(), [RamFs() for _ in range(255)])
    union = UnionFs(RamFs(), [RamFs()])
    assert union.fstype == "unionfs"
    union.sync()


def test_work_dir_leftovers_are_removed_at_construction() -> None:
    upper, lower = RamFs(), RamFs()
    work = upper.root().mkdir(WORK_DIR_NAME, 0o700)
    work.create("tmp.1", 0o644).write(0, b"half a copy")
    work.mkdir("tmp.2", 0o755).create(OPAQUE_NAME, 0)
    UnionFs(upper, [lower])
    assert names(upper.root().lookup(WORK_DIR_NAME)) == []
    # Something that is not a directory in its place is removed too.
    upper = RamFs()
    upper.root().create(WORK_DIR_NAME, 0o644)
    populate(lower, {"f": b"x"})
    union = UnionFs(upper, [lower])
    assert names(upper.root()) == []
    union.root().lookup("f").write(0, b"y")
    assert upper.root().lookup(WORK_DIR_NAME).filetype == FileType.DIRECTORY


# -- lookup and readdir ---------------------------------------------------------------------


def test_lower_content_is_visible_and_reading_never_copies(layers: Layers) -> None:
    f = layers.root.lookup("f")
    assert f.read(0, 100) == b"lower f"
    assert walk(layers.root, "a/c/f").read(0, 100) == b"deep"
    assert walk(layers.root, "l").readlink() == "f"
    assert names(walk(layers.root, "a/c")) == ["f"]
    assert f.stat().size == 7
    assert layers.upper_names() == []


def test_upper_entry_wins_and_directories_merge() -> None:
    upper, lower = RamFs(), RamFs()
    populate(lower, {"x": b"lower", "d": None, "d/low": b"1", "y": None, "y/in": b"2"})
    populate(upper, {"x": b"upper", "d": None, "d/up": b"3", "y": b"file over dir"})
    union = UnionFs(upper, [lower])
    root = union.root()
    assert root.lookup("x").read(0, 10) == b"upper"
    assert names(root.lookup("d")) == ["up", "low"]
    assert root.lookup("y").filetype == FileType.REGULAR_FILE
    assert root.lookup("y").read(0, 100) == b"file over dir"
    assert sorted(names(root)) == ["d", "x", "y"]


def test_several_lower_layers_topmost_first_with_their_own_markers() -> None:
    upper, top, bottom = RamFs(), RamFs(), RamFs()
    populate(bottom, {"x": b"bottom", "gone": b"b", "d": None, "d/b": b"b",
                      "o": None, "o/hidden": b"b", "t": None, "t/in": b"b"})
    populate(top, {"x": b"top", whiteout_name("gone"): b"", "d": None, "d/t": b"t",
                   "o": None, f"o/{OPAQUE_NAME}": b"", "o/shown": b"t", "t": b"file"})
    union = UnionFs(upper, [top, bottom])
    root = union.root()
    assert root.lookup("x").read(0, 10) == b"top"
    assert errno_of(root.lookup, "gone") == Errno.ENOENT
    assert sorted(names(root.lookup("d"))) == ["b", "t"]
    assert names(root.lookup("o")) == ["shown"]
    assert errno_of(root.lookup("o").lookup, "hidden") == Errno.ENOENT
    # A file in a higher layer hides a directory below it.
    assert root.lookup("t").filetype == FileType.REGULAR_FILE
    assert sorted(names(root)) == ["d", "o", "t", "x"]


def test_readdir_has_no_duplicates_or_markers_and_a_stable_order(layers: Layers) -> None:
    root = layers.root
    root.lookup("f").write(0, b"F")  # now in both layers
    root.unlink("g")  # whiteout
    root.mkdir("b2", 0o755)
    root.create("new", 0o644)
    listing = names(root)
    assert listing == names(root)
    assert len(listing) == len(set(listing))
    assert sorted(listing) == ["a", "b", "b2", "big", "f", "l", "new"]
    assert listing[:3] == ["f", "b2", "new"]  # upper entries first, then lower ones
    # The upper layer does hold the markers.
    assert whiteout_name("g") in layers.upper_names()
    assert WORK_DIR_NAME in layers.upper_names()


def test_readdir_inode_numbers_match_stat(layers: Layers) -> None:
    root = layers.root
    walk(root, "a/f").write(0, b"x")
    root.create("n", 0o644)
    for directory in (root, root.lookup("a")):
        for entry in directory.entries():
            st = directory.lookup(entry.name).stat()
            assert (entry.ino, entry.filetype) == (st.ino, st.filetype)
            assert st.dev == 42


def test_reserved_names_are_refused(layers: Layers) -> None:
    root = layers.root
    root.unlink("f")
    f = root.lookup("g")
    for bad in (whiteout_name("f"), OPAQUE_NAME, WORK_DIR_NAME, ".wh.anything"):
        assert errno_of(root.lookup, bad) == Errno.EPERM
        assert errno_of(root.create, bad, 0o644) == Errno.EPERM
        assert errno_of(root.mkdir, bad, 0o755) == Errno.EPERM
        assert errno_of(root.symlink, bad, "f") == Errno.EPERM
        assert errno_of(root.link, bad, f) == Errno.EPERM
        assert errno_of(root.unlink, bad) == Errno.EPERM
        assert errno_of(root.rmdir, bad) == Errno.EPERM
        assert errno_of(root.rename, "g", root, bad) == Errno.EPERM
        assert errno_of(root.rename, bad, root, "x") == Errno.EPERM
    assert errno_of(root.create, "a/b", 0o644) == Errno.EINVAL
    assert errno_of(root.lookup, "x" * 256) == Errno.ENAMETOOLONG
    # ".wh" without the trailing dot, or the prefix inside a name, is fine.
    root.create(".wh", 0o644)
    root.create("x.wh.y", 0o644)


def test_same_object_per_path_while_held(layers: Layers) -> None:
    f = layers.root.lookup("f")
    assert layers.root.lookup("f") is f
    assert walk(layers.root, "a/c") is walk(layers.root, "a/c")


def test_recent_lookups_stay_cached_and_every_change_is_seen(layers: Layers) -> None:
    # Nobody holds "a/f" between the walks: the union's ring of recent lookups does,
    # so the second walk asks no layer (same object) ...
    first = id(walk(layers.root, "a/f"))
    assert id(walk(layers.root, "a/f")) == first
    # ... and every change made through the union is still seen at once.
    a = layers.root.lookup("a")
    a.lookup("f").write(0, b"LOWER")
    assert walk(layers.root, "a/f").read(0, 9) == b"LOWER a/f"
    a.create("new", 0o644).write(0, b"new")
    a.rename("new", a, "f")
    assert walk(layers.root, "a/f").read(0, 9) == b"new"
    a.unlink("f")
    assert errno_of(walk, layers.root, "a/f") == Errno.ENOENT


def test_a_removed_object_leaves_the_ring_of_recent_lookups(layers: Layers) -> None:
    # An unlinked file's upper inode must die with its last holder (its storage is
    # freed then), not linger in the cache of recent lookups.
    layers.root.create("gone", 0o644).write(0, b"x")
    node = weakref.ref(layers.root.lookup("gone"))
    upper = weakref.ref(walk(layers.upper.root(), "gone"))
    layers.root.unlink("gone")
    gc.collect()
    assert node() is None
    assert upper() is None


def test_merged_directory_reports_unknown_link_count(layers: Layers) -> None:
    a = layers.root.lookup("a")
    assert a.stat().nlink == 3  # lower only: the lower layer's count
    a.create("n", 0o644)
    assert a.stat().nlink == 1  # merged: unknown, as overlayfs reports it


# -- copy-up --------------------------------------------------------------------------------


def test_write_copies_up_file_and_parents_keeping_modes_and_times(layers: Layers) -> None:
    c = walk(layers.root, "a/c")
    f = c.lookup("f")
    ino_a, ino_c, ino_f = walk(layers.root, "a").stat().ino, c.stat().ino, f.stat().ino
    assert f.write(1, b"EE") == 2
    assert f.read(0, 100) == b"dEEp"
    up_a = walk(layers.upper.root(), "a")
    assert up_a.stat().mode == 0o750
    lower_a = walk(layers.lower.root(), "a").stat()
    assert (up_a.stat().atim, up_a.stat().mtim) == (lower_a.atim, OLD)
    up_f = walk(layers.upper.root(), "a/c/f")
    assert up_f.read(0, 100) == b"dEEp"
    assert up_f.stat().mode == 0o644
    # Copy-up is invisible in the parents' times and the objects' numbers.
    a = walk(layers.root, "a")
    assert (a.stat().mtim, c.stat().mtim) == (OLD, OLD)
    assert (a.stat().ino, c.stat().ino, f.stat().ino) == (ino_a, ino_c, ino_f)
    assert layers.upper_names("a") == ["c"]  # siblings are not copied


@pytest.mark.parametrize(
    ("op", "expect"),
    [
        (lambda n: n.truncate(3), b"low"),
        (lambda n: n.truncate(0), b""),
        (lambda n: n.truncate(12), b"lower f\0\0\0\0\0"),
        (lambda n: n.allocate(0, 9), b"lower f\0\0"),
        (lambda n: n.set_times(5, 6), b"lower f"),
        (lambda n: n.chmod(0o600), b"lower f"),
        (lambda n: n.write(7, b"!"), b"lower f!"),
    ],
)
def test_each_modification_copies_up(
    layers: Layers, op: Callable[[Inode], object], expect: bytes
) -> None:
    f = layers.root.lookup("f")
    op(f)
    assert "f" in layers.upper_names()
    assert f.read(0, 100) == expect
    assert layers.root.lookup("f").read(0, 100) == expect


def test_metadata_changes_land_in_the_upper_copy(layers: Layers) -> None:
    f = layers.root.lookup("f")
    f.set_times(5, 6)
    f.chmod(0o600)
    s = f.stat()
    assert (s.atim, s.mtim, s.mode) == (5, 6, 0o600)
    a = layers.root.lookup("a")
    a.chmod(0o700)
    assert a.stat().mode == 0o700
    assert walk(layers.upper.root(), "a").stat().mode == 0o700
    assert layers.upper_names("a") == []


def test_large_file_copy_up(layers: Layers) -> None:
    big = layers.root.lookup("big")
    big.write(100_000, b"X")
    want = bytearray(bytes(range(256)) * 1000)
    want[100_000] = ord("X")
    assert big.read(0, 1 << 20) == bytes(want)


def test_symlink_copied_up_as_symlink(layers: Layers) -> None:
    link = walk(layers.root, "a/l")
    link.set_times(7, 8)
    up = walk(layers.upper.root(), "a/l")
    assert up.filetype == FileType.SYMBOLIC_LINK
    assert up.readlink() == "../f"
    assert link.stat().mtim == 8
    assert link.readlink() == "../f"


def test_invalid_arguments_fail_without_copy_up(layers: Layers) -> None:
    f = layers.root.lookup("f")
    assert errno_of(f.write, -1, b"x") == Errno.EINVAL
    assert errno_of(f.truncate, -1) == Errno.EINVAL
    assert errno_of(f.allocate, -1, 5) == Errno.EINVAL
    assert errno_of(f.allocate, 0, 0) == Errno.EINVAL
    assert layers.upper_names() == []


def test_failed_copy_up_leaves_nothing_behind() -> None:
    upper, lower = RamFs(capacity=1000), RamFs()
    populate(lower, {"d": None, "d/big": bytes(5000)})
    union = UnionFs(upper, [lower])
    big = walk(union.root(), "d/big")
    assert errno_of(big.write, 0, b"x") == Errno.ENOSPC
    assert names(walk(upper.root(), "d")) == []
    assert names(upper.root().lookup(WORK_DIR_NAME)) == []
    assert big.read(0, 10) == bytes(10)
    assert errno_of(big.truncate, 2000) == Errno.ENOSPC
    big.truncate(500)  # fits once the rest need not be copied
    assert walk(union.root(), "d/big").stat().size == 500
    assert upper.bytes_used == 500


def test_writing_directories_and_symlinks_fails_without_copy_up(layers: Layers) -> None:
    assert errno_of(layers.root.lookup("a").write, 0, b"x") == Errno.EISDIR
    assert errno_of(layers.root.lookup("a").truncate, 0) == Errno.EISDIR
    assert errno_of(layers.root.lookup("l").write, 0, b"x") == Errno.EINVAL
    assert errno_of(layers.root.lookup("l").truncate, 0) == Errno.EINVAL
    assert errno_of(layers.root.lookup("f").lookup, "x") == Errno.ENOTDIR
    assert errno_of(layers.root.lookup("f").entries) == Errno.ENOTDIR
    assert layers.upper_names() == []


def test_open_inode_keeps_working_across_copy_up(layers: Layers) -> None:
    reader = layers.root.lookup("f")  # e.g. held by an O_RDONLY open file description
    assert reader.read(0, 5) == b"lower"
    writer = layers.root.lookup("f")
    writer.write(0, b"UPPER")
    assert reader.read(0, 100) == b"UPPER f"
    reader.write(7, b"!")
    assert writer.read(0, 100) == b"UPPER f!"


def test_open_inode_follows_its_file_through_rename(layers: Layers) -> None:
    f = walk(layers.root, "a/f")
    layers.root.lookup("a").rename("f", layers.root.lookup("b"), "moved")
    f.write(0, b"L")
    assert walk(layers.root, "b/moved").read(0, 100) == b"Lower a/f"
    assert errno_of(walk, layers.root, "a/f") == Errno.ENOENT


def test_write_to_unlinked_lower_file_through_open_inode(layers: Layers) -> None:
    f = layers.root.lookup("f")
    layers.root.unlink("f")
    assert f.read(0, 100) == b"lower f"
    f.write(0, b"L")
    assert f.read(0, 100) == b"Lower f"
    assert errno_of(layers.root.lookup, "f") == Errno.ENOENT
    assert "f" not in layers.upper_names()
    assert names(layers.upper.root().lookup(WORK_DIR_NAME)) == []
    assert f.stat().nlink == 0


def test_lower_file_inode_numbers(layers: Layers) -> None:
    f = layers.root.lookup("f")
    ino = f.stat().ino
    f.write(0, b"x")
    assert layers.root.lookup("f").stat().ino == ino
    del f
    assert layers.root.lookup("f").stat().ino == ino  # also for a new object
    new = layers.root.create("new", 0o644)
    assert new.stat().ino == walk(layers.upper.root(), "new").stat().ino  # upper: as is
    assert len({ino, new.stat().ino, layers.root.lookup("g").stat().ino}) == 3


def test_mount_points_survive_copy_up_of_the_covered_directory(layers: Layers) -> None:
    vfs = Vfs(layers.union)
    tmp = RamFs()
    vfs.mount("/a/c", tmp)
    assert vfs.location_of("/a/c").inode is tmp.root()
    walk(layers.root, "a/c").set_times(1, 2)  # copies a and a/c up
    assert "c" in layers.upper_names("a")
    assert vfs.location_of("/a/c").inode is tmp.root()
    assert vfs.location_of("/a/f").inode.read(0, 100) == b"lower a/f"


def test_lower_hard_links_break_on_copy_up_with_distinct_numbers() -> None:
    upper, lower = RamFs(), RamFs()
    populate(lower, {"x": b"shared"})
    lower.root().link("y", lower.root().lookup("x"))
    union = UnionFs(upper, [lower])
    x, y = union.root().lookup("x"), union.root().lookup("y")
    assert x.stat().ino == y.stat().ino
    assert x.stat().nlink == 2
    x.write(0, b"S")
    assert y.read(0, 10) == b"shared"  # overlayfs without index does the same
    assert x.stat().ino != y.stat().ino
    assert union.root().lookup("x").stat().ino == x.stat().ino


def test_concurrent_first_writes_copy_up_once(layers: Layers) -> None:
    big = layers.root.lookup("big")
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            big.write(i * 1000, bytes([i]) * 10)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    data = big.read(0, 1 << 20)
    for i in range(16):
        assert data[i * 1000 : i * 1000 + 10] == bytes([i]) * 10
    assert data[16_000:] == (bytes(range(256)) * 1000)[16_000:]
    assert names(layers.upper.root().lookup(WORK_DIR_NAME)) == []


# -- removal and creation -------------------------------------------------------------------


def test_unlink_lower_file_leaves_whiteout_and_create_over_it(layers: Layers) -> None:
    root = layers.root
    root.unlink("f")
    assert errno_of(root.lookup, "f") == Errno.ENOENT
    assert errno_of(root.unlink, "f") == Errno.ENOENT
    assert "f" not in names(root)
    assert layers.upper_names() == [whiteout_name("f")]
    new = root.create("f", 0o600)
    assert new.read(0, 100) == b""
    assert root.lookup("f") is new
    assert layers.upper_names() == ["f"]
    root.unlink("f")
    assert layers.upper_names() == [whiteout_name("f")]
    root.symlink("f", "target")
    assert root.lookup("f").readlink() == "target"
    assert layers.upper_names() == ["f"]


def test_unlink_copied_up_file_and_errors(layers: Layers) -> None:
    root = layers.root
    root.lookup("f").write(0, b"x")
    root.unlink("f")
    assert errno_of(root.lookup, "f") == Errno.ENOENT
    assert layers.upper_names() == [WORK_DIR_NAME, whiteout_name("f")]
    assert errno_of(root.unlink, "a") == Errno.EISDIR
    assert errno_of(root.create, "g", 0o644) == Errno.EEXIST
    assert errno_of(root.mkdir, "l", 0o755) == Errno.EEXIST
    assert errno_of(root.symlink, "a", "x") == Errno.EEXIST
    root.create("up", 0o644)
    root.unlink("up")  # upper only: no whiteout needed
    assert whiteout_name("up") not in layers.upper_names()


def test_rmdir_needs_the_merged_directory_empty(layers: Layers) -> None:
    root = layers.root
    assert errno_of(root.rmdir, "a") == Errno.ENOTEMPTY
    assert errno_of(root.rmdir, "f") == Errno.ENOTDIR
    assert errno_of(root.rmdir, "nope") == Errno.ENOENT
    a = root.lookup("a")
    a.create("up", 0o644)
    for name in ("f", "l", "up"):
        a.unlink(name)
    assert errno_of(root.rmdir, "a") == Errno.ENOTEMPTY  # a/c is still there
    c = a.lookup("c")
    c.unlink("f")
    a.rmdir("c")
    root.rmdir("a")
    assert errno_of(root.lookup, "a") == Errno.ENOENT
    assert whiteout_name("a") in layers.upper_names()
    assert "a" not in layers.upper_names()
    # The removed directory: empty, nothing can be made in it.
    assert names(a) == []
    assert errno_of(a.create, "x", 0o644) == Errno.ENOENT
    assert errno_of(a.lookup, "f") == Errno.ENOENT
    assert errno_of(c.mkdir, "x", 0o755) == Errno.ENOENT
    root.rmdir("b")  # lower only and empty
    assert whiteout_name("b") in layers.upper_names()


def test_mkdir_over_whiteout_is_opaque(layers: Layers) -> None:
    root = layers.root
    a = root.lookup("a")
    for name in ("f", "l"):
        a.unlink(name)
    a.lookup("c").unlink("f")
    a.rmdir("c")
    root.rmdir("a")
    new = root.mkdir("a", 0o700)
    assert names(new) == []
    assert errno_of(new.lookup, "c") == Errno.ENOENT
    assert new.stat().mode == 0o700
    assert sorted(layers.upper_names()) == [WORK_DIR_NAME, "a"]
    assert names(walk(layers.upper.root(), "a")) == [OPAQUE_NAME]
    new.mkdir("c", 0o755)  # no lower c shows through an opaque parent
    assert names(walk(root, "a/c")) == []
    assert names(walk(layers.upper.root(), "a/c")) == []
    # An opaque directory holding only markers can be removed again.
    new.rmdir("c")
    root.rmdir("a")
    assert errno_of(root.lookup, "a") == Errno.ENOENT
    assert "a" not in layers.upper_names()


def test_rmdir_upper_dir_over_lower_file_keeps_file_hidden(layers: Layers) -> None:
    root = layers.root
    root.unlink("f")
    root.mkdir("f", 0o755)
    root.rmdir("f")
    assert errno_of(root.lookup, "f") == Errno.ENOENT
    root.create("f", 0o644)
    assert root.lookup("f").read(0, 10) == b""


def test_long_names_get_hashed_whiteouts() -> None:
    upper, lower = RamFs(), RamFs()
    long = "n" * 255
    populate(lower, {long: b"x", "d": None, f"d/{long}": b"y"})
    union = UnionFs(upper, [lower])
    root = union.root()
    root.unlink(long)
    wh = whiteout_name(long)
    assert wh.startswith(".wh..wh.h.")
    assert len(wh) <= 255
    assert upper.root().lookup(wh).filetype == FileType.REGULAR_FILE
    assert errno_of(root.lookup, long) == Errno.ENOENT
    assert names(root) == ["d"]
    root.create(long, 0o644)
    assert names(root) == [long, "d"]  # upper entries first
    root.lookup("d").unlink(long)
    root.rmdir("d")
    assert names(root) == [long]


# -- hard links -----------------------------------------------------------------------------


def test_link_copies_up_then_links(layers: Layers) -> None:
    root = layers.root
    f = root.lookup("f")
    ino = f.stat().ino
    b = root.lookup("b")
    b.link("hard", f)
    hard = b.lookup("hard")
    assert hard.read(0, 100) == b"lower f"
    assert (hard.stat().ino, f.stat().ino) == (ino, ino)
    assert hard.stat().nlink == 2
    hard.write(0, b"L")
    assert f.read(0, 100) == b"Lower f"
    assert walk(layers.upper.root(), "b/hard").stat().ino == walk(
        layers.upper.root(), "f"
    ).stat().ino
    # A symlink links as a symlink.
    b.link("sl", root.lookup("l"))
    assert b.lookup("sl").readlink() == "f"
    assert errno_of(b.link, "hard", f) == Errno.EEXIST
    assert errno_of(b.link, "d", root.lookup("a")) == Errno.EPERM
    assert errno_of(b.link, "x", RamFs().root().create("x", 0o644)) == Errno.EXDEV
    root.unlink("g")
    root.link("g", f)  # over a whiteout
    assert root.lookup("g").read(0, 100) == b"Lower f"
    assert whiteout_name("g") not in layers.upper_names()


def test_link_of_removed_file_fails(layers: Layers) -> None:
    f = layers.root.lookup("f")
    layers.root.unlink("f")
    assert errno_of(layers.root.link, "again", f) == Errno.ENOENT


# -- rename ---------------------------------------------------------------------------------


def test_rename_lower_file_copies_up_and_whiteouts_source(layers: Layers) -> None:
    root = layers.root
    a = root.lookup("a")
    f = a.lookup("f")
    ino = f.stat().ino
    a.rename("f", root, "moved")
    assert root.lookup("moved").read(0, 100) == b"lower a/f"
    assert root.lookup("moved") is f
    assert f.stat().ino == ino
    assert errno_of(a.lookup, "f") == Errno.ENOENT
    assert whiteout_name("f") in layers.upper_names("a")
    # Onto an existing lower file (replaced), then back over the whiteout.
    root.rename("moved", root, "g")
    assert root.lookup("g").read(0, 100) == b"lower a/f"
    root.rename("g", a, "f")
    assert a.lookup("f").read(0, 100) == b"lower a/f"
    assert whiteout_name("f") not in layers.upper_names("a")
    assert errno_of(root.lookup, "g") == Errno.ENOENT
    assert sorted(names(root)) == ["a", "b", "big", "f", "l"]


def test_rename_errors(layers: Layers) -> None:
    root = layers.root
    assert errno_of(root.rename, "nope", root, "x") == Errno.ENOENT
    assert errno_of(root.rename, "f", root, "a") == Errno.EISDIR
    root.mkdir("d", 0o755)
    assert errno_of(root.rename, "d", root, "f") == Errno.ENOTDIR
    assert errno_of(root.rename, "d", root, "a") == Errno.ENOTEMPTY
    root.lookup("d").mkdir("sub", 0o755)
    assert errno_of(root.rename, "d", root.lookup("d").lookup("sub"), "x") == Errno.EINVAL
    assert errno_of(root.lookup("d").rename, "sub", root, "d") == Errno.ENOTEMPTY
    assert errno_of(root.lookup("a").rename, "f", root, "a") == Errno.ENOTEMPTY
    other = RamFs().root()
    assert errno_of(root.rename, "f", other, "x") == Errno.EXDEV
    assert errno_of(root.rename, "f", root.lookup("f"), "x") == Errno.ENOTDIR
    assert layers.upper_names() == ["d"]  # nothing was copied up by the failures


def test_rename_same_file_is_a_no_op(layers: Layers) -> None:
    root = layers.root
    root.rename("f", root, "f")
    root.lookup("g").write(0, b"g")
    root.link("g2", root.lookup("g"))
    root.rename("g", root, "g2")
    assert sorted(n for n in names(root) if n.startswith("g")) == ["g", "g2"]


def test_rename_directory_with_lower_content_is_exdev(layers: Layers) -> None:
    root = layers.root
    assert errno_of(root.rename, "a", root, "z") == Errno.EXDEV  # lower only
    assert errno_of(root.rename, "b", root, "z") == Errno.EXDEV  # lower only, empty
    root.lookup("a").create("n", 0o644)
    assert errno_of(root.rename, "a", root, "z") == Errno.EXDEV  # merged
    assert sorted(names(root)) == ["a", "b", "big", "f", "g", "l"]


def test_rename_upper_only_directories(layers: Layers) -> None:
    root = layers.root
    d = root.mkdir("d", 0o755)
    d.create("x", 0o644).write(0, b"x")
    root.rename("d", root.lookup("b"), "d2")
    assert walk(root, "b/d2/x").read(0, 10) == b"x"
    assert walk(root, "b/d2") is d
    # Onto a lower directory whose lower entries are all whited out: it must
    # stay hidden below the moved directory, which becomes opaque.
    a = root.lookup("a")
    for name in ("f", "l"):
        a.unlink(name)
    a.lookup("c").unlink("f")
    a.rmdir("c")
    root.lookup("b").rename("d2", root, "a")
    assert names(root.lookup("a")) == ["x"]
    assert errno_of(walk, root, "a/c") == Errno.ENOENT
    assert OPAQUE_NAME in layers.upper_names("a")
    # An opaque directory over a lower one moves plainly too.
    root.rename("a", root, "e")
    assert names(root.lookup("e")) == ["x"]
    assert whiteout_name("a") in layers.upper_names()
    assert errno_of(root.lookup, "a") == Errno.ENOENT


# -- whole-system comparison against a plain ramfs ----------------------------------------------

DIRS = st.sampled_from(["", "a", "b", "a/c"])
NAMES = st.sampled_from(["f", "g", "a", "c", "n"])


def _outcome(fn: Callable[..., object], *args: object) -> tuple[str, object]:
    try:
        return ("ok", fn(*args))
    except KernelError as e:
        return ("err", e.errno)


class UnionMatchesRamFs(RuleBasedStateMachine):
    """Random operations on UnionFs(upper, [lower]) and on one RamFs with the
    same initial content give the same results; the lower layer never changes."""

    handles = Bundle("handles")

    def __init__(self) -> None:
        super().__init__()
        self.lower = RamFs()
        populate(self.lower, LOWER)
        self.lower_before = snapshot(self.lower.root())
        self.union = UnionFs(RamFs(), [self.lower])
        self.ref = RamFs()
        populate(self.ref, LOWER)

    def both(self, fn_name: str, path: str, *args: object) -> tuple[str, object]:
        """Call ``fn_name`` on the object at ``path`` in both trees; same outcome."""
        results: list[tuple[str, object]] = []
        for root in (self.union.root(), self.ref.root()):
            try:
                node = walk(root, path)
            except KernelError as e:
                results.append(("err", e.errno))
                continue
            results.append(_outcome(getattr(node, fn_name), *args))
        u, r = results
        if u[0] == "ok" and isinstance(u[1], Inode):
            u, r = (u[0], None), (r[0], None)
        assert u == r, (fn_name, path, args)
        return u

    @rule(d=DIRS, n=NAMES, mode=st.sampled_from([0o644, 0o600]))
    def create(self, d: str, n: str, mode: int) -> None:
        self.both("create", d, n, mode)

    @rule(d=DIRS, n=NAMES)
    def mkdir(self, d: str, n: str) -> None:
        self.both("mkdir", d, n, 0o755)

    @rule(d=DIRS, n=NAMES)
    def unlink(self, d: str, n: str) -> None:
        self.both("unlink", d, n)

    @rule(d=DIRS, n=NAMES)
    def rmdir(self, d: str, n: str) -> None:
        self.both("rmdir", d, n)

    @rule(d=DIRS, n=NAMES, off=st.integers(0, 20), data=st.binary(max_size=12))
    def write(self, d: str, n: str, off: int, data: bytes) -> None:
        self.both("write", f"{d}/{n}", off, data)

    @rule(d=DIRS, n=NAMES, size=st.integers(0, 20))
    def truncate(self, d: str, n: str, size: int) -> None:
        self.both("truncate", f"{d}/{n}", size)

    @rule(d=DIRS, n=NAMES, mode=st.sampled_from([0o600, 0o755]))
    def chmod(self, d: str, n: str, mode: int) -> None:
        self.both("chmod", f"{d}/{n}", mode)

    @rule(d=DIRS, n=NAMES, dest=st.sampled_from(["f", "../a", "x/y"]))
    def symlink(self, d: str, n: str, dest: str) -> None:
        self.both("symlink", d, n, dest)

    @rule(d1=DIRS, n1=NAMES, d2=DIRS, n2=NAMES)
    def link(self, d1: str, n1: str, d2: str, n2: str) -> None:
        outcomes: list[tuple[str, object]] = []
        for root in (self.union.root(), self.ref.root()):
            try:
                src, new_dir = walk(root, f"{d1}/{n1}"), walk(root, d2)
            except KernelError as e:
                outcomes.append(("err", e.errno))
                continue
            outcomes.append(_outcome(new_dir.link, n2, src))
        assert outcomes[0] == outcomes[1]

    @rule(d=DIRS, n=NAMES)
    def read(self, d: str, n: str) -> None:
        self.both("read", f"{d}/{n}", 0, 100)

    @rule(d=DIRS)
    def readdir(self, d: str) -> None:
        outs = []
        for root in (self.union.root(), self.ref.root()):
            try:
                outs.append(sorted((e.name, e.filetype) for e in walk(root, d).entries()))
            except KernelError as e:
                outs.append([("err", e.errno)])  # type: ignore[list-item]
        assert outs[0] == outs[1]

    @rule(d1=DIRS, n1=NAMES, d2=DIRS, n2=NAMES)
    def rename(self, d1: str, n1: str, d2: str, n2: str) -> None:
        try:
            u_dir, u_new = walk(self.union.root(), d1), walk(self.union.root(), d2)
            r_dir, r_new = walk(self.ref.root(), d1), walk(self.ref.root(), d2)
        except KernelError:
            return  # a missing directory: covered by the other rules
        u = _outcome(u_dir.rename, n1, u_new, n2)
        if u == ("err", Errno.EXDEV):
            # Documented difference: directories with lower content do not move.
            assert r_dir.lookup(n1).filetype == FileType.DIRECTORY
            return
        assert u == _outcome(r_dir.rename, n1, r_new, n2)

    @rule(target=handles, d=DIRS, n=NAMES)
    def open(self, d: str, n: str) -> tuple[Inode, Inode] | None:
        try:
            pair = (walk(self.union.root(), f"{d}/{n}"), walk(self.ref.root(), f"{d}/{n}"))
        except KernelError:
            return None
        return pair if pair[1].filetype == FileType.REGULAR_FILE else None

    @rule(h=handles, off=st.integers(0, 20), data=st.binary(max_size=8))
    def handle_write(self, h: tuple[Inode, Inode] | None, off: int, data: bytes) -> None:
        if h is not None:
            assert _outcome(h[0].write, off, data) == _outcome(h[1].write, off, data)

    @rule(h=handles)
    def handle_read(self, h: tuple[Inode, Inode] | None) -> None:
        if h is not None:
            assert h[0].read(0, 100) == h[1].read(0, 100)
            u, r = h[0].stat(), h[1].stat()
            assert (u.size, u.nlink, u.mode) == (r.size, r.nlink, r.mode)

    @invariant()
    def same_tree_and_lower_untouched(self) -> None:
        assert visible(self.union.root()) == visible(self.ref.root())
        assert snapshot(self.lower.root()) == self.lower_before


UnionMatchesRamFs.TestCase.settings = settings(
    max_examples=150, stateful_step_count=30, deadline=None
)
test_union_matches_ramfs = UnionMatchesRamFs.TestCase


class UnionOverSefsMatchesRamFs(UnionMatchesRamFs):
    """The same with the layers a boot uses at ``/``: an encrypted sefs (no cache,
    so every read goes through decryption) over a read-only lower layer."""

    def __init__(self) -> None:
        import tempfile
        from pathlib import Path

        from pyocclum.fs.sefs import SeFs

        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="union-sefs-"))
        self.sefs = SeFs(self.tmp / "upper", b"\x42" * 32, cache_size=0)
        self.union = UnionFs(self.sefs, [self.lower])

    def teardown(self) -> None:
        import shutil

        self.sefs.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


UnionOverSefsMatchesRamFs.TestCase.settings = settings(
    max_examples=60, stateful_step_count=30, deadline=None
)
test_union_over_sefs_matches_ramfs = UnionOverSefsMatchesRamFs.TestCase
