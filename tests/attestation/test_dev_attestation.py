"""/dev/attestation end to end: a C program built with occlum-cc (tests/programs/attest.c,
over occlum/attestation.h) gets quotes inside a built instance, and the host verifies
them against `occlum print mrenclave`, `occlum print platform-key` and the nonce."""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pyocclum.attestation import Policy, VerificationError, verify
from pyocclum.attestation.quote import SIZE
from pyocclum.attestation.report import SIZE as REPORT_SIZE
from pyocclum.attestation.report import ReportError, check_report, report_key
from pyocclum.boot import Instance
from pyocclum.boot.instance import platform_secret_path
from pyocclum.cli.commands import cli
from pyocclum.config.template import new_instance
from pyocclum.crypto import load_or_create_secret

PROGRAM = Path(__file__).resolve().parents[1] / "programs" / "attest.c"
CC = Path(sys.executable).parent / "occlum-cc"
HEADER = (Path(__file__).resolve().parents[2] / "src" / "pyocclum" / "libocclum" / "include"
          / "occlum" / "attestation.h")
NONCE = bytes.fromhex("5eed") + b"verifier nonce"


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """This module's SIM platform key (never the user's)."""
    path = tmp_path_factory.mktemp("attestation") / "platform-key"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYOCCLUM_ATTESTATION_KEY", str(path))
        yield path


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory, key_file: Path) -> Instance:
    folder = tmp_path_factory.mktemp("dev-attestation") / "inst"
    new_instance(folder)
    r = subprocess.run([str(CC), "-O2", "-Wall", "-Wextra", "-Werror", str(PROGRAM), "-o",
                        str(folder / "image" / "bin" / "attest")],
                       capture_output=True, text=True, timeout=600, check=False)
    assert r.returncode == 0, r.stderr
    inst = Instance(folder)
    inst.build()
    return inst


def occlum(inst: Instance, *args: str) -> tuple[int, str, str]:
    with contextlib.chdir(inst.path):
        r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return r.exit_code, r.stdout, r.stderr


def attest(inst: Instance, *args: str) -> str:
    r = inst.run(["/bin/attest", *args], capture=True)
    assert r.exit_code == 0, (r.stdout, r.stderr)
    assert r.stdout is not None
    return r.stdout.decode()


def field(out: str, label: str) -> list[str]:
    return re.findall(rf"^{label} (.*)$", out, re.MULTILINE)


def policy(inst: Instance) -> Policy:
    code, mrenclave, _ = occlum(inst, "print", "mrenclave")
    assert code == 0
    code, key, _ = occlum(inst, "print", "platform-key")
    assert code == 0
    return Policy(mrenclave=(bytes.fromhex(mrenclave.strip()),), allow_sim=True,
                  allow_debug=True, sim_platform_keys=(bytes.fromhex(key.strip()),))


def test_a_quote_from_c_verifies_against_the_build_the_key_and_the_nonce(
        instance: Instance) -> None:
    out = attest(instance, "quote", NONCE.hex())
    [quote_hex] = field(out, "quote")
    quote = bytes.fromhex(quote_hex)
    assert len(quote) == SIZE
    got = verify(quote, policy(instance), report_data=NONCE)
    assert got.sim
    assert got.mrsigner == instance.identity().mrsigner
    with pytest.raises(VerificationError, match="report data"):
        verify(quote, policy(instance), report_data=b"another nonce")
    assert field(out, "small") == ["-1 ERANGE"]
    assert field(out, "long") == ["-1 EINVAL"]


def test_the_header_states_the_sizes_of_the_formats() -> None:
    text = HEADER.read_text()
    assert f"#define OCCLUM_QUOTE_SIZE {SIZE}\n" in text
    assert f"#define OCCLUM_REPORT_SIZE {REPORT_SIZE}\n" in text


def test_a_spawned_child_has_its_own_report_data(instance: Instance) -> None:
    mine, child = b"parent's".hex(), b"child's".hex()
    out = attest(instance, "family", mine, child)
    padded = (mine + "00" * 64)[:128]
    assert field(out, "parent") == [padded, padded]  # the child's write left it alone
    assert field(out, "child") == ["00" * 64]
    [quote_hex] = field(out, "quote")
    verify(bytes.fromhex(quote_hex), policy(instance), report_data=b"child's")


def test_an_exec_keeps_the_report_data_of_the_process(instance: Instance) -> None:
    assert field(attest(instance, "exec", "ee"), "child") == ["ee" + "00" * 63]


def test_report_data_takes_exactly_64_bytes(instance: Instance) -> None:
    out = attest(instance, "sizes")
    assert field(out, "10") == ["EINVAL"]
    assert field(out, "65") == ["EINVAL"]
    assert field(out, "64") == ["ok"]
    assert field(out, "after") == ["00" * 64, "ab" * 64]


def test_the_quote_file_is_a_read_only_snapshot_taken_at_open(instance: Instance) -> None:
    out = attest(instance, "files", "01", "02")
    assert field(out, "size") == [str(SIZE)]
    assert field(out, "snapshot") == ["01" + "00" * 63]
    assert field(out, "seek") == ["84"]
    assert field(out, "reread") == ["same"]
    assert field(out, "write-rdonly") == ["-1 EBADF"]
    assert field(out, "write-rdwr") == ["-1 EACCES"]
    assert field(out, "trunc") == ["-1 EACCES"]
    assert field(out, "fresh") == ["02" + "00" * 63]


def test_the_report_checks_under_this_platforms_key_only(instance: Instance) -> None:
    out = attest(instance, "report", NONCE.hex())
    [report_hex] = field(out, "report")
    raw = bytes.fromhex(report_hex)
    key = report_key(load_or_create_secret(platform_secret_path()))
    report = check_report(key, raw)
    assert report.mrenclave == instance.identity().mrenclave
    assert report.report_data == NONCE.ljust(64, b"\0")
    with pytest.raises(ReportError, match="MAC"):
        check_report(report_key(b"another platform's secret"), raw)
    with pytest.raises(ReportError, match="MAC"):
        check_report(key, raw[:100] + bytes([raw[100] ^ 1]) + raw[101:])


def test_attestation_type_is_sim(instance: Instance) -> None:
    assert field(attest(instance, "type"), "type") == ["3 sim -1 ERANGE"]


def test_print_platform_key_is_the_key_that_signs(instance: Instance, key_file: Path) -> None:
    code, out, err = occlum(instance, "print", "platform-key")
    assert (code, err) == (0, "")
    assert re.fullmatch(r"[0-9a-f]{64}\n", out)
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_print_platform_key_with_a_damaged_key_is_one_line(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "key"
    bad.write_bytes(b"short")
    monkeypatch.setenv("PYOCCLUM_ATTESTATION_KEY", str(bad))
    r = CliRunner().invoke(cli, ["print", "platform-key"], catch_exceptions=False)
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1
    assert "32 bytes" in r.stderr
