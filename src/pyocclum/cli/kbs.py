"""``occlum kbs serve|cert-fingerprint`` (the key broker) and ``occlum verify-quote``.

Only click and the standard library are imported at the top: the server
(aiohttp, the ``kbs`` extra) and the attestation code load inside the
commands, so registering these verbs costs ``occlum run`` nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from pyocclum.attestation.kbs.store import NonceStore
    from pyocclum.attestation.verify import Policy

#: Where ``occlum kbs serve`` keeps its self-signed certificate by default.
DEFAULT_STATE = Path("kbs-state")
DEFAULT_LISTEN = "127.0.0.1:8443"


def _fail(verb: str, message: str, code: int = 1) -> NoReturn:
    click.echo(f"occlum {verb}: {message}", err=True)
    sys.exit(code)


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` or ``[IPv6]:PORT`` as (host, port) (ValueError if neither)."""
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"--listen {value!r} is not HOST:PORT")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"--listen {value!r}: write an IPv6 address as [ADDRESS]:PORT")
    return host, int(port)


def _url(host: str, port: int) -> str:
    return f"https://[{host}]:{port}" if ":" in host else f"https://{host}:{port}"


def _read_text(verb: str, path: Path, what: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(verb, f"{what} {path}: no such file")
    except IsADirectoryError:
        _fail(verb, f"{what} {path}: is a directory")
    except (OSError, UnicodeDecodeError) as e:
        _fail(verb, f"{what} {path}: cannot read: {getattr(e, 'strerror', None) or e}")


def _policy(verb: str, path: Path) -> Policy:
    from pyocclum.attestation.verify import Policy

    try:
        return Policy.from_json(_read_text(verb, path, "policy"))
    except ValueError as e:
        _fail(verb, f"{path}: {e}")


@click.group("kbs")
def kbs_group() -> None:
    """The key broker: secrets for enclaves whose fresh quote meets a policy (docs/kbs.md)."""


@kbs_group.command("serve")
@click.option("--policy", "policy_file", required=True, type=click.Path(path_type=Path),
              help="Which enclaves get secrets (JSON: see docs/kbs.md).")
@click.option("--secrets", "secrets_file", required=True, type=click.Path(path_type=Path),
              help='JSON object: name -> "text" or {"base64": "..."}.')
@click.option("--listen", default=DEFAULT_LISTEN, show_default=True, metavar="HOST:PORT",
              help="Address to serve HTTPS on (port 0: any free port).")
@click.option("--cert", type=click.Path(path_type=Path), help="TLS certificate (PEM).")
@click.option("--key", type=click.Path(path_type=Path), help="Its private key (PEM).")
@click.option("--state", type=click.Path(path_type=Path), default=DEFAULT_STATE,
              show_default=True, help="Where a self-signed certificate is made once and kept "
                                      "(without --cert/--key).")
@click.option("--nonce-ttl", type=click.FloatRange(min=1), default=60.0, show_default=True,
              help="Seconds a challenge nonce stays valid.")
@click.option("--max-pending", type=click.IntRange(min=1), default=10_000, show_default=True,
              help="Challenges pending at once (more are answered 503).")
def serve(policy_file: Path, secrets_file: Path, listen: str, cert: Path | None,
          key: Path | None, state: Path, nonce_ttl: float, max_pending: int) -> None:
    """Serve secrets to attested enclaves over HTTPS until SIGINT or SIGTERM.

    Prints one line first: the URL and the SHA-256 of the certificate (the
    value for init_ra.kbs_cert_sha256). Logs one line per attestation to stderr.
    """
    import os

    from pyocclum.cli.runner import setup_logging

    verb = "kbs serve"
    if "OCCLUM_LOG_LEVEL" not in os.environ:
        setup_logging("info")  # the access log
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        _fail(verb, "the KBS server needs aiohttp: install pyocclum[kbs]")
    from pyocclum.attestation.kbs.certs import CertError, fingerprint_file, state_cert
    from pyocclum.attestation.kbs.store import NonceStore, SecretsError, load_secrets

    policy = _policy(verb, policy_file)
    try:
        secrets = load_secrets(secrets_file)
    except SecretsError as e:
        _fail(verb, f"secrets {e}")
    try:
        host, port = parse_listen(listen)
    except ValueError as e:
        _fail(verb, str(e))
    if (cert is None) != (key is None):
        _fail(verb, "give both --cert and --key, or neither (a self-signed certificate "
                    f"in {state})")
    try:
        if cert is None or key is None:
            cert, key, made = state_cert(state, [] if host in ("0.0.0.0", "::", "") else [host])
            if made:
                click.echo(f"occlum kbs: made a self-signed certificate in {state}", err=True)
        fingerprint = fingerprint_file(cert)
    except CertError as e:
        _fail(verb, str(e))
    _run_server(verb, policy, secrets, NonceStore(nonce_ttl, max_pending), host, port,
                cert, key, fingerprint)


def _run_server(verb: str, policy: Policy, secrets: dict[str, bytes], nonces: NonceStore,
                host: str, port: int, cert: Path, key: Path, fingerprint: str) -> None:
    import asyncio
    import errno
    import signal

    from pyocclum.attestation.kbs.server import KbsService, serve, tls_context

    try:
        context = tls_context(cert, key)
    except ValueError as e:
        _fail(verb, str(e))
    service = KbsService(policy, secrets, nonces)

    def ready(addresses: list[Any]) -> None:
        click.echo(f"occlum kbs: listening on {_url(host, int(addresses[0][1]))}, "
                   f"certificate SHA-256 {fingerprint}")
        sys.stdout.flush()

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await serve(service, host, port, context, stop, ready)

    try:
        asyncio.run(main())
    except OSError as e:
        where = f"{host}:{port}"
        if e.errno == errno.EADDRINUSE:
            _fail(verb, f"cannot listen on {where}: port in use")
        _fail(verb, f"cannot listen on {where}: {e.strerror or e}")
    click.echo("occlum kbs: stopped", err=True)


@kbs_group.command("cert-fingerprint")
@click.argument("cert", type=click.Path(path_type=Path))
def cert_fingerprint(cert: Path) -> None:
    """Print the SHA-256 (hex) of CERT's DER encoding: the value for init_ra.kbs_cert_sha256."""
    from pyocclum.attestation.kbs.certs import CertError, fingerprint_file

    try:
        click.echo(fingerprint_file(cert))
    except CertError as e:
        _fail("kbs cert-fingerprint", str(e))


def _hex_arg(verb: str, option: str, value: str, max_size: int) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        _fail(verb, f"{option} is not hex: {value!r}")
    if len(raw) > max_size:
        _fail(verb, f"{option} is more than {max_size} bytes")
    return raw


@click.command("verify-quote")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--policy", "policy_file", type=click.Path(path_type=Path),
              help="A policy file (JSON, as `occlum kbs serve` takes).")
@click.option("--mrenclave", metavar="HEX", help="Accept only this MRENCLAVE (instead of "
                                                  "--policy).")
@click.option("--allow-sim", is_flag=True, help="With --mrenclave: accept a SIM quote.")
@click.option("--allow-debug", is_flag=True, help="With --mrenclave: accept a debuggable "
                                                  "enclave.")
@click.option("--report-data", metavar="HEX", help="The report data expected (e.g. your "
                                                    "nonce; padded with zeros to 64 bytes).")
def verify_quote(file: Path, policy_file: Path | None, mrenclave: str | None, allow_sim: bool,
                 allow_debug: bool, report_data: str | None) -> None:
    """Check the quote in FILE against --policy P or --mrenclave HEX; print it and OK."""
    from pyocclum.attestation.verify import Policy, VerificationError, verify

    verb = "verify-quote"
    if (policy_file is None) == (mrenclave is None):
        _fail(verb, "give --policy FILE or --mrenclave HEX (one of them)", 2)
    if policy_file is not None and (allow_sim or allow_debug):
        _fail(verb, "--allow-sim and --allow-debug go with --mrenclave (a policy file says "
                    "allow_sim and allow_debug itself)", 2)
    if policy_file is not None:
        policy = _policy(verb, policy_file)
    else:
        assert mrenclave is not None
        raw = _hex_arg(verb, "--mrenclave", mrenclave, 32)
        if len(raw) != 32:
            _fail(verb, "--mrenclave must be 32 bytes (64 hex digits)")
        policy = Policy(mrenclave=(raw,), allow_sim=allow_sim, allow_debug=allow_debug)
    expected = None if report_data is None else _hex_arg(verb, "--report-data", report_data, 64)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        _fail(verb, f"{file}: no such file")
    except OSError as e:
        _fail(verb, f"{file}: cannot read: {e.strerror or e}")
    try:
        q = verify(data, policy, expected)
    except VerificationError as e:
        _fail(verb, str(e))
    backend = q.backend_name + (" (SIM: no hardware behind this quote)" if q.sim else "")
    for name, value in (("backend", backend), ("debuggable", "yes" if q.debuggable else "no"),
                        ("mrenclave", q.mrenclave.hex()), ("mrsigner", q.mrsigner.hex()),
                        ("product_id", str(q.product_id)),
                        ("version_number", str(q.version_number)),
                        ("report_data", q.report_data.hex()),
                        ("platform_key", q.platform_key.hex())):
        click.echo(f"{name:<15} {value}")
    click.echo("OK")
