"""Mount construction and sefs keys (pyocclum.boot.mounts)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyocclum.boot.mounts import (
    MountEnv,
    MountSet,
    parse_user_key,
    read_user_key,
    user_sefs_key,
)
from pyocclum.config.runtime import RuntimeMount
from pyocclum.crypto import Identity
from pyocclum.errors import InstanceError, KernelError
from pyocclum.fs.types import FileSystem
from pyocclum.image.identity import gen_image_key

SECRET = b"\x11" * 32
ME = Identity(b"\x01" * 32, b"\xaa" * 32, product_id=3, version_number=1)
REBUILT = Identity(b"\x02" * 32, b"\xaa" * 32, product_id=3, version_number=2)
OTHER_SIGNER = Identity(b"\x01" * 32, b"\xbb" * 32, product_id=3, version_number=1)
KEY_TEXT = "00-11-22-33-44-55-66-77-88-99-aa-bb-cc-dd-ee-ff"


def env(folder: Path, identity: Identity = ME, user_key: bytes | None = None) -> MountEnv:
    return MountEnv(instance=folder, image_root=b"\0" * 32, identity=identity,
                    platform_secret=SECRET, user_key=user_key)


def sefs(**options: object) -> RuntimeMount:
    return RuntimeMount(target="/data", type="sefs", source="./run/mount/data",
                        **options)  # type: ignore[arg-type]


def write(fs: FileSystem, name: str, data: bytes) -> None:
    fs.root().create(name, 0o644).write(0, data)


def read(fs: FileSystem, name: str) -> bytes:
    return fs.root().lookup(name).read(0, 1 << 20)


def roundtrip(folder: Path, spec: RuntimeMount, writer: MountEnv, reader: MountEnv) -> bytes:
    mounts = MountSet(writer)
    fs = mounts.make(spec, 1)
    assert fs is not None
    write(fs, "secret.txt", b"kept")
    mounts.close()
    mounts = MountSet(reader)
    try:
        fs = mounts.make(spec, 1)
        assert fs is not None
        return read(fs, "secret.txt")
    finally:
        mounts.close()


def test_parse_user_key() -> None:
    assert parse_user_key(KEY_TEXT + "\n", "k") == bytes.fromhex(KEY_TEXT.replace("-", ""))
    for bad in ("", "00-11", KEY_TEXT + "-00", KEY_TEXT.replace("ff", "zz"), "0" * 32):
        with pytest.raises(InstanceError, match="k: not a key"):
            parse_user_key(bad, "k")


def test_read_user_key_reads_what_gen_image_key_writes(tmp_path: Path) -> None:
    text = gen_image_key(tmp_path / "key")
    assert read_user_key(tmp_path / "key").hex("-") == text
    with pytest.raises(InstanceError, match="cannot read the key"):
        read_user_key(tmp_path / "missing")


def test_default_key_survives_a_rebuild_by_the_same_signer(tmp_path: Path) -> None:
    assert roundtrip(tmp_path, sefs(), env(tmp_path), env(tmp_path, REBUILT)) == b"kept"


def test_another_signer_is_refused_and_the_data_left_alone(tmp_path: Path) -> None:
    folder = tmp_path / "run" / "mount" / "data"
    with pytest.raises(InstanceError, match=r"refusing to start: .*left untouched"):
        roundtrip(tmp_path, sefs(), env(tmp_path), env(tmp_path, OTHER_SIGNER))
    before = {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    assert before
    # The right identity still reads it.
    mounts = MountSet(env(tmp_path))
    fs = mounts.make(sefs(), 1)
    assert fs is not None
    assert read(fs, "secret.txt") == b"kept"
    mounts.close()


def test_mrenclave_policy_binds_the_exact_build(tmp_path: Path) -> None:
    spec = sefs(autokey_policy=1)
    with pytest.raises(InstanceError, match="refusing to start"):
        roundtrip(tmp_path, spec, env(tmp_path), env(tmp_path, REBUILT))


def test_user_key_from_the_config_is_shared_across_signers(tmp_path: Path) -> None:
    spec = sefs(key=KEY_TEXT)
    assert roundtrip(tmp_path, spec, env(tmp_path), env(tmp_path, OTHER_SIGNER)) == b"kept"


def test_run_key_is_the_default_and_the_config_key_wins(tmp_path: Path) -> None:
    key = bytes(range(16))
    assert roundtrip(tmp_path / "a", sefs(), env(tmp_path / "a", user_key=key),
                     env(tmp_path / "a", OTHER_SIGNER, user_key=key)) == b"kept"
    # Written with the --key: without it, the sealing key does not open it.
    with pytest.raises(InstanceError, match="refusing to start"):
        roundtrip(tmp_path / "b", sefs(), env(tmp_path / "b", user_key=key), env(tmp_path / "b"))
    # options.key takes precedence over --key.
    spec = sefs(key=KEY_TEXT)
    assert roundtrip(tmp_path / "c", spec, env(tmp_path / "c", user_key=key),
                     env(tmp_path / "c")) == b"kept"


def test_user_sefs_key_is_a_derived_256_bit_key() -> None:
    key = user_sefs_key(b"\x05" * 16)
    assert len(key) == 32
    assert key != user_sefs_key(b"\x06" * 16)


def test_temporary_sefs_starts_empty_and_is_deleted(tmp_path: Path) -> None:
    spec = RuntimeMount(target="/scratch", type="sefs", temporary=True)
    mounts = MountSet(env(tmp_path))
    fs = mounts.make(spec, 4)
    assert fs is not None
    write(fs, "x", b"gone soon")
    folder = tmp_path / "run" / "tmp" / "mount-4"
    assert any(folder.iterdir())
    mounts.close()
    assert not folder.exists()
    mounts = MountSet(env(tmp_path))
    fs = mounts.make(spec, 4)
    assert fs is not None
    with pytest.raises(KernelError):
        fs.root().lookup("x")
    mounts.close()


def test_procfs_without_a_kernel_is_not_mounted(tmp_path: Path) -> None:
    assert MountSet(env(tmp_path)).make(RuntimeMount(target="/proc", type="procfs"), 2) is None


def test_unknown_type_names_the_mount(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match=r"mount\[3\] \(/x\): .*'ext2'"):
        MountSet(env(tmp_path)).make(RuntimeMount(target="/x", type="ext2"), 3)


def test_ramfs_root_is_world_writable_and_sticky_as_tmpfs(tmp_path: Path) -> None:
    fs = MountSet(env(tmp_path)).make(RuntimeMount(target="/tmp", type="ramfs"), 2)
    assert fs is not None
    assert fs.root().stat().mode & 0o7777 == 0o1777
