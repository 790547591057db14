"""/dev/attestation in devfs, served by the boot's real attester (BootAttester) for a
signed identity; the calling process is whatever object the test says is current."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from helpers import errno_of

from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.attestation import Policy, verify
from pyocclum.attestation.quote import decode
from pyocclum.attestation.report import check_report, report_key
from pyocclum.boot.attest import sim_backend
from pyocclum.boot.mounts import BootAttester
from pyocclum.errors import KernelError
from pyocclum.fs.devfs import DevFs
from pyocclum.fs.types import Inode
from pyocclum.image.identity import SigStruct, public_key_of, sign

SIGNER = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
SIG = sign(SigStruct(bytes(range(32)), 5, 2, True, public_key_of(SIGNER)), SIGNER)
SECRET = b"platform secret for the test....."


class Proc:
    """Stands for a kernel Process (any object that can be weakly referenced)."""


class Caller:
    def __init__(self) -> None:
        self.current: Proc = Proc()

    def __call__(self) -> object:
        return self.current


@pytest.fixture
def caller() -> Caller:
    return Caller()


@pytest.fixture
def attdir(caller: Caller, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Inode:
    monkeypatch.setenv("PYOCCLUM_ATTESTATION_KEY", str(tmp_path / "platform-key"))
    return DevFs(None, BootAttester(SIG, SECRET), caller).root().lookup("attestation")


def opened(d: Inode, name: str) -> Inode:
    """``name`` as an open() gets it: looked up, then opened (the snapshot's moment)."""
    inode = d.lookup(name)
    assert inode.open_stream() is None  # offset I/O: reads and seeks work
    return inode


def test_without_an_attester_there_is_no_attestation_directory() -> None:
    root = DevFs(None).root()
    assert errno_of(root.lookup, "attestation") == Errno.ENOENT
    assert "attestation" not in [e.name for e in root.entries()]
    with pytest.raises(ValueError, match="calling process"):
        DevFs(None, BootAttester(SIG, SECRET))


def test_the_directory_lists_four_regular_files(attdir: Inode) -> None:
    root = DevFs(None, BootAttester(SIG, SECRET), Caller()).root()
    assert [(e.name, e.filetype) for e in root.entries()][-1] == ("attestation",
                                                                  FileType.DIRECTORY)
    assert root.stat().nlink == 3
    inos = [e.ino for e in root.entries()] + [e.ino for e in attdir.entries()]
    assert len(set(inos)) == len(inos)
    assert root.lookup("attestation") is root.lookup("attestation")  # one table of data
    names = [(e.name, e.filetype) for e in attdir.entries()]
    assert names == [(n, FileType.REGULAR_FILE) for n in
                     ("attestation_type", "quote", "report", "user_report_data")]
    assert attdir.lookup("user_report_data").stat().mode == 0o666
    assert attdir.lookup("quote").stat().mode == 0o444
    assert errno_of(attdir.lookup, "target_info") == Errno.ENOENT


def test_report_data_is_zeros_until_written_and_only_64_bytes_are_taken(attdir: Inode) -> None:
    f = attdir.lookup("user_report_data")
    assert f.read(0, 100) == bytes(64)
    assert errno_of(f.write, 0, b"x" * 63) == Errno.EINVAL
    assert errno_of(f.write, 0, b"x" * 65) == Errno.EINVAL
    assert f.read(0, 64) == bytes(64)
    assert f.write(0, b"n" * 64) == 64
    assert f.read(60, 10) == b"nnnn"
    f.truncate(0)  # O_TRUNC, as open(..., "wb") does: nothing changes
    assert f.read(0, 64) == b"n" * 64
    assert f.stat().size == 64


def test_each_process_has_its_own_report_data(attdir: Inode, caller: Caller) -> None:
    f = attdir.lookup("user_report_data")
    first = caller.current
    f.write(0, b"1" * 64)
    caller.current = Proc()
    assert f.read(0, 64) == bytes(64)
    f.write(0, b"2" * 64)
    caller.current = first
    assert f.read(0, 64) == b"1" * 64


def test_the_data_goes_with_its_process(attdir: Inode, caller: Caller) -> None:
    f = attdir.lookup("user_report_data")
    f.write(0, b"1" * 64)
    caller.current = Proc()  # the first process is gone: nothing keeps its data
    gc.collect()
    table = attdir._table  # type: ignore[attr-defined]
    assert len(table._data) == 0
    assert f.read(0, 64) == bytes(64)


def test_the_quote_is_a_snapshot_of_the_report_data_at_open(attdir: Inode,
                                                            tmp_path: Path) -> None:
    attdir.lookup("user_report_data").write(0, b"nonce-1".ljust(64, b"\0"))
    q = opened(attdir, "quote")
    attdir.lookup("user_report_data").write(0, b"nonce-2".ljust(64, b"\0"))
    raw = q.read(0, 100) + q.read(100, 1000)
    assert q.stat().size == len(raw)
    assert q.read(84, 7) == b"nonce-1"  # a seek back reads the same quote
    policy = Policy(mrenclave=(SIG.mrenclave,), allow_sim=True, allow_debug=True,
                    sim_platform_keys=(sim_backend().public_key,))
    got = verify(raw, policy, report_data=b"nonce-1")
    assert (got.mrsigner, got.product_id, got.version_number, got.debuggable) == (
        SIG.mrsigner, 5, 2, True)
    assert decode(opened(attdir, "quote").read(0, 1000)).report_data.startswith(b"nonce-2")
    assert (tmp_path / "platform-key").stat().st_mode & 0o777 == 0o600


def test_nothing_is_signed_or_read_before_a_quote_is_opened(attdir: Inode,
                                                           tmp_path: Path) -> None:
    attdir.lookup("quote").stat()
    list(attdir.entries())
    assert not (tmp_path / "platform-key").exists()
    opened(attdir, "quote")
    assert (tmp_path / "platform-key").exists()


def test_the_report_is_macd_for_this_platform_only(attdir: Inode) -> None:
    attdir.lookup("user_report_data").write(0, b"r" * 64)
    raw = opened(attdir, "report").read(0, 1000)
    report = check_report(report_key(SECRET), raw)
    assert (report.mrenclave, report.mrsigner, report.report_data) == (
        SIG.mrenclave, SIG.mrsigner, b"r" * 64)
    assert report.debuggable


def test_attestation_type_reads_sim_without_a_newline(attdir: Inode) -> None:
    assert attdir.lookup("attestation_type").read(0, 100) == b"sim"


def test_read_only_files_refuse_changes(attdir: Inode) -> None:
    for name in ("quote", "report", "attestation_type"):
        f = opened(attdir, name)
        assert errno_of(f.write, 0, b"x") == Errno.EACCES
        assert errno_of(f.truncate, 0) == Errno.EACCES
        assert errno_of(f.chmod, 0o777) == Errno.EPERM
    assert errno_of(attdir.create, "quote", 0o644) == Errno.EEXIST
    assert errno_of(attdir.create, "new", 0o644) == Errno.EROFS
    assert errno_of(attdir.unlink, "quote") == Errno.EROFS
    root = DevFs(None, BootAttester(SIG, SECRET), Caller()).root()
    assert errno_of(root.rmdir, "attestation") == Errno.EROFS


def test_a_broken_platform_key_is_eacces_with_the_reason(attdir: Inode, tmp_path: Path) -> None:
    (tmp_path / "platform-key").write_bytes(b"short")
    with pytest.raises(KernelError) as info:
        opened(attdir, "quote")
    assert info.value.errno == Errno.EACCES
    assert "32 bytes" in str(info.value)
