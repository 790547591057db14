"""The key broker (KBS): secrets for enclaves whose fresh quote meets a policy.

* :mod:`~pyocclum.attestation.kbs.protocol`: the wire protocol (``docs/kbs.md``);
* :mod:`~pyocclum.attestation.kbs.client`: :func:`fetch_secrets` (standard library
  only: what ``init_ra`` runs inside);
* :mod:`~pyocclum.attestation.kbs.server`: the HTTPS service (aiohttp, the ``kbs``
  extra), with :mod:`~pyocclum.attestation.kbs.store` (nonces, secrets) and
  :mod:`~pyocclum.attestation.kbs.certs` (its TLS certificate).

Nothing here is imported by ``pyocclum.attestation`` itself: ``occlum run`` pays
for the client only when its instance has ``init_ra``.
"""
