"""Building the program image and the enclave's identity.

- :mod:`~pyocclum.image.manifest`: ``image/`` -> the integrity image in ``build/``
  (blobs, per-file Merkle trees, a manifest whose hash is the image root);
- :mod:`~pyocclum.image.identity`: MRENCLAVE, the signed signature structure,
  MRSIGNER, signing keys;
- :mod:`~pyocclum.image.build`: finding the WebAssembly modules in a folder (for tools).

Nothing is imported here, so that booting loads only what it uses.
"""

from typing import Any

__all__ = ["find_modules"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from pyocclum.image import build

        return getattr(build, name)
    raise AttributeError(f"module 'pyocclum.image' has no attribute {name!r}")
