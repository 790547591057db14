"""The key broker's HTTPS service (aiohttp): challenges, attestations, health.

:class:`KbsService` answers the protocol of :mod:`~pyocclum.attestation.kbs.protocol`
with one policy and one set of secrets, both loaded once. An attestation is
checked in this order: the request's form (400), the nonce (used up here, even
if a later check fails: 403), the quote against the policy with the report
data that binds the nonce and the client's key (403), the names asked for
(403: only after the quote passed, so an unattested client learns no names).
Each attestation logs one line (``pyocclum.kbs``, INFO): the client's address,
the MRENCLAVE the quote claims, and the result; never a secret's value.

:func:`serve` runs the service until an event is set (``occlum kbs serve``);
:class:`BackgroundKbs` runs it on a thread of its own (tests, tools).

This module imports aiohttp: import it only where the server runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from pyocclum import _log
from pyocclum.attestation.kbs import protocol
from pyocclum.attestation.kbs.certs import fingerprint_file
from pyocclum.attestation.kbs.protocol import ProtocolError
from pyocclum.attestation.kbs.store import NonceRefused, NonceStore, StoreFull
from pyocclum.attestation.quote import QuoteError, decode
from pyocclum.attestation.verify import Policy, VerificationError, verify

__all__ = ["BackgroundKbs", "KbsService", "serve", "tls_context"]

log = _log.getLogger("pyocclum.kbs")
#: Connections waiting to be accepted (many replicas boot at once).
BACKLOG = 1024
#: Seconds in-flight requests get to finish at shutdown.
SHUTDOWN_TIMEOUT = 2.0


def _error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


@web.middleware
async def _json_errors(request: web.Request,
                       handler: Callable[[web.Request], Any]) -> web.StreamResponse:
    """Every refusal as ``{"error": ...}`` (aiohttp's own 404, 405, 413 included); an
    unexpected exception is logged and answered 500, and the server goes on."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except web.HTTPException as e:
        if e.status < 400:
            raise
        text = e.text if e.text and not e.text.startswith(f"{e.status}:") else e.reason
        return _error(e.status, text)
    except Exception:
        log.exception("KBS bug answering %s %s", request.method, request.path)
        return _error(500, "internal error")


async def _read_json(request: web.Request) -> Any:
    raw = await request.read()  # 413 past the application's client_max_size
    if not raw.strip():
        return {}
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        raise ProtocolError("the body is not JSON") from None


class KbsService:
    """The key broker: hands ``secrets`` (name -> value) to enclaves whose fresh quote
    meets ``policy``. ``nonces`` keeps the pending challenges."""

    def __init__(self, policy: Policy, secrets: Mapping[str, bytes],
                 nonces: NonceStore | None = None) -> None:
        self.policy = policy
        self.secrets = dict(secrets)
        self.nonces = nonces if nonces is not None else NonceStore()

    def app(self) -> web.Application:
        app = web.Application(client_max_size=protocol.MAX_REQUEST,
                              middlewares=[_json_errors])
        app.router.add_post(protocol.CHALLENGE_PATH, self.challenge)
        app.router.add_post(protocol.ATTEST_PATH, self.attest)
        app.router.add_get(protocol.HEALTH_PATH, self.health)
        return app

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def challenge(self, request: web.Request) -> web.Response:
        try:
            body = await _read_json(request)
        except ProtocolError as e:
            return _error(400, str(e))
        if not isinstance(body, dict):
            return _error(400, "the request must be a JSON object")
        try:
            nonce = self.nonces.issue()
        except StoreFull:
            log.warning("challenge from %s refused: %d challenges pending",
                        request.remote, self.nonces.max_pending)
            return _error(503, "too many challenges pending; try again", **{"Retry-After": "1"})
        return web.json_response({"nonce": nonce.hex(), "expires_in": self.nonces.ttl})

    async def attest(self, request: web.Request) -> web.Response:
        try:
            req = protocol.parse_attest_request(await _read_json(request))
            server_key = X25519PrivateKey.generate()
            shared = protocol.exchange(server_key, req.public_key)
        except ProtocolError as e:
            self._log(request, None, f"malformed: {e}")
            return _error(400, str(e))
        try:
            claimed: str | None = decode(req.quote).mrenclave.hex()
        except QuoteError:
            claimed = None
        try:
            self.nonces.consume(req.nonce)
        except NonceRefused as e:
            self._log(request, claimed, f"refused: {e}")
            return _error(403, str(e))
        try:
            verify(req.quote, self.policy, protocol.report_data(req.nonce, req.public_key))
        except VerificationError as e:
            self._log(request, claimed, f"refused: {e}")
            return _error(403, str(e))
        unknown = [name for name in req.names if name not in self.secrets]
        if unknown:
            reason = f"unknown secret name {unknown[0]!r}"
            self._log(request, claimed, f"refused: {reason}")
            return _error(403, reason)
        answer = protocol.seal_answer(req, server_key, shared,
                                      {name: self.secrets[name] for name in req.names})
        self._log(request, claimed, f"ok, secrets: {', '.join(req.names) or '(none)'}")
        return web.json_response(answer)

    @staticmethod
    def _log(request: web.Request, mrenclave: str | None, result: str) -> None:
        log.info("attest from %s MRENCLAVE %s: %s", request.remote, mrenclave or "-", result)


def tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    """The server's TLS context (ValueError naming the file that cannot be used)."""
    for path in (cert, key):
        if not path.is_file():
            raise ValueError(f"{path}: no such file")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        ctx.load_cert_chain(str(cert), str(key))
    except (ssl.SSLError, OSError) as e:
        raise ValueError(f"cannot use the certificate {cert} with the key {key}: "
                         f"{getattr(e, 'reason', None) or e}") from None
    return ctx


async def serve(service: KbsService, host: str, port: int, context: ssl.SSLContext,
                stop: asyncio.Event,
                on_ready: Callable[[list[Any]], None] = lambda addresses: None) -> None:
    """Serve ``service`` over TLS on ``host:port`` until ``stop`` is set; ``on_ready`` gets
    the bound addresses once listening. OSError if the address cannot be bound."""
    runner = web.AppRunner(service.app(), access_log=None, handle_signals=False,
                           shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port, ssl_context=context, backlog=BACKLOG)
        await site.start()
        on_ready(list(runner.addresses))
        await stop.wait()
    finally:
        await runner.cleanup()


class BackgroundKbs:
    """A KBS serving ``service`` on its own thread and event loop, on loopback at an
    ephemeral port by default, while in its ``with`` block. ``url`` and
    ``fingerprint`` (bytes, what ``fetch_secrets(cert_sha256=...)`` pins) are known
    once it is entered."""

    def __init__(self, service: KbsService, cert: Path, key: Path,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self.service = service
        self.host = host
        self.port = port
        self.fingerprint = bytes.fromhex(fingerprint_file(cert))
        self._context = tls_context(cert, key)
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._main, name="kbs", daemon=True)

    @property
    def url(self) -> str:
        return f"https://{self.host}:{self.port}"

    def _main(self) -> None:
        async def run() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()

            def ready(addresses: list[Any]) -> None:
                self.port = int(addresses[0][1])
                self._ready.set()

            await serve(self.service, self.host, self.port, self._context, self._stop, ready)

        try:
            asyncio.run(run())
        except BaseException as e:
            self._failure = e
        finally:
            self._ready.set()

    def __enter__(self) -> BackgroundKbs:
        self._thread.start()
        self._ready.wait()
        if self._failure is not None:
            raise self._failure
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._loop is not None and self._stop is not None:
            # RuntimeError: its loop has already ended (the server failed to start).
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()
