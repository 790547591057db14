"""`occlum package --oci`: the OCI image archive inspects with skopeo, unpacks with
umoci, and the instance runs from the unpacked rootfs (with the image's own Python
in a chroot when we are root, else with this host's occlum). Built once per module."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from release_harness import release_hello

from pyocclum.boot import Instance

BIN = Path(sys.executable).parent
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
MISSING = [tool for tool in ("skopeo", "umoci") if shutil.which(tool) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"{' and '.join(MISSING)} not installed (scripts/ensure-oci.sh)")


class Archive:
    def __init__(self, path: Path, seconds: float, stderr: str, folder: Path) -> None:
        self.path, self.seconds, self.stderr, self.folder = path, seconds, stderr, folder


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Archive]:
    """hello_world as a release build, packaged once with --oci (this module's keys)."""
    top = tmp_path_factory.mktemp("oci")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYOCCLUM_DEV_KEY", str(top / "dev-key.pem"))
        mp.setenv("PYOCCLUM_PLATFORM_SECRET", str(top / "platform-secret"))
        folder = release_hello(top)
        started = time.monotonic()
        r = subprocess.run([str(BIN / "occlum"), "package", "--oci", "-o", str(top)],
                           cwd=folder, capture_output=True, text=True, timeout=600, check=False)
        seconds = time.monotonic() - started
        assert r.returncode == 0, r.stderr
        yield Archive(top / "hello-oci.tar", seconds, r.stderr, folder)


def skopeo(*args: str) -> dict[str, object]:
    r = subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=120,
                       check=False)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout)
    assert isinstance(result, dict)
    return result


def test_skopeo_inspects_the_archive(archive: Archive) -> None:
    print(f"package --oci: {archive.seconds:.1f}s, "
          f"{archive.path.stat().st_size / (1 << 20):.1f} MiB; {archive.stderr}")
    info = skopeo("inspect", f"oci-archive:{archive.path}")
    layers = info["Layers"]
    assert isinstance(layers, list)
    assert len(layers) == 3
    assert info["Os"] == "linux"
    assert info["Architecture"] == {"x86_64": "amd64", "aarch64": "arm64"}.get(
        os.uname().machine, os.uname().machine)
    mrenclave = Instance(archive.folder).identity().mrenclave.hex()
    assert info["Labels"] == {"org.pyocclum.mrenclave": mrenclave,
                              "org.pyocclum.mrsigner": Instance(archive.folder)
                              .identity().mrsigner.hex()}
    config = skopeo("inspect", "--config", f"oci-archive:{archive.path}")["config"]
    assert isinstance(config, dict)
    assert config["Entrypoint"] == [f"/opt/python/bin/python{VERSION}", "-m",
                                    "pyocclum.cli.run", "run"]
    assert config["Cmd"] == ["/bin/hello_world"]
    assert config["WorkingDir"] == "/instance"
    assert "LD_LIBRARY_PATH=/opt/python/lib" in config["Env"]


def layer_names(archive: Archive) -> list[set[str]]:
    """The names in each layer, in order, read from the archive itself."""
    with tarfile.open(archive.path) as outer:
        def blob(digest: str) -> tarfile.TarFile:
            f = outer.extractfile("blobs/sha256/" + digest.removeprefix("sha256:"))
            assert f is not None
            return tarfile.open(fileobj=f, mode="r:gz")

        index = json.load(outer.extractfile("index.json"))  # type: ignore[arg-type]
        manifest_file = outer.extractfile(
            "blobs/sha256/" + index["manifests"][0]["digest"].removeprefix("sha256:"))
        manifest = json.load(manifest_file)  # type: ignore[arg-type]
        names = []
        for layer in manifest["layers"]:
            with blob(layer["digest"]) as tar:
                names.append(set(tar.getnames()))
    return names


def test_layers_hold_python_pyocclum_and_the_instance(archive: Archive) -> None:
    python, pyocclum, instance = layer_names(archive)
    stdlib = f"opt/python/lib/python{VERSION}"
    assert f"opt/python/bin/python{VERSION}" in python
    assert f"{stdlib}/os.py" in python
    assert any(n.startswith("lib") and "/libc.so" in n for n in python)
    left_out = ("/test/", "/idlelib/", "/tkinter/", "/ensurepip/", "/config-")
    assert not [n for n in python if any(part in n for part in left_out)]
    site = f"{stdlib}/site-packages"
    assert f"{site}/pyocclum/cli/run.py" in pyocclum
    assert any(n.startswith(f"{site}/wasmtime/") for n in pyocclum)
    assert not [n for n in pyocclum if "ziglang" in n]
    # ... but the native library, built for any CPU, with its key (pyocclum.native.library).
    assert f"{site}/pyocclum/native/prebuilt/libpyocclum_native.so" in pyocclum
    assert f"{site}/pyocclum/native/prebuilt/KEY" in pyocclum
    # Bytecode made for the image (this host's __pycache__ is not copied): one per module.
    tag = sys.implementation.cache_tag
    assert f"{stdlib}/__pycache__/os.{tag}.pyc" in python
    assert f"{site}/pyocclum/cli/__pycache__/run.{tag}.pyc" in pyocclum
    pycs = [n for n in python | pyocclum if n.endswith(".pyc")]
    assert all(n.endswith(f".{tag}.pyc") for n in pycs)
    assert "ziglang" in archive.stderr  # and it says it left it out
    assert "instance/Occlum.json" in instance
    assert "instance/run" in instance
    assert not [n for n in instance if n.startswith(("instance/image", "instance/build/cache/"))]


def test_umoci_unpacks_and_the_instance_runs(archive: Archive, tmp_path: Path) -> None:
    layout = tmp_path / "layout"
    layout.mkdir()
    with tarfile.open(archive.path) as tar:
        tar.extractall(layout, filter="data")
    rootless = [] if os.geteuid() == 0 else ["--rootless"]
    r = subprocess.run(["umoci", "unpack", *rootless, "--image", f"{layout}:latest",
                        str(tmp_path / "bundle")], capture_output=True, text=True,
                       timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    rootfs = tmp_path / "bundle" / "rootfs"
    process = json.loads((tmp_path / "bundle" / "config.json").read_text())["process"]
    assert process["args"][-1] == "/bin/hello_world"
    assert process["cwd"] == "/instance"
    if os.geteuid() == 0:
        # The image's own Python, in the rootfs alone (nothing of this host's).
        def enter() -> None:
            os.chroot(rootfs)
            os.chdir(process["cwd"])

        env = dict(e.split("=", 1) for e in process["env"])
        done = subprocess.run(process["args"], preexec_fn=enter,
                              env={**env, "OCCLUM_LOG_LEVEL": "debug"},
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        assert done.stdout == "Hello World\n"
        # Without zig, it loaded the library the image ships (for the native WASI calls).
        assert "native library: " in done.stderr
        assert "/pyocclum/native/prebuilt/libpyocclum_native.so" in done.stderr
        # As a user other than root with the image read-only, given a writable run/,
        # build/cache and HOME (what deploy/kubernetes/enclave.yaml mounts): it starts
        # without compiling Python's bytecode (the image has it).
        for folder in ("run", "build/cache"):
            shutil.rmtree(rootfs / "instance" / folder)
            (rootfs / "instance" / folder).mkdir()
            os.chown(rootfs / "instance" / folder, 10001, 10001)
        before = {p for p in rootfs.rglob("*") if p.suffix == ".pyc"}

        def enter_as_user() -> None:
            enter()
            os.setgroups([])
            os.setgid(10001)
            os.setuid(10001)

        done = subprocess.run(process["args"], preexec_fn=enter_as_user,
                              env={**env, "HOME": "/tmp"}, capture_output=True, text=True,
                              timeout=120, check=False)
        assert {p for p in rootfs.rglob("*") if p.suffix == ".pyc"} == before
    else:
        done = subprocess.run([str(BIN / "occlum"), "run", "/bin/hello_world"],
                              cwd=rootfs / "instance", capture_output=True, text=True,
                              timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Hello World\n"
