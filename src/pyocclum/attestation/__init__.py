"""Remote attestation (issue 14): quotes that bind an enclave's identity to
64 bytes of its choosing, the backends that sign them, and their verification.

* :mod:`~pyocclum.attestation.quote`: the quote format (``docs/attestation.md``);
* :mod:`~pyocclum.attestation.backend`: who signs quotes. ``SimBackend`` is an
  Ed25519 *platform key* on the host's disk: every quote it makes is marked SIM,
  and it proves nothing about hardware (the host holds the key);
* :mod:`~pyocclum.attestation.verify`: :func:`verify` checks a quote against a
  :class:`Policy`.
"""

from pyocclum.attestation.backend import AttestationBackend, SimBackend
from pyocclum.attestation.quote import Quote, QuoteError
from pyocclum.attestation.verify import Policy, VerificationError, verify

__all__ = [
    "AttestationBackend", "Policy", "Quote", "QuoteError", "SimBackend", "VerificationError",
    "verify",
]
