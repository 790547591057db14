"""The instance template: Occlum.json text, image files, `occlum init` and `occlum new`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pyocclum.config import (
    IMAGE_DIRS,
    default_config,
    default_config_json,
    default_image_files,
    init_instance,
    new_instance,
    parse_config,
)
from pyocclum.errors import InstanceError


def test_default_config_json_has_occlum_layout() -> None:
    data = json.loads(default_config_json())
    assert list(data) == [
        "resource_limits",
        "process",
        "entry_points",
        "env",
        "metadata",
        "feature",
        "mount",
    ]
    assert data["resource_limits"] == {
        "kernel_space_heap_size": "32MB",
        "kernel_space_stack_size": "1MB",
        "user_space_size": "300MB",
        "max_num_of_threads": 32,
        "max_num_of_processes": 256,
        "max_open_files": 1024,
    }
    assert data["process"] == {
        "default_stack_size": "4MB",
        "default_heap_size": "32MB",
        "default_mmap_size": "100MB",
    }
    assert data["entry_points"] == ["/bin"]
    assert data["env"] == {"default": ["OCCLUM=yes", "HOME=/root", "PATH=/bin:/usr/bin"],
                           "untrusted": ["EXAMPLE"]}
    assert data["metadata"] == {
        "product_id": 0,
        "version_number": 0,
        "debuggable": True,
        "enable_kss": False,
        "family_id": {"high": "0x0", "low": "0x0"},
        "ext_prod_id": {"high": "0x0", "low": "0x0"},
    }
    assert data["feature"] == {
        "amx": 0,
        "pkru": 0,
        "io_uring": 0,
        "enable_edmm": False,
        "enable_posix_shm": False,
    }


def test_default_mounts() -> None:
    mounts = json.loads(default_config_json())["mount"]
    assert mounts == [
        {
            "target": "/",
            "type": "unionfs",
            "options": {
                "layers": [
                    {
                        "target": "/",
                        "type": "sefs",
                        "source": "./build/mount/__ROOT",
                        "options": {"MAC": ""},
                    },
                    {"target": "/", "type": "sefs", "source": "./run/mount/__ROOT"},
                ]
            },
        },
        {"target": "/host", "type": "hostfs", "source": "./host"},
        {"target": "/tmp", "type": "ramfs"},
    ]


def test_default_config_json_parses_to_default_config() -> None:
    text = default_config_json()
    assert text.endswith("}\n")
    assert parse_config(text) == default_config()


def test_image_layout() -> None:
    assert IMAGE_DIRS == ("bin", "lib", "etc", "tmp", "root", "host", "dev", "proc")
    files = default_image_files()
    assert files["etc/hosts"] == b"127.0.0.1 localhost\n"
    assert files["etc/hostname"] == b"occlum\n"
    assert files["etc/passwd"].startswith(b"root:x:0:0:root:/root:")
    assert files["etc/group"].startswith(b"root:x:0:")
    assert all(name.split("/")[0] in IMAGE_DIRS for name in files)
    files["etc/hosts"] = b"changed"
    assert default_image_files()["etc/hosts"] == b"127.0.0.1 localhost\n"


def test_init_fills_a_folder(tmp_path: Path) -> None:
    init_instance(tmp_path)
    assert parse_config((tmp_path / "Occlum.json").read_text()) == default_config()
    for name in IMAGE_DIRS:
        assert (tmp_path / "image" / name).is_dir()
    assert (tmp_path / "image/etc/hosts").read_bytes() == b"127.0.0.1 localhost\n"
    assert (tmp_path / "host").is_dir()
    assert not (tmp_path / "build").exists()
    assert not (tmp_path / "run").exists()


def test_init_keeps_existing_content(tmp_path: Path) -> None:
    (tmp_path / "image/bin").mkdir(parents=True)
    (tmp_path / "image/bin/app").write_bytes(b"\0asm")
    (tmp_path / "notes.txt").write_text("mine")
    init_instance(tmp_path)
    assert (tmp_path / "image/bin/app").read_bytes() == b"\0asm"
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_init_refuses_an_instance_without_force(tmp_path: Path) -> None:
    init_instance(tmp_path)
    (tmp_path / "Occlum.json").write_text("{}")
    with pytest.raises(InstanceError, match=r"already holds an instance \(Occlum.json exists\)"):
        init_instance(tmp_path)
    assert (tmp_path / "Occlum.json").read_text() == "{}"


def test_init_with_force_replaces_only_occlum_json(tmp_path: Path) -> None:
    init_instance(tmp_path)
    (tmp_path / "Occlum.json").write_text("{}")
    (tmp_path / "image/etc/hosts").write_text("10.0.0.1 db\n")
    init_instance(tmp_path, force=True)
    assert (tmp_path / "Occlum.json").read_text() == default_config_json()
    assert (tmp_path / "image/etc/hosts").read_text() == "10.0.0.1 db\n"


def test_init_needs_an_existing_folder(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match="does not exist"):
        init_instance(tmp_path / "missing")
    afile = tmp_path / "file"
    afile.write_text("")
    with pytest.raises(InstanceError, match="is not a folder"):
        init_instance(afile)


def test_init_reports_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "image").mkdir()
    (tmp_path / "image/etc").write_text("not a dir")
    with pytest.raises(InstanceError, match=r"image/etc exists but is not a folder"):
        init_instance(tmp_path)


def test_init_refuses_a_directory_named_occlum_json(tmp_path: Path) -> None:
    (tmp_path / "Occlum.json").mkdir()
    with pytest.raises(InstanceError, match="already holds an instance"):
        init_instance(tmp_path)
    with pytest.raises(InstanceError, match="is not a regular file"):
        init_instance(tmp_path, force=True)


def test_init_refuses_to_write_through_a_symlinked_occlum_json(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_text("keep")
    instance = tmp_path / "inst"
    instance.mkdir()
    (instance / "Occlum.json").symlink_to(outside)
    with pytest.raises(InstanceError, match="is not a regular file"):
        init_instance(instance, force=True)
    assert outside.read_text() == "keep"
    assert not (instance / "image").exists()


def test_new_creates_and_initializes(tmp_path: Path) -> None:
    target = tmp_path / "a" / "instance"
    new_instance(target)
    assert (target / "Occlum.json").is_file()
    assert (target / "image/bin").is_dir()


def test_new_refuses_an_existing_path(tmp_path: Path) -> None:
    with pytest.raises(InstanceError, match=r"already exists; .*`occlum init`"):
        new_instance(tmp_path)
    assert not (tmp_path / "Occlum.json").exists()


def test_new_reports_os_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InstanceError, match="cannot create"):
        new_instance(blocker / "instance")
