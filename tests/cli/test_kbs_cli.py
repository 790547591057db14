"""`occlum verify-quote` and `occlum kbs serve|cert-fingerprint` as users run them:
subprocesses, exit codes and the one-line messages."""

from __future__ import annotations

import http.client
import json
import re
import signal
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from pyocclum.attestation.backend import SimBackend, Subject
from pyocclum.attestation.kbs.client import fetch_secrets
from pyocclum.attestation.quote import SIZE

BIN = Path(sys.executable).parent
OCCLUM = str(BIN / "occlum")
PLATFORM = SimBackend(Ed25519PrivateKey.generate())
GOOD = Subject(b"\x11" * 32, b"\x22" * 32, product_id=5, version_number=2, debuggable=False)
DEBUG = Subject(b"\x11" * 32, b"\x22" * 32, product_id=5, version_number=2, debuggable=True)
LINE = re.compile(r"occlum kbs: listening on (https://127\.0\.0\.1:(\d+)), "
                  r"certificate SHA-256 ([0-9a-f]{64})\n")


def occlum(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([OCCLUM, *args], cwd=cwd, capture_output=True, text=True, timeout=60,
                          check=False)


def one_line_error(r: subprocess.CompletedProcess[str], verb: str, code: int = 1) -> str:
    """The single stderr line of a failed command (no traceback), without its prefix."""
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1, r.stderr
    assert lines[0].startswith(f"occlum {verb}: "), lines[0]
    return lines[0].removeprefix(f"occlum {verb}: ")


@pytest.fixture
def quote_file(tmp_path: Path) -> Path:
    path = tmp_path / "quote.bin"
    path.write_bytes(PLATFORM.quote(GOOD, b"nonce-1234".ljust(64, b"\0")))
    return path


def test_verify_quote_prints_the_fields_and_ok(quote_file: Path, tmp_path: Path) -> None:
    r = occlum("verify-quote", str(quote_file), "--mrenclave", "11" * 32, "--allow-sim",
               "--report-data", b"nonce-1234".hex(), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    fields = dict(line.split(None, 1) for line in r.stdout.splitlines()[:-1])
    assert r.stdout.splitlines()[-1] == "OK"
    assert fields["backend"] == "sim (SIM: no hardware behind this quote)"
    assert fields["mrenclave"] == "11" * 32
    assert fields["mrsigner"] == "22" * 32
    assert (fields["product_id"], fields["version_number"], fields["debuggable"]) == (
        "5", "2", "no")
    assert fields["platform_key"] == PLATFORM.public_key.hex()
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"mrsigner": "22" * 32, "product_id": 5, "min_version": 2,
                                  "allow_sim": True}))
    r = occlum("verify-quote", str(quote_file), "--policy", str(policy), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("OK\n")


@pytest.mark.parametrize(("args", "message"), [
    (["--mrenclave", "11" * 32], "a SIM quote (no hardware behind it) and the policy does not "
                                 "allow_sim"),
    (["--mrenclave", "12" * 32, "--allow-sim"], f"MRENCLAVE {'11' * 32} is not allowed"),
    (["--mrenclave", "11" * 32, "--allow-sim", "--report-data", "00ff"],
     "the report data is not the expected one (stale or replayed quote?)"),
    (["--mrenclave", "11"], "--mrenclave must be 32 bytes (64 hex digits)"),
    (["--mrenclave", "zz"], "--mrenclave is not hex: 'zz'"),
    (["--mrenclave", "11" * 32, "--report-data", "00" * 65], "--report-data is more than 64 "
                                                             "bytes"),
])
def test_verify_quote_failures_are_one_line(quote_file: Path, tmp_path: Path,
                                            args: list[str], message: str) -> None:
    r = occlum("verify-quote", str(quote_file), *args, cwd=tmp_path)
    assert one_line_error(r, "verify-quote") == message
    assert r.stdout == ""


def test_verify_quote_bad_files_and_usage(quote_file: Path, tmp_path: Path) -> None:
    r = occlum("verify-quote", "missing.bin", "--mrenclave", "11" * 32, cwd=tmp_path)
    assert one_line_error(r, "verify-quote") == "missing.bin: no such file"
    (tmp_path / "junk.bin").write_bytes(b"junk")
    r = occlum("verify-quote", "junk.bin", "--mrenclave", "11" * 32, cwd=tmp_path)
    assert one_line_error(r, "verify-quote") == f"malformed quote: a quote is {SIZE} bytes, not 4"
    (tmp_path / "p.json").write_text('{"mrenclave": "11", "allow_sim": true}')
    r = occlum("verify-quote", str(quote_file), "--policy", "p.json", cwd=tmp_path)
    assert one_line_error(r, "verify-quote") == (
        "p.json: policy: mrenclave[0] must be 32 bytes (64 hex digits), not 1")
    r = occlum("verify-quote", str(quote_file), cwd=tmp_path)
    assert "--policy FILE or --mrenclave HEX" in one_line_error(r, "verify-quote", 2)


def test_verify_quote_refuses_a_debuggable_enclave_unless_allowed(tmp_path: Path) -> None:
    (tmp_path / "q").write_bytes(PLATFORM.quote(DEBUG, bytes(64)))
    r = occlum("verify-quote", "q", "--mrenclave", "11" * 32, "--allow-sim", cwd=tmp_path)
    assert "debuggable enclave" in one_line_error(r, "verify-quote")
    r = occlum("verify-quote", "q", "--mrenclave", "11" * 32, "--allow-sim", "--allow-debug",
               cwd=tmp_path)
    assert r.returncode == 0
    assert "debuggable      yes" in r.stdout


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "policy.json").write_text(json.dumps({"mrenclave": ["11" * 32],
                                                      "allow_sim": True}))
    (tmp_path / "secrets.json").write_text(json.dumps({"api-key": "s3cret",
                                                       "blob": {"base64": "AAEC"}}))
    return tmp_path


class Server:
    """`occlum kbs serve` running as a subprocess; its first stdout line parsed."""

    def __init__(self, cwd: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [OCCLUM, "kbs", "serve", "--policy", "policy.json", "--secrets", "secrets.json",
             *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline()
                                                             if self.proc.stdout else ""))
        reader.start()
        reader.join(30)
        match = LINE.fullmatch(line[0] if line else "")
        if match is None:
            self.proc.kill()
            raise AssertionError(f"no listening line: {line} {self.proc.communicate()}")
        self.url, self.port = match[1], int(match[2])
        self.fingerprint = match[3]

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str]:
        self.proc.send_signal(sig)
        _, err = self.proc.communicate(timeout=20)
        return self.proc.returncode, err


@pytest.fixture
def server(files: Path) -> Iterator[Server]:
    s = Server(files, "--listen", "127.0.0.1:0", "--state", "state")
    yield s
    if s.proc.poll() is None:
        s.stop(signal.SIGKILL)


def test_kbs_serve_serves_health_and_secrets_and_stops_cleanly(server: Server,
                                                               files: Path) -> None:
    ctx = ssl.create_default_context(cafile=str(files / "state" / "cert.pem"))
    conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=ctx, timeout=10)
    conn.request("GET", "/v1/health")
    resp = conn.getresponse()
    assert (resp.status, json.loads(resp.read())) == (200, {"status": "ok"})
    conn.close()
    got = fetch_secrets(server.url, ["api-key", "blob"], lambda rd: PLATFORM.quote(GOOD, rd),
                        cert_sha256=bytes.fromhex(server.fingerprint))
    assert got == {"api-key": b"s3cret", "blob": b"\0\1\2"}
    r = occlum("kbs", "cert-fingerprint", "state/cert.pem", cwd=files)
    assert (r.returncode, r.stdout) == (0, server.fingerprint + "\n")
    assert oct((files / "state" / "key.pem").stat().st_mode & 0o777) == "0o600"
    # The port is taken: a second server says so.
    r = occlum("kbs", "serve", "--policy", "policy.json", "--secrets", "secrets.json",
               "--listen", f"127.0.0.1:{server.port}", "--state", "state", cwd=files)
    assert one_line_error(r, "kbs serve") == f"cannot listen on 127.0.0.1:{server.port}: " \
                                             "port in use"
    code, err = server.stop(signal.SIGINT)
    assert code == 0, err
    assert "Traceback" not in err
    assert f"MRENCLAVE {'11' * 32}: ok, secrets: api-key, blob" in err
    assert "s3cret" not in err
    assert err.endswith("occlum kbs: stopped\n")
    # The certificate in the state folder is reused.
    again = Server(files, "--listen", "127.0.0.1:0", "--state", "state")
    assert again.fingerprint == server.fingerprint
    assert again.stop()[0] == 0


@pytest.mark.parametrize(("change", "args", "message"), [
    ({"policy.json": '{"mrenclav": []}'}, [], "policy.json: policy: unknown key 'mrenclav'"),
    ({"policy.json": "{"}, [], "policy.json: policy is not JSON: "),
    ({"secrets.json": '{"api-key": 5}'}, [],
     "secrets secrets.json: 'api-key' must be a string or {\"base64\": \"...\"}"),
    ({}, ["--secrets", "none.json"], "secrets none.json: no such file"),
    ({}, ["--policy", "none.json"], "policy none.json: no such file"),
    ({}, ["--cert", "c.pem"], "give both --cert and --key, or neither"),
    ({}, ["--cert", "c.pem", "--key", "k.pem"], "c.pem: no such file"),
    ({}, ["--listen", "8443"], "--listen '8443' is not HOST:PORT"),
])
def test_kbs_serve_bad_input_is_one_line(files: Path, change: dict[str, str], args: list[str],
                                         message: str) -> None:
    for name, text in change.items():
        (files / name).write_text(text)
    r = occlum("kbs", "serve", "--policy", "policy.json", "--secrets", "secrets.json",
               "--listen", "127.0.0.1:0", *args, cwd=files)
    assert one_line_error(r, "kbs serve").startswith(message)


def test_kbs_serve_without_aiohttp_says_what_to_install(files: Path) -> None:
    code = ("import sys; sys.modules['aiohttp'] = None; from pyocclum.cli.run import main; "
            "sys.argv = ['occlum', 'kbs', 'serve', '--policy', 'policy.json', '--secrets', "
            "'secrets.json']; main()")
    r = subprocess.run([sys.executable, "-c", code], cwd=files, capture_output=True, text=True,
                       timeout=60, check=False)
    assert one_line_error(r, "kbs serve") == ("the KBS server needs aiohttp: install "
                                              "pyocclum[kbs]")


def test_the_cli_does_not_load_the_server_or_aiohttp(tmp_path: Path) -> None:
    code = ("import sys, pyocclum.cli.commands; "
            "print(sorted(m for m in sys.modules if m.startswith(('aiohttp', "
            "'pyocclum.attestation.kbs.'))))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=60, check=True)
    assert r.stdout == "[]\n"


def test_cert_fingerprint_names_a_bad_file(tmp_path: Path) -> None:
    r = occlum("kbs", "cert-fingerprint", "none.pem", cwd=tmp_path)
    assert one_line_error(r, "kbs cert-fingerprint") == "none.pem: no such file"
