"""The encrypted root end to end: what a program writes under ``/`` reaches the
host only as ciphertext, survives the next boot, and tampering is caught."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from pyocclum.boot import Instance
from pyocclum.errors import InstanceError

MARKER = "PlainTextMarker7q"


@pytest.fixture
def instance(make_instance: Callable[..., Instance]) -> Instance:
    return make_instance("sefs_marker")


def host_files(inst: Instance) -> list[Path]:
    return [p for p in (inst.path / "run").rglob("*") if p.is_file()]


def test_the_host_never_sees_plaintext_and_the_data_persists(instance: Instance) -> None:
    r = instance.run(["/bin/sefs_marker", "/root/m", MARKER, "40"], capture=True)
    assert (r.exit_code, r.stdout) == (0, b"wrote 40\n"), r.stderr
    files = host_files(instance)
    assert any(p.stat().st_size > 40 * 1000 for p in files)  # the data is somewhere
    for path in files:
        assert MARKER.encode() not in path.read_bytes(), path
        assert MARKER not in str(path.relative_to(instance.path))
    # A second boot sees everything: same names, contents, symlink targets.
    with instance.open_root() as fs:
        m = fs.root().lookup("root").lookup("m")
        names = sorted(e.name for e in m.entries())
        assert len(names) == 80
        assert m.lookup("link-7").readlink() == f"{MARKER}-target-7"
        data = m.lookup(f"{MARKER}-dir-39").lookup(f"{MARKER}-file").read(0, 100)
        assert data.startswith(f"{MARKER} 39 0\n".encode())


def test_a_flipped_byte_in_the_encrypted_root_is_refused_or_gives_eio(
    instance: Instance,
) -> None:
    r = instance.run(["/bin/sefs_marker", "/root/m", MARKER, "5"], capture=True)
    assert r.exit_code == 0, r.stderr
    nodes = instance.path / "run" / "mount" / "__ROOT" / "sefs.nodes"
    blob = bytearray(nodes.read_bytes())
    # Damage every slot: whatever the next run reads, it must not get wrong data.
    for offset in range(100, len(blob), 4096 + 16):
        blob[offset] ^= 0x01
    nodes.write_bytes(bytes(blob))
    # The metadata lives in these slots too: the boot refuses, naming the damage.
    with pytest.raises(InstanceError, match=r"refusing to start: .*does not authenticate"):
        instance.run(["/bin/sefs_marker", "/root/m2", MARKER, "1"], capture=True)


def test_a_damaged_data_node_gives_the_reader_eio(instance: Instance) -> None:
    r = instance.run(["/bin/sefs_marker", "/root/m", MARKER, "1"], capture=True)
    assert r.exit_code == 0, r.stderr
    nodes = instance.path / "run" / "mount" / "__ROOT" / "sefs.nodes"
    before = nodes.read_bytes()
    slot = 4096 + 16
    # Flip slots one at a time until one only breaks file data (the boot works and
    # the program's read fails), restoring after each try.
    outcomes = set()
    for offset in range(0, len(before) - slot + 1, slot):
        blob = bytearray(before)
        blob[offset + 10] ^= 0x01
        nodes.write_bytes(bytes(blob))
        try:
            # COUNT 0: only read the first file back.
            r = instance.run(["/bin/sefs_marker", "/root/m", MARKER, "0"], capture=True)
        except InstanceError:
            outcomes.add("refused")
        else:
            if r.exit_code == 0:
                assert r.stdout == b"wrote 0\n"
                outcomes.add("unaffected")
            else:  # a damaged directory or file: EIO, never other bytes
                eio = r.stdout == b"read failed: EIO\n" or b"I/O error" in (r.stderr or b"")
                assert eio, (offset, r.stdout, r.stderr)
                outcomes.add("eio")
        nodes.write_bytes(before)
    assert "eio" in outcomes, outcomes


def test_mounts_from_the_config(instance: Instance) -> None:
    import json

    config = json.loads(instance.config_file.read_text())
    config["mount"] += [
        {"target": "/data", "type": "sefs", "source": "./run/mount/data",
         "options": {"key": "01-23-45-67-89-ab-cd-ef-01-23-45-67-89-ab-cd-ef",
                     "cache_size": "256KB"}},
        {"target": "/scratch", "type": "sefs", "options": {"temporary": True}},
        {"target": "/fast", "type": "ramfs"},
        {"target": "/merged", "type": "unionfs", "options": {"layers": [
            {"target": "/", "type": "hostfs", "source": "./host"},
            {"target": "/", "type": "sefs", "source": "./run/mount/merged"},
        ]}},
    ]
    instance.config_file.write_text(json.dumps(config))
    (instance.path / "host" / f"{MARKER}-dir-0").mkdir(parents=True)
    (instance.path / "host" / f"{MARKER}-dir-0" / f"{MARKER}-file").write_text(MARKER + " host")
    instance.build()

    def run(where: str, count: str) -> bytes:
        r = instance.run(["/bin/sefs_marker", where, MARKER, count], capture=True)
        return (r.stdout or b"") + (r.stderr or b"")

    for where in ("/data/m", "/scratch/m", "/fast/m"):
        assert run(where, "3") == b"wrote 3\n", where
    # The next boot: the sefs keeps its data, the temporary sefs and the ramfs do not.
    assert run("/data/m", "0") == b"wrote 0\n"
    assert b"No such file" in run("/scratch/m", "0")
    assert b"No such file" in run("/fast/m", "0")
    leftovers = instance.path / "run" / "tmp"
    assert not leftovers.exists() or not any(leftovers.iterdir())
    # The union reads the host file through its lower layer; writes go to the sefs.
    assert run("/merged", "0") == b"wrote 0\n"
    assert b"File exists" in run("/merged", "1")  # the lower's directory is there
    assert run("/merged/sub", "2") == b"wrote 2\n"
    assert not (instance.path / "host" / "sub").exists()
    for path in (instance.path / "run").rglob("*"):
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), path


def test_a_bad_mount_option_names_the_key(instance: Instance) -> None:
    import json

    from pyocclum.errors import ConfigError

    config = json.loads(instance.config_file.read_text())
    config["mount"].append({"target": "/d", "type": "sefs", "source": "./d",
                            "options": {"cache_size": "1KB"}})
    instance.config_file.write_text(json.dumps(config))
    with pytest.raises(ConfigError, match=r"mount\[\d\]\.options\.cache_size"):
        instance.build()
