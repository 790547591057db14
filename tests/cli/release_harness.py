"""A release build of examples/hello_world.c, shared by the packaging tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pyocclum.boot import Instance
from pyocclum.config.template import new_instance

BIN = Path(sys.executable).parent
HELLO_C = Path(__file__).resolve().parents[2] / "examples" / "hello_world.c"


def write_key(path: Path) -> Path:
    """A new Ed25519 signing key, PEM, at ``path``."""
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    path.write_bytes(pem)
    return path


def set_debuggable(folder: Path, debuggable: bool) -> None:
    """Set ``metadata.debuggable`` in ``folder``'s Occlum.json."""
    config = json.loads((folder / "Occlum.json").read_text())
    config["metadata"]["debuggable"] = debuggable
    (folder / "Occlum.json").write_text(json.dumps(config, indent=4))


def release_hello(top: Path) -> Path:
    """``top/hello``: a new instance with ``/bin/hello_world`` (occlum-cc), not
    debuggable, built and signed with its own key ``top/release-key.pem``. Keys
    of the machine (dev key, platform secret) come from the environment."""
    folder = top / "hello"
    new_instance(folder)
    cc = subprocess.run([str(BIN / "occlum-cc"), str(HELLO_C), "-o",
                         str(folder / "image" / "bin" / "hello_world")],
                        capture_output=True, text=True, timeout=600, check=False)
    assert cc.returncode == 0, cc.stderr
    set_debuggable(folder, False)
    Instance(folder).build(sign_key=write_key(top / "release-key.pem"))
    return folder
