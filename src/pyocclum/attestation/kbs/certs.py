"""The key broker's TLS certificate: made once, self-signed, when the operator
gives none, and its SHA-256 fingerprint (what ``init_ra.kbs_cert_sha256`` pins).
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
#: A self-signed certificate's lifetime (rotate by deleting the state's files).
VALID_DAYS = 3650


class CertError(ValueError):
    """A certificate file that cannot be read (the text names the file)."""


def fingerprint_der(der: bytes) -> str:
    """The SHA-256 (hex) of a certificate's DER encoding."""
    return hashlib.sha256(der).hexdigest()


def fingerprint_file(path: Path) -> str:
    """The fingerprint of the certificate in ``path`` (PEM: its first, the leaf; or DER)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise CertError(f"{path}: no such file") from None
    except OSError as e:
        raise CertError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        cert = (x509.load_pem_x509_certificate(data) if b"-----BEGIN" in data
                else x509.load_der_x509_certificate(data))
    except ValueError:
        raise CertError(f"{path}: not a PEM or DER X.509 certificate") from None
    return fingerprint_der(cert.public_bytes(serialization.Encoding.DER))


def _names(hosts: list[str]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for host in dict.fromkeys(["localhost", "pyocclum-kbs", "127.0.0.1", "::1", *hosts]):
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            out.append(x509.DNSName(host))
    return out


def make_self_signed(hosts: list[str]) -> tuple[bytes, bytes]:
    """A new P-256 key and a self-signed certificate for ``hosts`` (and localhost,
    ``pyocclum-kbs``, the loopback addresses), both PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pyocclum-kbs")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(_names(hosts)), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


def _write(path: Path, data: bytes, mode: int) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def state_cert(state: Path, hosts: list[str]) -> tuple[Path, Path, bool]:
    """The certificate and key files in ``state`` (made there, key 0600, if either is
    missing) and whether they were just made."""
    cert, key = state / CERT_FILE, state / KEY_FILE
    if cert.is_file() and key.is_file():
        return cert, key, False
    try:
        state.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Two servers started at once on one state: one makes the pair, the other uses it
        # (never a certificate of one with the key of the other).
        with open(state / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if cert.is_file() and key.is_file():
                return cert, key, False
            cert_pem, key_pem = make_self_signed(hosts)
            _write(key, key_pem, 0o600)
            _write(cert, cert_pem, 0o644)
    except OSError as e:
        raise CertError(f"{state}: cannot write the certificate: {e.strerror or e}") from None
    return cert, key, True
