"""The files ``occlum init`` puts in ``image/`` (:func:`default_image_files`).

Apart from the template (:mod:`pyocclum.config.template`, which imports the
pydantic model) so that a boot, which compares the image's ``/etc`` files with
these placeholders (:mod:`pyocclum.boot.etc`), imports only the standard library.
"""

from __future__ import annotations


def default_image_files() -> dict[str, bytes]:
    """Files ``occlum init`` puts in ``image/``, keyed by path relative to ``image/``.

    ``etc/hosts`` (``127.0.0.1 localhost``, as Occlum writes it),
    ``etc/hostname``, and ``etc/passwd`` / ``etc/group`` with root (uid and
    gid 0: every process runs as root) and nobody, which libocclum's
    ``getpwnam`` family reads. A fresh dict each call.
    """
    return {
        "etc/hosts": b"127.0.0.1 localhost\n",
        "etc/hostname": b"occlum\n",
        "etc/passwd": b"root:x:0:0:root:/root:/bin/sh\n"
                      b"nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        "etc/group": b"root:x:0:\nnogroup:x:65534:\n",
    }
