"""The native batch AES-GCM of sefs nodes (``aead.SefsGcm``, every back end:
libgcrypt's and OpenSSL's EVP through the library, and zig's std ``Aes256Gcm``) is bit-identical
to ``cryptography``'s AESGCM in both directions, on random keys, nonces, AADs
and data; tampered tags, ciphertexts and AADs fail at exactly the first bad
node; holes read as zeros, a short node file and host errors are reported; and
a sefs read over a tampered node returns nothing."""

from __future__ import annotations

import errno
import os
import random
import secrets
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.sefs import NODES_NAME, SeFs
from pyocclum.native import aead, library

NODE = aead.NODE
ENTRY = aead.ENTRY


@pytest.fixture(scope="module")
def lib(tmp_path_factory: pytest.TempPathFactory) -> library.NativeLibrary:
    return library.load(tmp_path_factory.mktemp("native-cache"))


def _backends(lib: library.NativeLibrary) -> list[aead.SefsGcm]:
    out = [aead.SefsGcm(lib, None)]
    for load in (aead.openssl_aes, aead.gcrypt_aes):
        aes = load()
        if aes is not None:
            out.append(aead.SefsGcm(lib, aes))
    return out


@pytest.fixture(params=["zig-std", "openssl", "gcrypt"])
def gcm(request: pytest.FixtureRequest, lib: library.NativeLibrary) -> aead.SefsGcm:
    for g in _backends(lib):
        if g.backend == request.param:
            g.self_test()
            return g
    pytest.skip(f"no {request.param} back end here")


@pytest.fixture
def fd(tmp_path: Path) -> Iterator[int]:
    f = os.open(tmp_path / "nodes", os.O_RDWR | os.O_CREAT, 0o600)
    yield f
    os.close(f)


def _aad(prefix: bytes, idx: int) -> bytes:
    return prefix + idx.to_bytes(8, "little")


def _random_case(rng: random.Random, n: int) -> tuple[bytes, bytes, int, int, bytes]:
    key = rng.randbytes(32)
    prefix = b"sefsnode" + rng.randbytes(8) + bytes([rng.randrange(4)])
    first = rng.choice([0, rng.randrange(1 << 20), (1 << 64) - n, rng.randrange((1 << 64) - n)])
    nonce = rng.choice([0, (1 << 64) - n // 2, rng.randrange((1 << 96) - n)])
    return key, prefix, first, nonce, rng.randbytes(n * NODE)


@pytest.mark.parametrize("seed", range(6))
def test_native_seal_matches_cryptography(gcm: aead.SefsGcm, seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([1, 2, 7, 64, 256])
    key, prefix, first, nonce, plain = _random_case(rng, n)
    idxs = [first + i for i in range(n)] if seed % 2 else sorted(
        rng.sample(range(1 << 40), n))
    slots = rng.sample(range(1 << 31), n)
    ct, ents = gcm.seal_nodes(key, prefix, idxs, nonce, plain, slots, rng.choice([1, 2, 5]))
    aes = AESGCM(key)
    for i in range(n):
        e = ents[i * ENTRY : (i + 1) * ENTRY]
        assert int.from_bytes(e[:4], "little") == slots[i] + 1
        assert e[4:16] == ((nonce + i) % (1 << 96)).to_bytes(12, "little")
        got = aes.decrypt(e[4:16], ct[i * NODE : (i + 1) * NODE] + e[16:], _aad(prefix, idxs[i]))
        assert got == plain[i * NODE : (i + 1) * NODE]


def _store(fd: int, aes: AESGCM, prefix: bytes, first: int, nonces: list[bytes],
           plain: bytes, slots: list[int]) -> bytes:
    """Seal with cryptography into ``slots`` of ``fd``; the entries (0 slot: a hole)."""
    ents = bytearray()
    for i, slot in enumerate(slots):
        if slot < 0:
            ents += bytes(ENTRY)
            continue
        sealed = aes.encrypt(nonces[i], plain[i * NODE : (i + 1) * NODE], _aad(prefix, first + i))
        os.pwrite(fd, sealed[:NODE], slot * NODE)
        ents += (slot + 1).to_bytes(4, "little") + nonces[i] + sealed[NODE:]
    return bytes(ents)


@pytest.mark.parametrize("seed", range(6))
def test_native_open_matches_cryptography(gcm: aead.SefsGcm, fd: int, seed: int) -> None:
    rng = random.Random(100 + seed)
    n = rng.choice([1, 3, 16, 100, 256])
    key, prefix, first, _, plain = _random_case(rng, n)
    nonces = [rng.randbytes(12) for _ in range(n)]
    # Runs of consecutive slots, slots out of order, and holes.
    base = rng.randrange(1000)
    slots = [base + i for i in range(n)]
    if seed % 3 == 1:
        rng.shuffle(slots)
    holes = set(rng.sample(range(n), n // 5)) if seed % 3 == 2 else set()
    slots = [-1 if i in holes else s for i, s in enumerate(slots)]
    want = b"".join(bytes(NODE) if i in holes else plain[i * NODE : (i + 1) * NODE]
                    for i in range(n))
    ents = _store(fd, AESGCM(key), prefix, first, nonces, plain, slots)
    for t in (1, 2, 5):
        for in_place in {False, gcm.in_place}:
            for split in (False, True):  # open, and open_begin + open_end
                out, got, why = gcm.open_nodes(fd, key, prefix, first, ents, t, in_place, split)
                assert (got, why) == (n, 0)
                assert out == want


@pytest.mark.parametrize("what", ["tag", "ciphertext", "nonce", "aad-index", "aad-prefix",
                                  "key", "slot"])
def test_tampering_fails_at_the_first_bad_node(gcm: aead.SefsGcm, fd: int,
                                               what: str) -> None:
    rng = random.Random(what)
    n = 40
    key, prefix, first, _, plain = _random_case(rng, n)
    first = min(first, 1 << 40)
    aes = AESGCM(key)
    nonces = [rng.randbytes(12) for _ in range(n)]
    ents = bytearray(_store(fd, aes, prefix, first, nonces, plain, list(range(n))))
    bad = sorted(rng.sample(range(n), 2))
    use_key, use_prefix, use_first = key, prefix, first
    for b in bad:
        at = b * ENTRY
        if what == "tag":
            ents[at + 16 + rng.randrange(16)] ^= 1 << rng.randrange(8)
        elif what == "nonce":
            ents[at + 4 + rng.randrange(12)] ^= 1
        elif what == "slot":  # another node's ciphertext
            ents[at : at + 4] = ((b + 1) % n + 1).to_bytes(4, "little")
        elif what == "ciphertext":
            pos = b * NODE + rng.randrange(NODE)
            byte = os.pread(fd, 1, pos)
            os.pwrite(fd, bytes([byte[0] ^ 0x80]), pos)
    if what == "aad-index":
        use_first, bad = first + 1, [0]
    elif what == "aad-prefix":
        use_prefix, bad = prefix[:-1] + bytes([prefix[-1] ^ 1]), [0]
    elif what == "key":
        use_key, bad = secrets.token_bytes(32), [0]
    for t in (1, 2, 5):
        for split in (False, True):
            _, got, why = gcm.open_nodes(fd, use_key, use_prefix, use_first, bytes(ents), t,
                                         split=split)
            assert (got, why) == (bad[0], 1)
    # cryptography agrees that exactly those nodes fail.
    for i in range(n):
        e = bytes(ents[i * ENTRY : (i + 1) * ENTRY])
        slot = int.from_bytes(e[:4], "little") - 1
        ct = os.pread(fd, NODE, slot * NODE)
        try:
            AESGCM(use_key).decrypt(e[4:16], ct + e[16:], _aad(use_prefix, use_first + i))
            ok = True
        except InvalidTag:
            ok = False
        assert ok == (i not in bad) or what in ("aad-index", "aad-prefix", "key")


def test_short_file_and_host_errors(gcm: aead.SefsGcm, fd: int) -> None:
    rng = random.Random(7)
    n = 20
    key, prefix, first, _, plain = _random_case(rng, n)
    nonces = [rng.randbytes(12) for _ in range(n)]
    ents = _store(fd, AESGCM(key), prefix, first, nonces, plain, list(range(n)))
    os.ftruncate(fd, 13 * NODE + 5)  # node 13 is cut short
    for t in (1, 2):
        for split in (False, True):
            assert gcm.open_nodes(fd, key, prefix, first, ents, t, split=split)[1:] == (13, 0)
    closed = os.dup(fd)
    os.close(closed)
    for split in (False, True):
        with pytest.raises(OSError, match="Bad file descriptor") as info:
            gcm.open_nodes(closed, key, prefix, first, ents, split=split)
        assert info.value.errno == errno.EBADF


def test_reads_begun_together_and_ended_elsewhere(gcm: aead.SefsGcm, fd: int) -> None:
    """Several reads begun before any ends (the pool takes one; the others are
    done whole by their ``open_end``), ended in another order and from other
    threads, all give the right plaintext."""
    rng = random.Random(9)
    n = 96
    key, prefix, first, _, plain = _random_case(rng, n)
    nonces = [rng.randbytes(12) for _ in range(n)]
    ents = _store(fd, AESGCM(key), prefix, first, nonces, plain, list(range(n)))
    parts = [(0, 40), (40, 72), (72, 96), (0, 96)]
    # Everything handed to open_begin must outlive its open_end.
    part_ents = [ents[a * ENTRY : b * ENTRY] for a, b in parts]
    outs = [bytearray((b - a) * NODE) for a, b in parts]
    scratch = outs if gcm.in_place else [bytearray(len(out)) for out in outs]
    handles = [gcm.open_begin(fd, key, prefix, first + a, b - a, e, gcm.addr(sc), gcm.addr(out),
                              2)
               for (a, b), e, out, sc in zip(parts, part_ents, outs, scratch, strict=True)]
    results: dict[int, tuple[int, int]] = {}
    ender = threading.Thread(target=lambda: results.update({2: gcm.open_end(handles[2])}))
    ender.start()
    results[3] = gcm.open_end(handles[3])
    results[0] = gcm.open_end(handles[0])
    ender.join()
    results[1] = gcm.open_end(handles[1])
    for i, (a, b) in enumerate(parts):
        assert results[i] == (b - a, 0)
        assert bytes(outs[i]) == plain[a * NODE : b * NODE]


def test_bad_arguments_are_refused(gcm: aead.SefsGcm) -> None:
    with pytest.raises(ValueError, match="bad key"):
        gcm.seal_nodes(bytes(16), b"p" * 17, [0], 0, bytes(NODE), [0])
    with pytest.raises(ValueError, match="bad key"):
        gcm.seal_nodes(bytes(32), b"p" * 16, [0], 0, bytes(NODE), [0])
    with pytest.raises(ValueError, match="nonce"):
        gcm.seal_nodes(bytes(32), b"p" * 17, [0], 1 << 96, bytes(NODE), [0])
    with pytest.raises(ValueError, match="sizes"):
        gcm.seal_nodes(bytes(32), b"p" * 17, [0, 1], 0, bytes(NODE), [0, 1])


def test_pinned_and_new_bytes(gcm: aead.SefsGcm) -> None:
    import ctypes

    data = bytes(range(256)) * 4
    with gcm.pinned(memoryview(data)[10:20]) as addr:
        assert ctypes.string_at(addr, 10) == data[10:20]
    buf, addr = gcm.new_bytes(4096)
    ctypes.memset(addr, 0x5A, 4096)
    assert buf == b"\x5a" * 4096
    with pytest.raises(ValueError, match="too short"):
        gcm.new_bytes(1)


def test_the_switch_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(library.NATIVE_SWITCH, "0")
    assert aead.sefs_gcm() is None  # read at every mount


def _broken_aes() -> aead.AesLibrary | None:
    """A table whose kind the library does not know: every call fails."""
    real = aead.openssl_aes()
    if real is None:
        return None
    return aead.AesLibrary("broken", 99, real._lib, aead._EVP_NAMES, None)


def test_auto_takes_the_first_library_that_passes_its_self_test(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
) -> None:
    if aead.openssl_aes() is None:
        pytest.skip("no libcrypto here")
    monkeypatch.setitem(aead._AES_CHOICES, "auto", (_broken_aes, aead.openssl_aes))
    with caplog.at_level("DEBUG", logger=aead.log.name):
        gcm = aead._pick_gcm("auto")
    assert gcm is not None
    assert gcm.backend == "openssl"
    assert "broken" in caplog.text  # the failed self-test is logged
    monkeypatch.setitem(aead._AES_CHOICES, "auto", (_broken_aes,))
    assert aead._pick_gcm("auto") is None


def test_each_choice_gives_its_back_end(caplog: pytest.LogCaptureFixture) -> None:
    gcrypt = aead.gcrypt_aes() is not None
    openssl = aead.openssl_aes() is not None
    auto = aead._pick_gcm("auto")
    assert (auto.backend if auto else None) == (
        "gcrypt" if gcrypt else "openssl" if openssl else None)
    zig = aead._pick_gcm("zig")
    assert zig is not None
    assert zig.backend == "zig-std"
    for name, have in (("gcrypt", gcrypt), ("openssl", openssl)):
        g = aead._pick_gcm(name)
        assert (g.backend if g else None) == (name if have else None)
    with caplog.at_level("WARNING", logger=aead.log.name):
        other = aead._pick_gcm("aesni")
    assert (other.backend if other else None) == (auto.backend if auto else None)
    assert "PYOCCLUM_NATIVE_AES='aesni' is not one of auto, gcrypt, openssl, zig" in caplog.text


# -- through sefs -----------------------------------------------------------------------
@pytest.mark.parametrize("native", [True, False])
def test_a_big_read_over_a_tampered_node_returns_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, native: bool,
) -> None:
    if native:
        monkeypatch.delenv(library.NATIVE_SWITCH, raising=False)
        if aead.sefs_gcm() is None:
            pytest.skip("no native sefs AES-GCM here")
    else:
        monkeypatch.setenv(library.NATIVE_SWITCH, "0")
    folder = tmp_path / "vol"
    key = bytes(range(32))
    data = os.urandom(300 * NODE)
    with SeFs(folder, key) as fs:
        assert (fs._gcm is not None) == native
        fs.root().create("f", 0o644).write(0, data)
    with SeFs(folder, key) as fs:
        assert fs.root().lookup("f").read(0, len(data)) == data
    victim = 150
    with SeFs(folder, key) as fs:
        f = fs.root().lookup("f")
        c = f._c  # type: ignore[attr-defined]
        table = fs._table(c, 1, victim >> 7, False)
        assert table is not None
        off = (victim & 127) * ENTRY
        slot = int.from_bytes(table[off : off + 4], "little") - 1
    nodes = folder / NODES_NAME
    with open(nodes, "r+b") as h:
        h.seek(slot * NODE + 100)
        byte = h.read(1)
        h.seek(slot * NODE + 100)
        h.write(bytes([byte[0] ^ 1]))
    with SeFs(folder, key) as fs:
        f = fs.root().lookup("f")
        for offset, size in ((0, len(data)), ((victim - 3) * NODE + 17, 10 * NODE),
                             (victim * NODE, NODE), (victim * NODE + 5, 2)):
            with pytest.raises(KernelError) as info:
                f.read(offset, size)
            assert info.value.errno == Errno.EIO
        # The nodes around it still read.
        assert f.read(0, victim * NODE) == data[: victim * NODE]
        assert f.read((victim + 1) * NODE, 10**9) == data[(victim + 1) * NODE :]


def test_each_back_end_keeps_its_own_self_test_record(
    lib: library.NativeLibrary, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for old in lib.path.parent.glob("self-test-gcm*.ok"):
        old.unlink()
    monkeypatch.setattr(aead, "_library", lambda: lib)
    ran: list[str] = []
    real = aead.SefsGcm.self_test

    def counted(self: aead.SefsGcm) -> None:
        ran.append(self.backend)
        real(self)

    monkeypatch.setattr(aead.SefsGcm, "self_test", counted)
    for choice in ("zig", "openssl", "zig", "openssl", "gcrypt", "zig"):
        aead._pick_gcm(choice)
    have = [b for b in ("openssl", "gcrypt")
            if (aead.openssl_aes if b == "openssl" else aead.gcrypt_aes)()]
    assert sorted(ran) == sorted(["zig-std", *have])  # each tested once
    assert {p.name for p in lib.path.parent.glob("self-test-gcm-*.ok")} == {
        f"self-test-gcm-{b}.ok" for b in ["zig-std", *have]}


# -- one message (the superblock): SefsGcm.encrypt / decrypt -----------------------------
@pytest.mark.parametrize("seed", range(4))
def test_one_message_matches_cryptography(gcm: aead.SefsGcm, seed: int) -> None:
    rng = random.Random(seed)
    for size in (0, 1, 16, 4095, 4097, rng.randrange(1, 200_000)):
        key, nonce, aad = rng.randbytes(32), rng.randbytes(12), rng.randbytes(rng.randrange(80))
        data = rng.randbytes(size)
        sealed = gcm.encrypt(key, nonce, data, aad)
        assert sealed == AESGCM(key).encrypt(nonce, data, aad)
        assert gcm.decrypt(key, nonce, sealed, aad) == data
        assert AESGCM(key).decrypt(nonce, sealed, aad) == data
        bad = bytearray(sealed)
        bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)
        assert gcm.decrypt(key, nonce, bytes(bad), aad) is None
        assert gcm.decrypt(key, nonce, sealed, aad + b"\0") is None
        assert gcm.decrypt(key, bytes(12), sealed, aad) is None or nonce == bytes(12)
        assert gcm.decrypt(key, nonce, sealed[:15], aad) is None  # shorter than a tag
    with pytest.raises(ValueError, match="12-byte nonce"):
        gcm.encrypt(bytes(32), bytes(8), b"x", b"")
