"""sefs's superblocks (docs/sefs-format.md, "Commit protocol").

Anchors are written alternately, in place, to ``sefs.super`` (slot A) and
``sefs.super.b`` (slot B); small commits in between are log records in the
log area of ``sefs.nodes``, each durable with its nodes by one fdatasync.
Every superblock has a generation one higher than the last; a mount uses the
valid anchor with the highest generation, then the records after it. These
tests tear anchor and record writes, damage and replay them as a host could,
run the generations to their end, convert version-1 and version-2 volumes,
and check that a sync of a file with nothing new writes nothing.
"""

from __future__ import annotations

import errno
import os
import random
import struct
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers import abandon, host_files
from helpers import restore as put

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import ImageError, KernelError
from pyocclum.fs.file import OpenFile
from pyocclum.fs.sefs import NODES_NAME, SUPER_B_NAME, SUPER_NAME, SeFs
from pyocclum.fs.sefs import ondisk as sefs_mod
from pyocclum.fs.types import Inode

KEY = bytes(range(32))
SLOTS = (SUPER_NAME, SUPER_B_NAME)
State = dict[str, tuple[object, ...]]


def snapshot(d: Inode, prefix: str = "") -> State:
    """Every name under ``d`` with its kind, mode, links and content."""
    out: State = {}
    for e in d.entries():
        node = d.lookup(e.name)
        s = node.stat()
        path = f"{prefix}/{e.name}"
        if s.filetype == FileType.DIRECTORY:
            out.update(snapshot(node, path))
            out[path] = ("dir", s.mode, s.nlink)
        else:
            out[path] = ("file", s.mode, s.nlink, node.read(0, s.size + 1))
    return out


def mounted_state(folder: Path) -> State | str:
    """What a fresh mount shows, or 'refused' / 'EIO' (never anything else)."""
    try:
        fs = SeFs(folder, KEY, create=False)
    except ImageError:
        return "refused"
    try:
        return snapshot(fs.root())
    except KernelError as e:
        if e.errno != Errno.EIO:
            raise
        return "EIO"
    finally:
        abandon(fs)


def generation(raw: bytes) -> int:
    """The generation of a slot's superblock (decrypted with the test key)."""
    hdr = sefs_mod._HDR
    volume_id, sealed_len = hdr.unpack_from(raw)[3], hdr.unpack_from(raw)[5]
    aes, _ = SeFs._super_keys(KEY, volume_id)
    body = aes.decrypt(raw[hdr.size : hdr.size + 12], raw[hdr.size + 12 : hdr.size + sealed_len],
                       raw[: hdr.size])
    return int(struct.unpack_from("<Q", body, 8)[0])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return tmp_path / "vol"


@pytest.fixture
def anchors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every commit writes an anchor (a slot file), none a log record."""
    monkeypatch.setattr(sefs_mod, "_VERIFY_MAX", -1)


def history(folder: Path, commits: int) -> Iterator[tuple[State, dict[str, bytes]]]:
    """A volume through ``commits`` commits after its creation: after each, what
    a program sees and the host files (the volume stays mounted between them)."""
    fs = SeFs(folder, KEY)
    r = fs.root()
    rng = random.Random(7)
    yield snapshot(r), host_files(folder)
    for n in range(commits):
        name = f"f{n % 3}"
        try:
            f = r.lookup(name)
        except KernelError:
            f = r.create(name, 0o644)
        f.truncate(0)
        f.write(0, rng.randbytes(rng.choice([10, 5000, 13000])))
        if n % 4 == 3:
            r.mkdir(f"d{n}", 0o700)
        fs.sync()
        yield snapshot(r), host_files(folder)
    fs.close()


# -- the slots in normal operation ---------------------------------------------------------


def test_commits_alternate_between_the_slots_in_place(folder: Path, anchors: None) -> None:
    inodes: dict[str, int] = {}
    for n, (_, files) in enumerate(history(folder, 6)):
        gen = n + 1
        newest = SLOTS[n % 2]  # the creation writes slot A, then B, A, B...
        assert generation(files[newest]) == gen
        if n:
            assert generation(files[SLOTS[(n + 1) % 2]]) == gen - 1
        assert "sefs.super.tmp" not in files
        for name in SLOTS:
            if name in files:
                assert len(files[name]) % 4096 == 0
                ino = (folder / name).stat().st_ino
                assert inodes.setdefault(name, ino) == ino  # written in place, never replaced


def test_a_sync_with_nothing_new_writes_nothing(folder: Path) -> None:
    fs = SeFs(folder, KEY)
    r = fs.root()
    a = r.create("a", 0o644)
    b = r.create("b", 0o644)
    a.write(0, b"a")
    fs.sync()
    gen = fs._gen
    b.write(0, b"b")
    a.sync()  # a has nothing new: no commit (b stays uncommitted)
    OpenFile(inode=a, stream=None, path="/a", filetype=FileType.REGULAR_FILE, readable=False,
             writable=True).release()  # nor does its last close
    r.sync()
    assert fs._gen == gen
    b.sync()
    assert fs._gen == gen + 1
    b.sync()
    fs.sync()
    assert fs._gen == gen + 1
    abandon(fs)
    fs = SeFs(folder, KEY)
    assert fs.root().lookup("b").read(0, 9) == b"b"
    fs.close()


# -- torn writes and host replays --------------------------------------------------------------


def test_a_torn_slot_write_leaves_the_previous_commit(folder: Path, anchors: None) -> None:
    """A crash while a commit writes its slot: the slot holds the new bytes up
    to some sector and its old bytes after. The volume mounts as of the commit
    before (or the new one, once every byte of it is there); never anything else."""
    states = list(history(folder, 4))
    (older, _), (before, files_before), (after, files_after) = states[-3:]
    slot = SLOTS[(len(states) - 1) % 2]  # the slot the last commit wrote
    old, new = files_before[slot], files_after[slot]
    assert generation(old) == len(states) - 2
    assert generation(new) == len(states)
    assert len(old) == len(new)
    content = sefs_mod._HDR.size + int.from_bytes(new[64:72], "little")
    assert content < 512  # so the sweep tears it at every 8th byte, not per sector
    for cut in [*range(0, content + 8, 8), *range(512, len(new) + 1, 512)]:
        put(folder, {**files_after, slot: new[:cut] + old[cut:]})
        got = mounted_state(folder)
        assert got == (after if cut >= content else before), cut
    # The torn slot written over by the next commit: the volume goes on from it.
    put(folder, {**files_after, slot: new[:100] + old[100:]})
    fs = SeFs(folder, KEY)
    assert fs._gen == len(states) - 1
    fs.root().create("next", 0o644).write(0, b"n")
    fs.close()
    assert generation((folder / slot).read_bytes()) == len(states)
    want = {**before, "/next": ("file", 0o644, 1, b"n")}
    assert mounted_state(folder) == want
    assert older != before != after


def test_both_slots_bad_refuses_the_mount(folder: Path, anchors: None) -> None:
    *_, (_, files) = history(folder, 2)
    for damage in (lambda b: b[:100], lambda b: b"", lambda b: bytes(len(b)),
                   lambda b: b[:200] + bytes([b[200] ^ 1]) + b[201:]):
        put(folder, {**files, SUPER_NAME: damage(files[SUPER_NAME]),
                     SUPER_B_NAME: damage(files[SUPER_B_NAME])})
        with pytest.raises(ImageError) as info:
            SeFs(folder, KEY, create=False)
        assert SUPER_NAME in str(info.value)
        assert SUPER_B_NAME in str(info.value)
    put(folder, files)
    assert isinstance(mounted_state(folder), dict)


def test_slots_of_another_volume_or_a_newer_format_are_refused(folder: Path, tmp_path: Path,
                                                               anchors: None) -> None:
    *_, (_, files) = history(folder, 1)
    *_, (_, other) = history(tmp_path / "other", 3)
    put(folder, {**files, SUPER_B_NAME: other[SUPER_B_NAME]})  # same key, other volume
    with pytest.raises(ImageError, match="different volumes"):
        SeFs(folder, KEY, create=False)
    future = bytearray(files[SUPER_B_NAME])
    future[8:12] = (4).to_bytes(4, "little")
    put(folder, {**files, SUPER_B_NAME: bytes(future)})  # never skipped for the older slot
    with pytest.raises(ImageError, match="format version 4 is not supported"):
        SeFs(folder, KEY, create=False)


def test_older_slots_replayed_by_the_host_roll_back_only_the_whole_volume(
    folder: Path, anchors: None,
) -> None:
    """The host puts back superblocks it saw earlier. That can only make the
    whole volume an earlier commit (what a host that copied the whole folder
    can do anyway): every file as of that commit, or EIO where the node
    file moved on; never one file old and another new."""
    states = list(history(folder, 7))
    final = states[-1][1]
    # Every slot content the host saw (by generation), in either slot, with
    # today's node file; the mount goes by the higher generation.
    saved = {generation(files[n]): files[n] for _, files in states for n in SLOTS if n in files}
    assert sorted(saved) == list(range(1, len(states) + 1))
    outcomes: set[str] = set()
    for ga, a in saved.items():
        for gb, b in saved.items():
            put(folder, {**final, SUPER_NAME: a, SUPER_B_NAME: b})
            got = mounted_state(folder)
            assert got in ("EIO", "refused", states[max(ga, gb) - 1][0]), (ga, gb)
            outcomes.add(got if isinstance(got, str) else "whole")
    assert "whole" in outcomes
    assert outcomes & {"EIO", "refused"}
    # With nothing written after the newest commit, the previous one is whole: its
    # nodes are reused only after the newest commit, by later writes.
    prev_slot = SLOTS[len(states) % 2]
    put(folder, {**final, SLOTS[(len(states) - 1) % 2]: b"garbage"})
    assert generation(final[prev_slot]) == len(states) - 1
    assert mounted_state(folder) == states[-2][0]


def test_a_failed_slot_write_is_retried_in_the_same_slot(
    folder: Path, monkeypatch: pytest.MonkeyPatch, anchors: None,
) -> None:
    fs = SeFs(folder, KEY)
    r = fs.root()
    r.create("a", 0o644).write(0, b"1")
    fs.sync()
    fs.sync()
    gen, cur = fs._gen, fs._cur
    real = os.fdatasync
    calls: list[int] = []

    def failing(fd: int) -> None:
        calls.append(fd)
        if fd in fs._fds.supers:
            raise OSError(errno.EIO, "injected")
        real(fd)

    monkeypatch.setattr(os, "fdatasync", failing)
    r.lookup("a").write(0, b"2")
    with pytest.raises(KernelError) as info:
        fs.sync()
    assert info.value.errno == Errno.EIO
    assert (fs._gen, fs._cur) == (gen, cur)  # the newest durable slot is untouched
    monkeypatch.setattr(os, "fdatasync", real)
    fs.sync()
    assert (fs._gen, fs._cur) == (gen + 1, 1 - cur)
    fs.close()
    assert mounted_state(folder) == {"/a": ("file", 0o644, 1, b"2")}


def test_generations_never_wrap(folder: Path, anchors: None) -> None:
    fs = SeFs(folder, KEY)
    r = fs.root()
    r.create("a", 0o644).write(0, b"last")
    fs._gen = sefs_mod._MAX_GEN - 1  # as if the volume had been committed 2^64 - 2 times
    fs.sync()
    assert fs._gen == sefs_mod._MAX_GEN
    r.create("b", 0o644)
    with pytest.raises(KernelError, match="used up") as info:
        fs.sync()
    assert info.value.errno == Errno.EIO
    abandon(fs)
    # The highest generation wins although the other slot's number is smaller by 2^64 - 2.
    assert generation((folder / SLOTS[fs._cur]).read_bytes()) == sefs_mod._MAX_GEN
    assert mounted_state(folder) == {"/a": ("file", 0o644, 1, b"last")}
    fs = SeFs(folder, KEY)
    assert fs._gen == sefs_mod._MAX_GEN
    fs.root().lookup("a").write(0, b"more")
    with pytest.raises(KernelError, match="used up"):
        fs.sync()
    abandon(fs)
    assert mounted_state(folder) == {"/a": ("file", 0o644, 1, b"last")}


def test_nonces_stay_unique_when_a_torn_slot_write_drops_a_reservation(
    folder: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no random jump at mount, only the reservation protocol keeps nonces
    unique: sessions that crash while writing a slot (a reservation or a commit)
    and fall back to the other slot must still never reuse one."""
    monkeypatch.setattr(sefs_mod, "_NONCE_RESERVE", 3)
    monkeypatch.setattr(sefs_mod, "_NONCE_JUMP", 1)
    monkeypatch.setenv("PYOCCLUM_NATIVE", "0")  # every nonce goes through encrypt_into
    seen: list[bytes] = []

    class Recorder:
        def __init__(self, inner: object) -> None:
            self.inner = inner

        def encrypt_into(self, nonce: bytes, *args: object) -> int:
            seen.append(bytes(nonce))
            return self.inner.encrypt_into(nonce, *args)  # type: ignore[attr-defined, no-any-return]

        def decrypt_into(self, *args: object) -> int:
            return self.inner.decrypt_into(*args)  # type: ignore[attr-defined, no-any-return]

        def decrypt(self, *args: object) -> bytes:
            return self.inner.decrypt(*args)  # type: ignore[attr-defined, no-any-return]

    class Crash(Exception):
        pass

    real_pwrite_all: Callable[[int, bytes], None] = SeFs._pwrite_all
    real_write_record = SeFs._write_record
    rng = random.Random(3)
    for session in range(16):
        fs = SeFs(folder, KEY, cache_size=0)
        assert fs._gcm is None
        fs._aes = Recorder(fs._aes)  # type: ignore[assignment]
        budget = rng.randrange(1, 8)  # tear the budget-th superblock write of this session

        def tearing(fd: int, data: bytes, fs: SeFs = fs) -> None:
            nonlocal budget
            if fd in fs._fds.supers:
                budget -= 1
                if budget == 0:
                    real_pwrite_all(fd, data[: rng.randrange(0, 200)])
                    raise Crash
            real_pwrite_all(fd, data)

        def tearing_record(self: SeFs, state: sefs_mod._SuperState, limit: int) -> bool:
            nonlocal budget
            budget -= 1
            if budget != 0:
                return real_write_record(self, state, limit)
            # A crash before the record's fdatasync: the record torn, or whole
            # but without one of its nodes.
            real_pwrite = self._pwrite
            slot = self._log[self._logpos]
            if rng.random() < 0.5:
                self._pwrite = lambda view, offset: real_pwrite(  # type: ignore[method-assign]
                    view[: rng.randrange(0, 300)], offset)
                real_write_record(self, state, limit)
            elif real_write_record(self, state, limit):
                new = int.from_bytes(self._in_use, "little") & ~int.from_bytes(
                    self._committed, "little")
                victim = (new & -new).bit_length() - 1
                if victim >= 0 and victim != slot:
                    real_pwrite(memoryview(bytes(4096)), victim << 12)
            raise Crash

        monkeypatch.setattr(SeFs, "_pwrite_all", staticmethod(tearing))
        monkeypatch.setattr(SeFs, "_write_record", tearing_record)
        try:
            for i in range(4):
                f = fs.root().create(f"s{session}-{i}", 0o644)
                f.write(0, bytes([i]) * (3 * 4096))
                if i % 2:
                    f.sync()
            fs.close()
        except (Crash, KernelError):
            abandon(fs)
        monkeypatch.setattr(SeFs, "_pwrite_all", staticmethod(real_pwrite_all))
        monkeypatch.setattr(SeFs, "_write_record", real_write_record)
    assert len(seen) > 100
    assert len(set(seen)) == len(seen)
    state = mounted_state(folder)
    assert isinstance(state, dict)
    assert any(name.startswith("/s") for name in state)


# -- version 1 --------------------------------------------------------------------------------


def as_old_version(folder: Path, version: int) -> bytes:
    """Rewrite the volume's newest anchor in the form of format ``version`` (1: one
    file, no padding; 2: padded to 4 KiB; both without a log area) into
    sefs.super, and remove sefs.super.b. Returns what sefs.super holds."""
    files = host_files(folder)
    raw = max((files[n] for n in SLOTS if n in files), key=generation)
    hdr = sefs_mod._HDR
    magic, _, flags, volume_id, check, sealed_len = hdr.unpack_from(raw)
    aes, _ = SeFs._super_keys(KEY, volume_id)
    body = aes.decrypt(raw[hdr.size : hdr.size + 12], raw[hdr.size + 12 : hdr.size + sealed_len],
                       raw[: hdr.size])
    fields = sefs_mod._BODY.unpack_from(body)
    log_len, n_verify = fields[9:]
    assert n_verify == 0
    rest = body[sefs_mod._BODY.size : len(body) - 4 * log_len]
    old_body = sefs_mod._BODY_OLD.pack(*fields[:9]) + rest
    header = hdr.pack(magic, version, flags, volume_id, check, 12 + len(old_body) + 16)
    nonce = os.urandom(12)
    out = header + nonce + aes.encrypt(nonce, old_body, header)
    if version == 2:
        out = out.ljust(4096, b"\0")
    (folder / SUPER_NAME).write_bytes(out)
    (folder / SUPER_B_NAME).unlink(missing_ok=True)
    return out


@pytest.mark.parametrize("version", [1, 2])
def test_an_old_volume_is_converted_at_its_first_mount(folder: Path, anchors: None,
                                                       version: int) -> None:
    *_, (want, _) = history(folder, 3)
    old = as_old_version(folder, version)
    gen = generation(old)
    assert mounted_state(folder) == want
    files = host_files(folder)
    assert sorted(files) == sorted(["sefs.lock", NODES_NAME, SUPER_NAME, SUPER_B_NAME])
    for name in SLOTS:  # both slots are version 3 now: older versions refuse the volume
        assert int.from_bytes(files[name][8:12], "little") == 3
    assert generation(files[SUPER_B_NAME]) == gen + 1
    assert generation(files[SUPER_NAME]) == gen + 2
    assert mounted_state(folder) == want
    # A conversion interrupted after slot B: slot B is newer and wins, and slot A
    # is converted by the next mount.
    put(folder, {**files, SUPER_NAME: old})
    assert mounted_state(folder) == want
    assert int.from_bytes((folder / SUPER_NAME).read_bytes()[8:12], "little") == 3
    # Version 1 never appears in slot B (it is not valid there, and ignored).
    put(folder, {**files, SUPER_B_NAME: old})
    assert mounted_state(folder) == want
    # The converted volume takes log records.
    fs = SeFs(folder, KEY)
    fs.root().create("new", 0o644).write(0, b"x")
    fs.close()
    assert mounted_state(folder) == {**want, "/new": ("file", 0o644, 1, b"x")}


# -- log records ------------------------------------------------------------------------------


def count_syncs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The descriptors os.fdatasync and os.fsync are called with, from now on."""
    calls: list[int] = []
    real_fdatasync, real_fsync = os.fdatasync, os.fsync

    def fdatasync(fd: int) -> None:
        calls.append(fd)
        real_fdatasync(fd)

    def fsync(fd: int) -> None:
        calls.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(os, "fdatasync", fdatasync)
    monkeypatch.setattr(os, "fsync", fsync)
    return calls


def test_small_commits_are_log_records_with_one_sync_each(
    folder: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    fs = SeFs(folder, KEY)
    f = fs.root().create("f", 0o644)
    f.write(0, bytes(4096 * (sefs_mod._VERIFY_MAX + 1)))
    fs.sync()  # too many new slots for a record: the second anchor, in sefs.super.b
    anchors = host_files(folder)
    assert generation(anchors[SUPER_B_NAME]) == fs._gen
    syncs = count_syncs(monkeypatch)
    for n in range(sefs_mod._LOG_LEN):
        f.write(n * 10, b"0123456789")
        f.sync()
        assert syncs == [fs._fds.nodes], n  # one fdatasync of the node file, nothing else
        syncs.clear()
        assert fs._logpos == n + 1
    for name in SLOTS:  # the anchors were not touched
        assert (folder / name).read_bytes() == anchors[name]
    f.write(0, b"a full log area")
    f.sync()  # the log area is full: an anchor, to sefs.super this time
    assert syncs == [fs._fds.nodes, fs._fds.supers[0]]
    assert fs._logpos == 0
    syncs.clear()
    f.write(0, bytes(4096 * (sefs_mod._VERIFY_MAX + 1)))  # too many new slots for a record
    f.sync()
    assert syncs == [fs._fds.nodes, fs._fds.supers[1]]
    abandon(fs)


def test_a_torn_or_incomplete_log_record_leaves_the_previous_commit(folder: Path) -> None:
    """A crash before a record's fdatasync: the record torn anywhere, or whole but
    without some of the nodes it lists. The mount uses the commit before."""
    fs = SeFs(folder, KEY)
    r = fs.root()
    f = r.create("f", 0o644)
    f.write(0, b"one")
    fs.sync()
    before = snapshot(r)
    committed = int.from_bytes(fs._committed, "little")
    f.write(0, b"two" * 3000)
    r.create("g", 0o600)
    fs.sync()
    after = snapshot(r)
    pos = fs._logpos - 1
    assert pos >= 0
    record_slot = fs._log[pos]
    bits = int.from_bytes(fs._committed, "little")
    new = [s for s in range(bits.bit_length()) if bits >> s & 1 and not committed >> s & 1]
    abandon(fs)
    files = host_files(folder)
    nodes = files[NODES_NAME]
    record = nodes[record_slot * 4096 : (record_slot + 1) * 4096]
    content = sefs_mod._HDR.size + int.from_bytes(record[64:72], "little")
    assert mounted_state(folder) == after
    for cut in range(0, content, 8):  # torn: the old bytes (zeros here) after the cut
        torn = record[:cut] + bytes(4096 - cut)
        put(folder, {**files, NODES_NAME: nodes[: record_slot * 4096] + torn
                     + nodes[(record_slot + 1) * 4096 :]})
        assert mounted_state(folder) == before, cut
    assert new
    for slot in new:  # a node it lists did not reach the disk (zeros, or its old bytes)
        put(folder, {**files, NODES_NAME: nodes[: slot * 4096] + bytes(4096)
                     + nodes[(slot + 1) * 4096 :]})
        assert mounted_state(folder) == before, slot
    put(folder, files)
    # The next session writes its record over the torn one and goes on.
    torn = record[:100] + bytes(4096 - 100)
    put(folder, {**files, NODES_NAME: nodes[: record_slot * 4096] + torn
                 + nodes[(record_slot + 1) * 4096 :]})
    fs = SeFs(folder, KEY)
    assert fs._logpos == pos
    fs.root().create("h", 0o644)
    fs.close()
    assert mounted_state(folder) == {**before, "/h": ("file", 0o644, 1, b"")}
