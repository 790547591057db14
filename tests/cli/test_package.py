"""`occlum package`: a release build as a tarball that runs from another folder with
another machine's keys; refusals of debug builds, unbuilt and tampered instances;
byte-identical packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from release_harness import release_hello, set_debuggable, write_key

from pyocclum.boot import Instance
from pyocclum.config.template import new_instance

BIN = Path(sys.executable).parent


def occlum(*args: str, cwd: Path, env: dict[str, str] | None = None
           ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "occlum"), *args], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def machine_env(home: Path) -> dict[str, str]:
    """The environment of a machine whose keys all live under ``home`` (none exist yet)."""
    return {**os.environ, "XDG_DATA_HOME": str(home / "data"),
            "PYOCCLUM_PLATFORM_SECRET": str(home / "platform-secret"),
            "PYOCCLUM_DEV_KEY": str(home / "dev-key.pem"),
            "PYOCCLUM_ATTESTATION_KEY": str(home / "attestation-key")}


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This machine: its own platform secret and development key, for the module."""
    home = tmp_path_factory.mktemp("this-machine")
    with pytest.MonkeyPatch.context() as mp:
        for key, value in machine_env(home).items():
            # Not XDG_DATA_HOME: a fresh one makes zig (occlum-cc) start over (~15 s).
            if key.startswith("PYOCCLUM_"):
                mp.setenv(key, value)
        yield home


@pytest.fixture(scope="module")
def release(here: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A release build (not debuggable, signed with its own key) of hello_world."""
    folder = release_hello(tmp_path_factory.mktemp("release"))
    (folder / "Occlum.json").chmod(0o640)
    return folder


def test_package_runs_in_another_folder_on_another_machine(release: Path,
                                                           tmp_path: Path) -> None:
    r = occlum("package", "-o", str(tmp_path / "out"), cwd=release)
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    tarball = tmp_path / "out" / "hello.tar.gz"
    assert f"Wrote {tarball}" in r.stderr
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
        modes = {m.name: m.mode for m in tar.getmembers()}
        owners = {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in tar.getmembers()}
    assert {"hello/Occlum.json", "hello/build/runtime.json", "hello/build/sigstruct.json",
            "hello/build/mount/__ROOT/manifest.json"} <= names
    # Nothing of this machine's: no code cache, no run/, no image/, no keys.
    assert not [n for n in names if n.startswith(("hello/run", "hello/image", "hello/host",
                                                  "hello/build/cache"))]
    assert not [n for n in names if "key" in n or "secret" in n]
    assert modes["hello/Occlum.json"] == 0o640
    assert owners == {(0, 0, "", "", 0)}

    other = tmp_path / "other-machine"
    other.mkdir()
    subprocess.run(["tar", "xzf", str(tarball)], cwd=other, check=True)
    env = machine_env(tmp_path / "other-keys")
    r = occlum("run", "/bin/hello_world", cwd=other / "hello", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "Hello World\n"
    # The program was compiled there, under that machine's key.
    assert len(list((other / "hello" / "build" / "cache").glob("*.cwasm"))) == 1
    assert (tmp_path / "other-keys" / "platform-secret").is_file()
    assert not (tmp_path / "other-keys" / "dev-key.pem").exists()


def test_two_packages_of_one_build_are_identical(release: Path, tmp_path: Path) -> None:
    for out in ("a", "b"):
        r = occlum("package", "copy", "-o", str(tmp_path / out), cwd=release)
        assert r.returncode == 0, r.stderr
    first = (tmp_path / "a" / "copy.tar.gz").read_bytes()
    assert first == (tmp_path / "b" / "copy.tar.gz").read_bytes()


def test_tampered_package_is_refused_at_run(release: Path, tmp_path: Path) -> None:
    r = occlum("package", "-o", str(tmp_path), cwd=release)
    assert r.returncode == 0, r.stderr
    subprocess.run(["tar", "xzf", str(tmp_path / "hello.tar.gz")], cwd=tmp_path, check=True)
    folder = tmp_path / "hello"
    env = machine_env(tmp_path / "keys")
    manifest = json.loads((folder / "build/mount/__ROOT/manifest.json").read_text())
    program = next(e for e in manifest["entries"] if e["path"] == "bin/hello_world")
    blob = folder / "build/mount/__ROOT/blobs" / program["root"]
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 1
    blob.write_bytes(bytes(data))
    r = occlum("run", "/bin/hello_world", cwd=folder, env=env)
    assert r.returncode != 0
    assert r.stdout == ""
    assert "occlum run:" in r.stderr
    assert "Traceback" not in r.stderr
    # Packaging it again is refused too, naming the file.
    r = occlum("package", cwd=folder, env=env)
    assert r.returncode == 1
    assert "does not verify: /bin/hello_world" in r.stderr

    # A package extracted where run/ cannot be made: one line, no traceback.
    shutil.rmtree(folder / "run")
    (folder / "run").write_text("not a folder")
    r = occlum("run", "/bin/hello_world", cwd=folder, env=env)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1
    assert f"occlum run: {folder / 'run'} is not a directory" in r.stderr
    (folder / "run").unlink()

    runtime = folder / "build" / "runtime.json"
    runtime.write_text(runtime.read_text().replace('"/bin"', '"/"'))
    r = occlum("run", "/bin/hello_world", cwd=folder, env=env)
    assert r.returncode == 1
    assert "does not match the signed measurement" in r.stderr


def test_debuggable_build_needs_debug(here: Path, tmp_path: Path) -> None:
    folder = tmp_path / "dbg"
    new_instance(folder)
    Instance(folder).build(sign_key=write_key(tmp_path / "k.pem"))  # debuggable: the default
    r = occlum("package", "-o", str(tmp_path / "out"), cwd=folder)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1
    assert '"debuggable": false' in r.stderr
    assert not (tmp_path / "out" / "dbg.tar.gz").exists()
    r = occlum("package", "--debug", "-o", str(tmp_path / "out"), cwd=folder)
    assert r.returncode == 0, r.stderr
    assert "(debuggable)" in r.stderr
    assert (tmp_path / "out" / "dbg.tar.gz").is_file()


def test_development_key_build_needs_debug(here: Path, tmp_path: Path) -> None:
    folder = tmp_path / "devkey"
    new_instance(folder)
    set_debuggable(folder, False)
    Instance(folder).build()  # signed with PYOCCLUM_DEV_KEY (this module's)
    r = occlum("package", cwd=folder)
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1
    assert "development key" in r.stderr
    assert "--sign-key" in r.stderr
    r = occlum("package", "--debug", cwd=folder)
    assert r.returncode == 0, r.stderr
    assert (folder / "devkey.tar.gz").is_file()


def test_unbuilt_or_changed_instance_and_bad_name(here: Path, tmp_path: Path) -> None:
    r = occlum("package", cwd=tmp_path)
    assert r.returncode == 1
    assert "not an Occlum instance" in r.stderr
    folder = tmp_path / "fresh"
    new_instance(folder)
    r = occlum("package", cwd=folder)
    assert r.returncode == 1
    assert "occlum build" in r.stderr
    set_debuggable(folder, False)
    Instance(folder).build(sign_key=write_key(tmp_path / "k.pem"))
    r = occlum("package", "../evil", cwd=folder)
    assert r.returncode == 1
    assert "not a usable package name" in r.stderr
    (folder / "Occlum.json").write_text((folder / "Occlum.json").read_text() + " ")
    r = occlum("package", cwd=folder)
    assert r.returncode == 1
    assert "changed since the last build" in r.stderr
    assert "Traceback" not in r.stderr
