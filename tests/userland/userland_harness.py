"""What the userland tests share: a built instance with the userland, and the host
folder it shares as ``/host``, to run the same command inside and on the host.

Imported by name (``from userland_harness import Userland``): pytest's
``pythonpath`` puts this folder on ``sys.path``.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from pyocclum.boot import Instance


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
