"""sefs's on-disk format (``docs/sefs-format.md``): file names, sizes and limits,
the struct layouts of entries, inode records, directory entries and superblocks,
the superblock state and slot tuples, and the small helpers on them (node
counts, tree heights, bitmaps, names). No I/O and no state: every other module
of the package reads its constants from here. ``_NONCE_RESERVE``,
``_NONCE_JUMP`` and ``_VERIFY_MAX`` are read as ``ondisk.NAME`` where they are
used, so that a test can lower them here (``monkeypatch`` on this module)."""

from __future__ import annotations

import os
import re
import struct
from pathlib import Path
from typing import NamedTuple

from pyocclum import _log
from pyocclum.abi.errno import Errno
from pyocclum.abi.wasi import FileType
from pyocclum.errors import ImageError, KernelError

log = _log.getLogger("pyocclum.fs.sefs")

# -- format constants (docs/sefs-format.md) ---------------------------------------
NODE_SIZE = 4096
_SHIFT = 12
_ENTRY = 32
_FANOUT = 128
_FSHIFT = 7
_REC = 128
_TAG = 16
#: Slot numbers are stored plus one in 32 bits (0 marks a hole).
_MAX_SLOTS = (1 << 32) - 1
_MAX_INODES = 1 << 32
SUPER_NAME = "sefs.super"
#: The second superblock slot (slot B; ``sefs.super`` is slot A): superblocks are
#: written alternately to the two, in place, each sealed with its generation.
SUPER_B_NAME = "sefs.super.b"
NODES_NAME = "sefs.nodes"
LOCK_NAME = "sefs.lock"
#: Used only by the first superblock write of a new volume (an atomic rename).
_SUPER_TMP = "sefs.super.tmp"
#: Present from before a new volume's first node is written until its first
#: commit is durable: a folder with it and without ``sefs.super`` holds a
#: volume whose creation was interrupted, and is created afresh.
_NEW_NAME = "sefs.new"
_MAGIC = b"PYOCSEFS"
_BODY_MAGIC = b"SEFSBODY"
_VERSION = 3
#: Version 1 (one superblock, replaced by rename) and version 2 (two slots, no
#: log) are still read, and converted at mount.
_VERSION_1 = 1
_VERSION_2 = 2
#: Header flags: a superblock in a slot file (an anchor), or a log record.
_FLAG_ANCHOR = 0
_FLAG_RECORD = 1
#: Log records an anchor allows (the slots of its log area) before the next
#: commit writes an anchor again.
_LOG_LEN = 32
#: A commit that leaves more new slots than this writes an anchor (a record
#: lists its new slots, which a mount reads back to check them).
_VERIFY_MAX = 64
#: Superblock slot files are padded with zeros to a multiple of this.
_SLOT_ALIGN = 4096
#: Generations are u64 and never wrap: a volume at the last one refuses to commit.
_MAX_GEN = (1 << 64) - 1
#: A commit shrinks ``sefs.nodes`` only when the free tail is at least this many
#: slots (and an eighth of the slots in use): rewriting the same blocks is what
#: makes a small commit's ``fdatasync`` cheap.
_TAIL_SLACK = 256
_MAX_SEALED = 1 << 30
_NONCE_SPACE = 1 << 96
#: Nonces reserved by one superblock write (16M nodes, 64 GiB of data).
_NONCE_RESERVE = 1 << 24
#: Each mount starts its counter a random distance below this past the last reservation.
_NONCE_JUMP = 1 << 64

DEFAULT_CACHE_SIZE = 16 << 20
#: Full nodes written by one call from this many on bypass the cache ("streaming").
_STREAM_MIN = 16
#: Runs of missing nodes up to this length are kept in the cache after a read.
_CACHE_RUN = 16
#: ... and any run of a file no bigger than this share of the cache (a small file
#: read whole, again and again, as a web server does: only a big file read in big
#: pieces is streaming, which would evict everything else for nothing).
_CACHE_FILE_SHARE = 8
#: Nodes sealed or read per host I/O call (the scratch buffers' size).
_BATCH = 256
#: Read-ahead: nodes per run at least and at most (a reader whose calls are
#: bigger gets none), and how many runs of one file are kept at most.
_AHEAD_MIN = 256
_AHEAD_MAX = 512
_AHEAD_RUNS = 3
#: Level-1 table nodes read together by a sequential read (each maps 512 KiB).
_TABLE_RUN = 16

_KIND_TABLE = 0
_KIND_FILE = 1
_KIND_DIR = 2
_KIND_LINK = 3
#: A socket node (no content); a value of the existing kind byte, no format change.
_KIND_SOCK = 4
_FILETYPE = {
    _KIND_FILE: FileType.REGULAR_FILE,
    _KIND_DIR: FileType.DIRECTORY,
    _KIND_LINK: FileType.SYMBOLIC_LINK,
    _KIND_SOCK: FileType.SOCKET_STREAM,
}
_KIND_OF = {ft: k for k, ft in _FILETYPE.items()}

#: One entry: slot + 1 (0 = hole), nonce, GCM tag.
_ENT = struct.Struct("<I12s16s")
#: An inode record (padded to 128 bytes); the owner (uid, gid) is in bytes 80..88,
#: which volumes written before owners were recorded hold as zero (root).
_RECORD = struct.Struct("<BBHIQqqq32sQII")
#: A directory entry header, followed by the name.
_DENT = struct.Struct("<QBB")
_HDR = struct.Struct("<8sII32s16sQ")
_BODY = struct.Struct("<8sQ16sQ32sQIIIII")
#: The body of versions 1 and 2 (no log, no verify list).
_BODY_OLD = struct.Struct("<8sQ16sQ32sQIII")
_ZERO_ENT = bytes(_ENTRY)
_ZERO4 = bytes(4)
_ZERO_REC = bytes(_REC)
_ZERO_PAGE = bytes(NODE_SIZE)
_HOLE = (0, b"", b"")
_LEVEL_BYTE = [bytes([i]) for i in range(16)]
_LEVEL0 = _LEVEL_BYTE[0]
_NOT_FULL = re.compile(rb"[^\xff]")


class _SlotStructs(dict[int, struct.Struct]):
    """``[n]``: the struct of the slot fields (slot + 1) of n consecutive entries,
    made on first use: all 513 at import took 5-9 ms of every ``occlum run``."""

    def __missing__(self, n: int) -> struct.Struct:
        if not 0 <= n <= _FANOUT:
            raise KeyError(n)
        made = self[n] = struct.Struct("<" + "I28x" * n)
        return made


_SLOTS = _SlotStructs()

_Buf = bytes | bytearray | memoryview
_OPEN_RO = os.O_RDONLY | os.O_CLOEXEC | os.O_NOFOLLOW | os.O_NOCTTY | os.O_NONBLOCK


def _nnodes(size: int) -> int:
    return (size + NODE_SIZE - 1) >> _SHIFT


def _height(nnodes: int) -> int:
    """Table levels needed above ``nnodes`` data nodes (0: the root entry is node 0's)."""
    h = 0
    while (1 << (_FSHIFT * h)) < nnodes:
        h += 1
    return h


def _enc_name(name: str) -> bytes:
    try:
        return name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError as e:
        raise KernelError(Errno.EINVAL, f"name {name!r} cannot be stored") from e


def _set_range(bm: bytearray, start: int, n: int) -> None:
    end = start + n
    while start < end and start & 7:
        bm[start >> 3] |= 1 << (start & 7)
        start += 1
    full = (end - start) >> 3
    if full:
        bm[start >> 3 : (start >> 3) + full] = b"\xff" * full
        start += full << 3
    while start < end:
        bm[start >> 3] |= 1 << (start & 7)
        start += 1


def _last_bit(bm: bytearray) -> int:
    """Highest set bit, or -1."""
    n = len(bm.rstrip(b"\0"))
    if n == 0:
        return -1
    return ((n - 1) << 3) + bm[n - 1].bit_length() - 1


def _bad(folder: Path, msg: str) -> ImageError:
    return ImageError(f"sefs volume {folder}: {msg}")


class _SuperState(NamedTuple):
    """What a commit makes durable (everything in the sealed superblock but its
    generation and the nonce limit)."""

    itable_size: int
    itable_root: bytes
    nslots: int
    slots: bytes  # the used-slot bitmap, ceil(nslots / 8) bytes
    inos: bytes  # the used-inode bitmap, ceil(itable_size / 128 / 8) bytes
    orphans: tuple[int, ...]
    log: tuple[int, ...] = ()  # the slots of the log area (in ``slots``)


class _Unsupported(ImageError):
    """A superblock slot of a format version this code does not know: the mount
    is refused rather than falling back to the other slot."""

    def __init__(self, folder: Path, msg: str) -> None:
        super().__init__(f"sefs volume {folder}: {msg}")


class _Slot(NamedTuple):
    """One superblock slot that authenticated."""

    slot: int  # 0: A (sefs.super), 1: B (sefs.super.b)
    version: int
    volume_id: bytes
    gen: int
    state: _SuperState
    limit: int
    verify: tuple[int, ...] = ()  # a record's new slots, and the SHA-256 of their content
    digest: bytes = b""
