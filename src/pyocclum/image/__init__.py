"""Building the program image: ``image/`` -> ``build/mount/__ROOT``.

For now the image is an incremental copy; the trusted-image work replaces
:func:`~pyocclum.image.build.stage_image` with a Merkle-tree integrity image
behind the same signature (it returns the modules to precompile).
"""

from pyocclum.image.build import StagedImage, find_modules, stage_image

__all__ = ["StagedImage", "find_modules", "stage_image"]
