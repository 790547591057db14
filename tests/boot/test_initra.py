"""init_ra end to end: a real instance attests to a real KBS (TLS on loopback) at boot.

One instance is built for the module (tests/programs/initra_probe.c); each
test runs it against a KBS (:class:`pyocclum.attestation.kbs.server.BackgroundKbs`,
B's server on a thread of this process) with the policy and secrets it needs,
pointed at by ``OCCLUM_KBS_URL`` (the measured URL is a closed port).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyocclum.attestation.kbs.certs import make_self_signed
from pyocclum.attestation.kbs.server import BackgroundKbs, KbsService
from pyocclum.attestation.verify import Policy
from pyocclum.boot import Instance
from pyocclum.boot.program import start_program
from pyocclum.config.template import new_instance
from pyocclum.errors import InstanceError
from pyocclum.fs.stdio import BufferStream, BytesInputStream

BIN = Path(sys.executable).parent
PROBE_SOURCE = Path(__file__).resolve().parents[1] / "programs" / "initra_probe.c"
ROOT_KEY = "c7-32-b3-ed-44-df-ec-7b-25-2d-9a-32-38-8d-58-61"
OTHER_KEY = "00-11-22-33-44-55-66-77-88-99-aa-bb-cc-dd-ee-ff"
API_KEY = "s3cret value \u00e9"
DB_PASSWORD = b"pw\n\x01\xff"
SECRETS = {"fs-root-key": ROOT_KEY.encode(), "api-key": API_KEY.encode(),
           "db-password": DB_PASSWORD}
PROBE = ["/bin/initra_probe"]


class Cert:
    def __init__(self, folder: Path) -> None:
        folder.mkdir()
        cert_pem, key_pem = make_self_signed(["127.0.0.1"])
        self.cert, self.key = folder / "cert.pem", folder / "key.pem"
        self.cert.write_bytes(cert_pem)
        self.key.write_bytes(key_pem)
        from cryptography import x509
        from cryptography.hazmat.primitives.serialization import Encoding

        der = x509.load_pem_x509_certificate(cert_pem).public_bytes(Encoding.DER)
        self.sha256 = hashlib.sha256(der).hexdigest()


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder for this module; the SIM attestation key lives there."""
    folder = tmp_path_factory.mktemp("initra")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYOCCLUM_ATTESTATION_KEY", str(folder / "attestation-key"))
        yield folder


@pytest.fixture(scope="module")
def cert(state: Path) -> Cert:
    return Cert(state / "cert")


@pytest.fixture(scope="module")
def inst(state: Path, cert: Cert) -> Instance:
    """A built instance whose init_ra pins ``cert`` and asks for the three secrets."""
    folder = state / "inst"
    new_instance(folder)
    r = subprocess.run([str(BIN / "occlum-cc"), "-O2", "-Wall", "-Wextra", "-Werror",
                        str(PROBE_SOURCE), "-o", str(folder / "image" / "bin" / "initra_probe")],
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr
    (folder / "image" / "etc" / "data.txt").write_text("one byte of this file changes\n")
    config = json.loads((folder / "Occlum.json").read_text())
    config["env"]["default"].append("API_KEY=from-occlum-json")
    config["init_ra"] = {
        "kbs": f"https://127.0.0.1:{_closed_port()}",
        "kbs_cert_sha256": cert.sha256,
        "root_key": "fs-root-key",
        "env": {"API_KEY": "api-key"},
        "files": ["db-password"],
        "timeout": 5,
    }
    (folder / "Occlum.json").write_text(json.dumps(config, indent=2))
    i = Instance(folder)
    i.build()
    return i


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kbs(inst: Instance, cert: Cert, *, allow_debug: bool = True,
         secrets: dict[str, bytes] | None = None) -> BackgroundKbs:
    policy = Policy(mrenclave=(inst.identity().mrenclave,), allow_sim=True,
                    allow_debug=allow_debug)
    return BackgroundKbs(KbsService(policy, SECRETS if secrets is None else secrets),
                         cert.cert, cert.key)


def _probe(inst: Instance, url: str, note: str, *secrets: str,
           user_key: bytes | None = None) -> list[str]:
    r = inst.run([*PROBE, note, *secrets], capture=True, host_env={"OCCLUM_KBS_URL": url},
                 user_key=user_key)
    assert (r.exit_code, r.stderr, r.error) == (0, b"", "")
    assert r.stdout is not None
    return r.stdout.decode("utf-8", "replace").splitlines()


def _tree(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in folder.rglob("*")}


def test_the_right_enclave_gets_its_root_key_env_and_files(inst: Instance, cert: Cert) -> None:
    with _kbs(inst, cert) as kbs:
        first = _probe(inst, kbs.url, "first run", "db-password")
        again = _probe(inst, kbs.url, "second run")
        # The KBS's key outranks --key for the root's writable layer.
        third = _probe(inst, kbs.url, "third run", user_key=bytes(16))
    assert first == [
        f"env API_KEY: {API_KEY}",  # the KBS's value overrides env.default's
        "env OCCLUM: yes",
        "/root/note: none",
        f"/run/secrets/db-password: file mode 0400 uid 0 size {len(DB_PASSWORD)}",
        "/run/secrets/db-password: [pw",
        "\x01\ufffd]",
    ]
    assert again[2] == "/root/note: [first run]"
    assert third[2] == "/root/note: [second run]"
    # Nothing of the secrets (nor the note) is on the host disk in the clear.
    for path in inst.path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert API_KEY.encode() not in data, path
            assert DB_PASSWORD not in data, path
            assert b"second run" not in data, path
    # The same run/ with another root key from the KBS: refused, data untouched.
    other = {**SECRETS, "fs-root-key": OTHER_KEY.encode()}
    with _kbs(inst, cert, secrets=other) as kbs, pytest.raises(InstanceError) as e:
        inst.run([*PROBE, "x"], capture=True, host_env={"OCCLUM_KBS_URL": kbs.url})
    assert str(e.value).startswith("refusing to start: Occlum.json: mount[0] (/): ")
    assert str(e.value).endswith('; the root\'s key here is init_ra.root_key "fs-root-key" '
                                 "from the KBS")
    with _kbs(inst, cert) as kbs:
        assert _probe(inst, kbs.url, "fourth run")[2] == "/root/note: [third run]"
    # Host-side tools do not attest: given the root key, they read what the run wrote.
    with inst.open_root(user_key=bytes.fromhex(ROOT_KEY.replace("-", ""))) as root:
        assert root.root().lookup("root").lookup("note").read(0, 100) == b"fourth run"
    with pytest.raises(InstanceError) as e, inst.open_root():
        pass
    assert str(e.value).endswith('; this root is keyed by init_ra.root_key "fs-root-key" from '
                                 "the KBS: give that key with --key")


def test_a_started_instance_gives_exec_its_secrets(inst: Instance, cert: Cert,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with _kbs(inst, cert) as kbs:
        monkeypatch.setenv("OCCLUM_KBS_URL", kbs.url)
        with inst.booted() as booted:
            env = booted.env_for({})
            out, err = BufferStream(), BufferStream()
            proc = start_program(booted.kernel, booted.config,
                                 [*PROBE, "from exec", "db-password"], env,
                                 (BytesInputStream(b""), out, err))
            proc.done.wait()
    assert ("API_KEY", API_KEY) in env
    assert ("API_KEY", "from-occlum-json") not in env
    lines = out.getvalue().decode("utf-8", "replace").splitlines()
    assert lines[0] == f"env API_KEY: {API_KEY}"
    assert lines[3].startswith("/run/secrets/db-password: file mode 0400 uid 0")


def test_occlum_exec_gets_the_secrets_env(inst: Instance, cert: Cert) -> None:
    """Server mode through the CLI: the daemon attests once at `occlum start`; every
    `occlum exec` gets init_ra.env as it gets env.default."""
    occlum = str(BIN / "occlum")
    with _kbs(inst, cert) as kbs:
        env = {**os.environ, "OCCLUM_KBS_URL": kbs.url}
        r = subprocess.run([occlum, "start"], cwd=inst.path, env=env, capture_output=True,
                           text=True, timeout=60, check=False)
        assert r.returncode == 0, r.stderr
    try:  # the KBS is gone: what exec gets was fetched at start
        ex = subprocess.run([occlum, "exec", *PROBE, "exec", "db-password"], cwd=inst.path,
                            capture_output=True, timeout=60, check=False)
    finally:
        stop = subprocess.run([occlum, "stop"], cwd=inst.path, capture_output=True, text=True,
                              timeout=60, check=False)
    assert (ex.returncode, ex.stderr) == (0, b"")
    lines = ex.stdout.decode("utf-8", "replace").splitlines()
    assert lines[0] == f"env API_KEY: {API_KEY}"
    assert lines[3].startswith("/run/secrets/db-password: file mode 0400 uid 0")
    assert stop.returncode == 0, stop.stderr


def test_one_changed_byte_is_refused(inst: Instance, cert: Cert, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(inst.path, copy, symlinks=True)
    data = copy / "image" / "etc" / "data.txt"
    data.write_bytes(data.read_bytes().replace(b"one", b"One"))
    Instance(copy).build()
    before = _tree(copy / "run")
    with _kbs(inst, cert) as kbs:  # the policy names the original build's MRENCLAVE
        env = {**os.environ, "OCCLUM_KBS_URL": kbs.url}
        r = subprocess.run([str(BIN / "occlum"), "run", *PROBE, "x"], cwd=copy, env=env,
                           capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.startswith(f"occlum run: attestation refused by {kbs.url}: ")
    assert r.stderr.endswith(" is not allowed\n")
    assert "MRENCLAVE" in r.stderr
    assert r.stderr.count("\n") == 1
    assert _tree(copy / "run") == before  # nothing mounted, nothing written


def test_a_debuggable_enclave_is_refused_by_a_production_policy(inst: Instance,
                                                               cert: Cert) -> None:
    before = _tree(inst.path / "run")
    with _kbs(inst, cert, allow_debug=False) as kbs, pytest.raises(InstanceError) as e:
        inst.run([*PROBE, "x"], capture=True, host_env={"OCCLUM_KBS_URL": kbs.url})
    assert str(e.value).startswith(f"attestation refused by {kbs.url}: ")
    assert "debug" in str(e.value)
    assert _tree(inst.path / "run") == before


def test_a_kbs_that_is_down(inst: Instance) -> None:
    config = inst.verified_config()
    assert config.init_ra is not None
    url = config.init_ra.kbs  # nothing listens there
    with pytest.raises(InstanceError) as e:
        inst.run([*PROBE, "x"], capture=True, host_env={})
    assert str(e.value).startswith(f"cannot reach the KBS at {url}: ")


def test_a_kbs_with_another_certificate_is_refused(inst: Instance, state: Path) -> None:
    """A host that redirects OCCLUM_KBS_URL to its own KBS gets nothing: the pin holds."""
    other = Cert(state / "other-cert")
    policy = Policy(mrenclave=(inst.identity().mrenclave,), allow_sim=True, allow_debug=True)
    with BackgroundKbs(KbsService(policy, SECRETS), other.cert, other.key) as kbs, \
            pytest.raises(InstanceError) as e:
        inst.run([*PROBE, "x"], capture=True, host_env={"OCCLUM_KBS_URL": kbs.url})
    assert str(e.value).startswith(f"cannot reach the KBS at {kbs.url}: ")
    assert "pinned" in str(e.value)


def test_a_bad_kbs_url_override(inst: Instance) -> None:
    with pytest.raises(InstanceError) as e:
        inst.run([*PROBE, "x"], capture=True, host_env={"OCCLUM_KBS_URL": "http://kbs:80"})
    assert str(e.value) == ('OCCLUM_KBS_URL: "http://kbs:80" is not an https URL '
                            "(the KBS is reached over TLS only)")
