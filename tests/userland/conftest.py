"""Fixtures for the userland tests: one built instance with ``/bin/sh`` and the utilities.

The userland is built once (cached, see :mod:`pyocclum.cli.userland`) and
installed into one instance per test session (per xdist worker). Tests
compare what a program prints inside with what the host's coreutils (or
shell) print for the same input: :class:`Userland` gives both sides the same
working folder, the instance's ``host/`` folder, which is ``/host`` inside.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

import pytest

from pyocclum.boot import Instance
from pyocclum.cli.userland import install_userland
from pyocclum.config.template import new_instance


class Ran(NamedTuple):
    """What one command printed, and how it ended."""

    exit_code: int
    stdout: bytes
    stderr: bytes


class Userland:
    """A built instance with the userland, and the host folder it shares as ``/host``."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        self.host = instance.path / "host"

    def clear(self) -> None:
        """Empty the shared folder (each test starts from nothing there)."""
        for entry in self.host.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()

    def inside(
        self, argv: Sequence[str], stdin: bytes = b"", cwd: str = "/host"
    ) -> Ran:
        """Run ``argv`` (``argv[0]`` a name in ``/bin`` or an absolute path) inside,
        starting in ``cwd``."""
        path = argv[0] if argv[0].startswith("/") else f"/bin/{argv[0]}"
        r = self.instance.run([path, *argv[1:]], stdin=stdin, capture=True, cwd=cwd)
        assert r.status != -1, f"{path} did not start: {r.error}"
        assert r.stdout is not None
        assert r.stderr is not None
        return Ran(r.exit_code, r.stdout, r.stderr)

    def native(
        self, argv: Sequence[str], stdin: bytes = b"", env: Mapping[str, str] | None = None
    ) -> Ran:
        """Run ``argv`` on the host (coreutils, dash...) in the shared folder, in the C locale."""
        environ = {"PATH": "/usr/bin:/bin", "LC_ALL": "C", "HOME": "/root", "TZ": "UTC"}
        environ.update(env or {})
        r = subprocess.run(list(argv), input=stdin, capture_output=True, cwd=self.host,
                           env=environ, timeout=60, check=False)
        return Ran(r.returncode, r.stdout, r.stderr)


@pytest.fixture(scope="session")
def userland_instance(tmp_path_factory: pytest.TempPathFactory) -> Userland:
    folder = tmp_path_factory.mktemp("userland") / "inst"
    new_instance(folder)
    install_userland(folder / "image" / "bin")
    instance = Instance(folder)
    instance.build()
    return Userland(instance)


@pytest.fixture
def userland(userland_instance: Userland) -> Iterator[Userland]:
    """The shared userland instance, with an empty ``/host`` (= ``userland.host``)."""
    userland_instance.clear()
    yield userland_instance
    userland_instance.clear()

