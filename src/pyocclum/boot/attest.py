"""The enclave's attestation at boot: which backend signs its quotes, and as whom.

The identity a quote states comes from the build's verified signature
structure (``build/sigstruct.json``), never from anything the host can change
after the signature check. The SIM platform key lives beside the per-user
development key (``PYOCCLUM_ATTESTATION_KEY`` overrides the path: an operator
who runs many replicas gives them all one key, mounted from a secret, so that
a key broker can pin it).
"""

from __future__ import annotations

from pathlib import Path

from pyocclum.attestation.backend import SimBackend, Subject
from pyocclum.boot.userdata import user_data_path
from pyocclum.image.identity import SigStruct

__all__ = ["attestation_key_path", "sim_backend", "subject_of"]


def attestation_key_path() -> Path:
    """Where the SIM platform's attestation key lives (``PYOCCLUM_ATTESTATION_KEY``
    overrides; made 0600 on first use)."""
    return user_data_path("PYOCCLUM_ATTESTATION_KEY", "attestation-key")


def sim_backend() -> SimBackend:
    """The SIM backend of this host (its key made on first use)."""
    return SimBackend.load_or_create(attestation_key_path())


def subject_of(sig: SigStruct) -> Subject:
    """What a quote of the build signed by ``sig`` says the enclave is."""
    return Subject(sig.mrenclave, sig.mrsigner, sig.product_id, sig.version_number,
                   sig.debuggable)
