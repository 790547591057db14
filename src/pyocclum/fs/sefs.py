"""``sefs``: the writable encrypted file system (DESIGN.md section 4).

Everything lives in one host folder, in four files (the exact format is in
``docs/sefs-format.md``)::

    sefs.super   superblock slot A: an anchor: plaintext header (magic,
                 version, random volume id, key check) + the sealed
                 superblock: generation, nonce reservation, root of the inode
                 table, slot and inode allocation bitmaps, orphan list, the
                 log area; zero padding to 4 KiB
    sefs.super.b superblock slot B, the same; anchors are written to A and B
                 alternately, in place
    sefs.nodes   4 KiB slots; slot ``k`` at offset ``k * 4096``; each used slot
                 holds one node sealed with AES-256-GCM (ciphertext only: the
                 nonce and tag live in the node's parent), or is one of the 32
                 slots of the log area, which hold log records (superblocks
                 of small commits)
    sefs.lock    empty; held with an exclusive ``flock`` while mounted

Every object (regular file, directory, symlink, and the inode table itself)
is a sparse array of 4 KiB plaintext nodes organised as a radix tree: a
*table node* holds 128 entries ``(slot + 1, nonce, tag)`` of the nodes below
it, so the tree is a Merkle tree of GCM tags (as in Intel SGX's protected
files). An object's root entry is in its inode record; records are the
content of the inode table, whose root entry is in the sealed superblock. So
one chain of MACs leads from the superblock to every byte: swapping nodes or
files, or putting back an old copy of one file, fails authentication (EIO);
a whole-folder rollback cannot be detected without a monotonic counter, which
SIM mode lacks.

Crash safety is shadow paging: a slot that the last commit (or the current
state) refers to is never overwritten; a node's new version always goes to a
free slot, and slots the last commit uses are reused only after the next
commit is durable. A commit writes dirty nodes, then the table nodes above
them, then the inode records, then a superblock with the next generation. A
small commit (at most 64 new slots) writes it as a *log record* into the next
slot of the log area, listing its new slots and their SHA-256, and makes
nodes and record durable with one ``fdatasync`` of the node file; the mount
uses the last record after the newest anchor whose listed slots check out
(a crash can persist a record without some of its nodes). Other commits, and
every 33rd, ``fdatasync`` the node file and write an *anchor* in place over
the slot file that does not hold the newest one, then ``fdatasync`` it; a
torn anchor fails authentication and the mount uses the other (the valid one
with the highest generation). So the host can roll the whole volume back by
a few commits (damaging the newest superblock, or a node its record lists,
looks like a crash), as it can to any older copy of the folder; never part
of it.
:meth:`SeFs.sync` commits the whole file system; :meth:`Inode.sync` commits
it if that object has uncommitted changes and does nothing otherwise;
:meth:`SeFs.close` commits and unlocks (a volume dropped without ``close``
loses what was not synced, as in a crash). A volume of version 1 (one
superblock replaced by ``rename``) or 2 (anchors only) is converted at mount.

Nonces are a 96-bit counter under a per-volume key (HKDF of the user key and
the random volume id); a range is reserved in a durable superblock before it
is used, and each mount starts at a random distance past the last reservation.

Sealing and opening: runs of data nodes read together (a read of 2 nodes or
more) and batches of nodes written together are decrypted or encrypted in
one native call each (``aead.SefsGcm``: libgcrypt's or OpenSSL's AES-GCM on every CPU,
without the GIL; a run is read with one ``pread`` per share of consecutive
slots, straight into the ``bytes`` returned when the read covers whole
nodes none of which is cached). A node that fails authentication fails the
whole read (EIO): nothing is returned. Single nodes, and everything when the
native library is unavailable or ``$PYOCCLUM_NATIVE=0``, use
``cryptography``'s AESGCM node by node. Both give the same bytes on disk.

Read-ahead: from the second sequential read of a file in a row, the run of
nodes after it (at least 1 MiB, at least the reader's call) is handed to the
native library's worker threads (``SefsGcm.open_begin``), which read and
decrypt it while the reader is away; the next read finishes it, helping
with what is left. A write, truncation or non-sequential read drops it, and
a run that fails is read again the ordinary way, which reports the error.
Sequential reads also read level-1 table nodes 16 at a time.

Locking: one ``threading.RLock`` per file system guards everything (including
reads, which fill the node cache). Decrypted nodes are kept in an LRU bounded
by ``cache_size`` bytes, with write-back of dirty nodes on eviction and sync.
Level-1 table nodes (1/128 of the data they map) have a bound of their own,
an eighth of that many nodes (at least 64): clean ones beyond it are dropped,
least recently used objects first, and read again when needed; dirty ones,
and the few tables above level 1, stay until committed.
"""

from __future__ import annotations

import array
import contextlib
import fcntl
import hashlib
import hmac
import logging
import os
import re
import secrets
import stat as host_stat
import struct
import threading
import weakref
import zlib
from collections import OrderedDict, deque
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from pyocclum.abi.errno import Errno, from_host
from pyocclum.abi.wasi import FileType
from pyocclum.crypto.keys import derive_key, mac
from pyocclum.errors import ImageError, KernelError
from pyocclum.fs.types import (
    MAX_FILE_SIZE,
    DirEntry,
    FileSystem,
    Inode,
    Stat,
    check_name,
    check_symlink_target,
    check_truncate,
    check_write,
    now_ns,
)
from pyocclum.native import aead

__all__ = [
    "DEFAULT_CACHE_SIZE",
    "LOCK_NAME",
    "MAX_FILE_SIZE",
    "NODES_NAME",
    "NODE_SIZE",
    "SUPER_NAME",
    "SeDir",
    "SeFile",
    "SeFs",
    "SeSymlink",
]

log = logging.getLogger("pyocclum.fs.sefs")

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
#: The slot fields (slot + 1) of n consecutive entries.
_SLOTS = [struct.Struct("<" + "I28x" * n) for n in range(_FANOUT + 1)]

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


class _Fds:
    """The host descriptors of a mounted volume (closed by ``close`` or at collection)."""

    __slots__ = ("dir", "lock", "nodes", "supers")

    def __init__(self) -> None:
        self.dir = -1
        self.lock = -1
        self.nodes = -1
        #: Superblock slots A (``sefs.super``) and B (``sefs.super.b``), open for writing.
        self.supers = [-1, -1]

    def close(self) -> None:
        for i, fd in enumerate(self.supers):
            if fd >= 0:
                self.supers[i] = -1
                with contextlib.suppress(OSError):
                    os.close(fd)
        for name in ("nodes", "dir", "lock"):  # the lock last: nothing may write after it
            fd = getattr(self, name)
            if fd >= 0:
                setattr(self, name, -1)
                with contextlib.suppress(OSError):
                    os.close(fd)


class _Ahead:
    """A read-ahead: data nodes ``a .. b`` of one file, read and decrypted by
    the native library's worker threads, from a snapshot of their entries,
    while the reader is away (``SefsGcm.open_begin``). :meth:`result` finishes
    it (the caller helps with what is left) and gives their plaintext, or None
    if that failed. One dropped unfinished is finished when it is collected:
    its buffers stay alive until the workers are done with them."""

    __slots__ = ("__weakref__", "_end", "_out", "a", "b", "finished")

    def __init__(self, gcm: aead.SefsGcm, fd: int, key: bytes, prefix: bytes, a: int,
                 b: int, ents: bytes) -> None:
        self.a = a
        self.b = b
        self.finished = False
        self._out: bytes | None = None
        n = b - a
        out, addr = gcm.new_bytes(n << _SHIFT)
        keep = bytearray(0 if gcm.in_place else n << _SHIFT)
        handle = gcm.open_begin(fd, key, prefix, a, n, ents, gcm.addr(keep) if keep else addr,
                                addr)
        self._end = weakref.finalize(self, _end_ahead, gcm, handle, n, out, os.getpid(),
                                     (keep, key, prefix, ents))

    def result(self) -> bytes | None:
        if not self.finished:
            self._out = self._end()
            self.finished = True
        return self._out


def _end_ahead(gcm: aead.SefsGcm, handle: int, n: int, out: bytes, pid: int,
               keepalive: tuple[object, ...]) -> bytes | None:
    if os.getpid() != pid:
        # A forked child (at its exit, say) has none of the parent's workers: what
        # they were doing would never finish. The run is left alone.
        return None
    try:
        got, _ = gcm.open_end(handle)
    except OSError:
        return None  # the reader reads these nodes itself, and reports the error
    return out if got == n else None


class _Core:
    """Everything about one object: its record fields, its tree and its cached nodes.

    ``levels[L]`` (L >= 1) maps the index of each table node of level L that is
    in memory to its plaintext; table nodes of an object in memory are never
    evicted, and a table node in memory always has its parent in memory.
    ``pages`` maps data node indices to cached plaintext (``bytes`` as read,
    which a read of the whole node returns as it is; a ``bytearray`` once
    changed), ``dirty`` those not yet written since they changed. ``size`` is
    the content length (for a directory: its serialized entries).
    """

    __slots__ = (
        "aad",
        "ahead",
        "atim",
        "ctim",
        "dirty",
        "dirty_levels",
        "gid",
        "height",
        "ino",
        "kids",
        "kids_blob",
        "kids_dirty",
        "kind",
        "levels",
        "mode",
        "mtim",
        "nlink",
        "pages",
        "parent",
        "ra_next",
        "ra_streak",
        "root",
        "size",
        "target",
        "uid",
    )

    def __init__(
        self, ino: int, kind: int, mode: int, nlink: int, size: int,
        times: tuple[int, int, int], root: bytes, parent: int, owner: tuple[int, int] = (0, 0),
    ) -> None:
        self.ino = ino
        self.kind = kind
        self.mode = mode
        self.uid, self.gid = owner
        self.nlink = nlink
        self.size = size
        self.atim, self.mtim, self.ctim = times
        self.root = bytearray(root)
        self.parent = parent
        self.height = _height(_nnodes(size))
        self.levels: list[dict[int, bytearray]] = [{} for _ in range(self.height + 1)]
        self.dirty_levels: list[set[int]] = [set() for _ in range(self.height + 1)]
        self.pages: dict[int, bytes | bytearray] = {}
        self.dirty: set[int] = set()
        self.kids: dict[str, tuple[int, int]] = {}
        self.kids_blob = b""
        self.kids_dirty = False
        self.target = ""
        self.aad = b"sefsnode" + ino.to_bytes(8, "little")
        #: Read-ahead: where a sequential read would start next, how many
        #: sequential reads in a row there were, and the jobs ahead (in order).
        self.ra_next = 0
        self.ra_streak = 0
        self.ahead: deque[_Ahead] = deque()

    def pack(self) -> bytes:
        return _RECORD.pack(
            self.kind, self.height, self.mode, self.nlink, self.size, self.atim, self.mtim,
            self.ctim, bytes(self.root), self.parent, self.uid, self.gid,
        ).ljust(_REC, b"\0")


class SeFs(FileSystem):
    """The sefs volume in ``folder``, sealed under ``key`` (32 bytes; a 16-byte
    Occlum-style key is accepted too).

    With ``create`` a missing volume is created (and the folder with it);
    otherwise, or if the folder holds something that is not a sefs volume
    this key opens, ``ImageError`` says what is wrong (``... wrong key or not
    a sefs volume``, a tampered superblock, a volume mounted elsewhere). The
    volume stays locked (``flock``) until :meth:`close`, which commits.
    ``cache_size`` bounds the bytes of decrypted data nodes kept in memory
    (``None``: 16 MiB; at least 16 nodes are kept whatever it says);
    ``root_mode`` is the permission bits of ``/`` of a new volume.

    Operations that find tampered or missing data raise ``KernelError(EIO)``;
    wrong data is never returned. Host I/O failures surface as the host's
    errno (``ENOSPC``...), at the latest from the next ``sync``.
    """

    fstype = "sefs"
    #: fsync, fd_sync *and* the last close of a written file make it durable.
    durable_close = True

    def __init__(
        self, folder: Path | str, key: bytes, *, cache_size: int | None = DEFAULT_CACHE_SIZE,
        create: bool = True, root_mode: int = 0o755,
    ) -> None:
        if not isinstance(key, bytes) or len(key) not in (16, 32):
            raise ValueError("a sefs key is 32 bytes (or 16, as Occlum's)")
        if cache_size is None:
            cache_size = DEFAULT_CACHE_SIZE
        if cache_size < 0:
            raise ValueError("cache_size must be >= 0")
        self.folder = Path(folder)
        self.lock = threading.RLock()
        self._fds = _Fds()
        self._closer = weakref.finalize(self, self._fds.close)
        self._closed = False
        self._max_pages = max(cache_size >> _SHIFT, 16)
        self._max_cores = max(1024, self._max_pages)
        # Level-1 table nodes (each maps 512 KiB of data) kept beyond what is dirty:
        # an eighth of the bound of data nodes. _ntables counts those loaded since
        # the last count (an upper bound: dropping objects does not lower it).
        self._max_tables = max(self._max_pages >> 3, 64)
        self._ntables = 0
        # The node cache: LRU of (ino, index) over every core's ``pages``.
        self._lru: OrderedDict[tuple[int, int], None] = OrderedDict()
        self._npages = 0
        # Objects in memory, least recently used first, and handles given out.
        self._cores: OrderedDict[int, _Core] = OrderedDict()
        self._handles: weakref.WeakValueDictionary[int, _SeNode] = (
            weakref.WeakValueDictionary()
        )
        #: Inodes with uncommitted changes (0: the inode table).
        self._dirty: set[int] = set()
        #: Unlinked inodes kept alive by a handle; freed when it goes.
        self._orphans: set[int] = set()
        self._released: deque[int] = deque()
        # Slot bitmaps: in use now, in the last commit, and their union.
        self._in_use = bytearray()
        self._committed = bytearray()
        self._busy = bytearray()
        self._hw = 0
        self._hint = 0
        self._inos = bytearray()
        self._wbuf = bytearray((_BATCH << _SHIFT) + _TAG)
        self._rbuf = bytearray((_BATCH << _SHIFT) + _TAG)
        self._obuf = bytearray(_BATCH << _SHIFT)
        # One node's ciphertext and tag, for _load (called with the lock held).
        self._lbuf = bytearray(NODE_SIZE + _TAG)
        self._lview = memoryview(self._lbuf)
        self._lread = [self._lview[:NODE_SIZE]]
        self._pbuf = bytearray(_BATCH << _SHIFT)
        self._ebuf = bytearray(_BATCH * _ENTRY)
        #: Native AES-GCM over many nodes per call (None: cryptography, node by node).
        self._gcm: aead.SefsGcm | None = None
        #: Addresses of the scratch buffers above (for ``_gcm``): w, r, o, p, e.
        self._addrs = (0, 0, 0, 0, 0)
        self._nonce_next = 0
        self._nonce_limit = 0
        self._state: _SuperState | None = None
        #: The generation of the newest durable superblock, the slot (0: A, 1: B)
        #: holding it, the sizes of the two slot files, and whether slot B's
        #: directory entry still has to be made durable.
        self._gen = 0
        self._cur = 0
        self._slot_len = [0, 0]
        self._b_dirsync = False
        #: The log area (slots for log records) and how many records follow the
        #: newest anchor: the next record goes to ``_log[_logpos]``.
        self._log: tuple[int, ...] = ()
        self._logpos = 0
        try:
            self._mount(key, create, root_mode & 0o7777)
        except BaseException:
            self._closed = True
            self._closer()
            raise

    # -- public ---------------------------------------------------------------------
    @staticmethod
    def exists(folder: Path | str) -> bool:
        """Does ``folder`` hold a sefs volume (a superblock)?"""
        return (Path(folder) / SUPER_NAME).is_file()

    def root(self) -> SeDir:
        return self._root

    def sync(self) -> None:
        """Commit: everything written so far becomes durable, atomically."""
        with self.lock:
            self._begin()
            self._commit()

    def close(self) -> None:
        """Commit and release the volume (idempotent). Handles stop working."""
        with self.lock:
            if self._closed:
                return
            try:
                self._drain()
                self._commit()
            finally:
                self._closed = True
                for c in self._cores.values():  # before the fds close
                    self._drop_ahead(c)
                self._closer()

    def __enter__(self) -> SeFs:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def cached_bytes(self) -> int:
        """Bytes of decrypted data nodes in the cache."""
        return self._npages << _SHIFT

    # -- mounting ---------------------------------------------------------------------
    def _mount(self, key: bytes, create: bool, root_mode: int) -> None:
        folder = self.folder
        if create:
            try:
                folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            except OSError as e:
                raise _bad(folder, f"cannot create the folder: {e.strerror or e}") from e
        fds = self._fds
        try:
            fds.dir = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except FileNotFoundError as e:
            raise _bad(folder, "there is no sefs volume here (no such folder)") from e
        except OSError as e:
            raise _bad(folder, f"cannot open the folder: {e.strerror or e}") from e
        try:
            fds.lock = os.open(
                LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600,
                dir_fd=fds.dir,
            )
        except OSError as e:
            raise _bad(folder, f"cannot open {LOCK_NAME}: {e.strerror or e}") from e
        try:
            fcntl.flock(fds.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise _bad(folder, "is already mounted (by this or another process)") from e
        except OSError as e:
            raise _bad(folder, f"cannot lock {LOCK_NAME}: {e.strerror or e}") from e
        raw = self._read_host_file(SUPER_NAME)
        with contextlib.suppress(OSError):
            os.unlink(_SUPER_TMP, dir_fd=fds.dir)
        if raw is None:
            if not create:
                raise _bad(folder, f"there is no sefs volume here ({SUPER_NAME} is missing)")
            nodes = self._read_host_stat(NODES_NAME)
            if (nodes is not None and nodes.st_size > 0
                    and self._read_host_stat(_NEW_NAME) is None):
                raise _bad(
                    folder, f"{SUPER_NAME} is missing but {NODES_NAME} is not empty: refusing "
                    "to create a new volume over it (delete the folder to start afresh)")
            self._format(key, root_mode)
        else:
            with contextlib.suppress(OSError):  # left by a creation whose end was not durable
                os.unlink(_NEW_NAME, dir_fd=fds.dir)
            self._open_volume(key, raw, self._read_host_file(SUPER_B_NAME))

    def _read_host_stat(self, name: str) -> os.stat_result | None:
        try:
            return os.stat(name, dir_fd=self._fds.dir, follow_symlinks=False)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise _bad(self.folder, f"cannot stat {name}: {e.strerror or e}") from e

    def _read_host_file(self, name: str) -> bytes | None:
        try:
            fd = os.open(name, _OPEN_RO, dir_fd=self._fds.dir)
        except FileNotFoundError:
            return None
        except OSError as e:
            raise _bad(self.folder, f"cannot open {name}: {e.strerror or e}") from e
        try:
            st = os.fstat(fd)
            if not host_stat.S_ISREG(st.st_mode):
                raise _bad(self.folder, f"{name} is not a regular file")
            if st.st_size > _MAX_SEALED + _HDR.size:
                raise _bad(self.folder, f"{name} is too big")
            parts = []
            while True:
                b = os.read(fd, 1 << 20)
                if not b:
                    break
                parts.append(b)
            return b"".join(parts)
        except OSError as e:
            raise _bad(self.folder, f"cannot read {name}: {e.strerror or e}") from e
        finally:
            os.close(fd)

    def _open_nodes(self, flags: int) -> None:
        try:
            self._fds.nodes = os.open(
                NODES_NAME, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW | flags, 0o600,
                dir_fd=self._fds.dir)
            st = os.fstat(self._fds.nodes)
        except OSError as e:
            raise _bad(self.folder, f"cannot open {NODES_NAME}: {e.strerror or e}") from e
        if not host_stat.S_ISREG(st.st_mode):
            raise _bad(self.folder, f"{NODES_NAME} is not a regular file")

    @staticmethod
    def _super_keys(key: bytes, volume_id: bytes) -> tuple[AESGCM, bytes]:
        """The superblock cipher and the key check of volume ``volume_id``."""
        vk = derive_key(key, "pyocclum sefs volume", volume_id)
        return (AESGCM(derive_key(vk, "pyocclum sefs superblock")),
                mac(vk, b"pyocclum sefs key check")[:16])

    def _keys(self, key: bytes, volume_id: bytes) -> bytes:
        vk = derive_key(key, "pyocclum sefs volume", volume_id)
        self._node_key = derive_key(vk, "pyocclum sefs nodes")
        self._aes = AESGCM(self._node_key)
        gcm = aead.sefs_gcm()
        if gcm is not None:
            addr = gcm.addr
            self._addrs = (addr(self._wbuf), addr(self._rbuf), addr(self._obuf),
                           addr(self._pbuf), addr(self._ebuf))
        self._gcm = gcm
        self._super_aes = AESGCM(derive_key(vk, "pyocclum sefs superblock"))
        self._volume_id = volume_id
        self._check = mac(vk, b"pyocclum sefs key check")[:16]
        return self._check

    def _format(self, key: bytes, root_mode: int) -> None:
        dfd = self._fds.dir
        try:  # the marker is durable before any node is written
            os.close(os.open(_NEW_NAME, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW,
                             0o600, dir_fd=dfd))
            os.fsync(dfd)
        except OSError as e:
            raise _bad(self.folder, f"cannot create the volume: {e.strerror or e}") from e
        self._keys(key, secrets.token_bytes(32))
        self._open_nodes(os.O_CREAT | os.O_TRUNC)
        # A fresh volume key has sealed nothing yet: the first commit records the
        # reservation before any other superblock exists.
        self._nonce_next = secrets.randbelow(_NONCE_JUMP)
        self._nonce_limit = self._nonce_next + _NONCE_RESERVE
        self._inos = bytearray(1)
        _set_range(self._inos, 0, 2)
        self._itable = _Core(0, _KIND_TABLE, 0, 1, 0, (0, 0, 0), _ZERO_ENT, 0)
        self._cores[0] = self._itable
        now = now_ns()
        root = _Core(1, _KIND_DIR, root_mode, 2, 0, (now, now, now), _ZERO_ENT, 1)
        root.kids_dirty = True
        self._cores[1] = root
        self._dirty.add(1)
        self._root = SeDir(self, root)
        self._handles[1] = self._root
        try:
            self._commit()
        except KernelError as e:
            raise _bad(self.folder, f"cannot create the volume: {e.msg}") from e
        with contextlib.suppress(OSError):  # a later mount removes it if this does not
            os.unlink(_NEW_NAME, dir_fd=dfd)

    def _open_slot(self, key: bytes, slot: int, raw: bytes,
                   keys: dict[bytes, tuple[AESGCM, bytes]], name: str = "") -> _Slot:
        """Check and open one superblock: slot file ``slot`` (0: A, 1: B), or with
        ``slot`` -1 a log record (in one node slot, ``name`` saying which).
        ImageError says what is wrong."""
        folder = self.folder
        record = slot < 0
        if not record:
            name = (SUPER_NAME, SUPER_B_NAME)[slot]
        if len(raw) < _HDR.size:
            raise _bad(folder, f"{name} is too short: wrong key or not a sefs volume")
        magic, version, flags, volume_id, check, sealed_len = _HDR.unpack_from(raw)
        if magic != _MAGIC:
            raise _bad(folder, f"{name} has no sefs magic: wrong key or not a sefs volume")
        if version not in (_VERSION, _VERSION_2, _VERSION_1) and not record:
            raise _Unsupported(folder, f"{name}: format version {version} is not supported")
        if (flags != (_FLAG_RECORD if record else _FLAG_ANCHOR)
                or (version == _VERSION_1 and slot != 0) or (record and version != _VERSION)):
            raise _bad(folder, f"{name} has version {version} and flags {flags}")
        if volume_id not in keys:
            keys[volume_id] = self._super_keys(key, volume_id)
        aes, want = keys[volume_id]
        if not hmac.compare_digest(want, check):
            raise _bad(folder, f"the key does not open {name}: wrong key or not a sefs "
                       "volume (or its header was changed)")
        end = _HDR.size + sealed_len
        if version == _VERSION_1:
            good = end == len(raw)
        else:  # zero padding up to a multiple of _SLOT_ALIGN
            good = (end <= len(raw) and len(raw) % _SLOT_ALIGN == 0
                    and not raw[end:].strip(b"\0"))
        if not good or sealed_len < 12 + _TAG:
            raise _bad(folder, f"{name} has the wrong length (truncated or tampered with)")
        header = raw[: _HDR.size]
        try:
            body = aes.decrypt(raw[_HDR.size : _HDR.size + 12], raw[_HDR.size + 12 : end],
                               header)
        except InvalidTag as e:
            raise _bad(folder, f"{name} fails authentication (tampered with or "
                       "corrupted)") from e
        gen, state, limit, verify, digest = self._parse_body(body, version)
        if version != _VERSION_1 and gen == 0:
            raise _bad(folder, f"{name} has generation 0")
        if verify and not record:
            raise _bad(folder, f"{name} lists slots to verify")
        return _Slot(slot, version, volume_id, gen, state, limit, verify, digest)

    def _open_volume(self, key: bytes, raw_a: bytes, raw_b: bytes | None) -> None:
        """Mount from the valid superblock slot with the highest generation."""
        folder = self.folder
        keys: dict[bytes, tuple[AESGCM, bytes]] = {}
        found: list[_Slot] = []
        errors: list[ImageError] = []
        for slot, raw in enumerate((raw_a, raw_b)):
            if raw is None:
                continue
            try:
                found.append(self._open_slot(key, slot, raw, keys))
            except _Unsupported:
                raise  # written by a newer version: never fall back past it
            except ImageError as e:
                errors.append(e)
        prefix = str(_bad(folder, ""))
        if not found:
            raise _bad(folder, "; ".join(str(e).removeprefix(prefix) for e in errors))
        if len({f.volume_id for f in found}) > 1:
            raise _bad(folder, f"{SUPER_NAME} and {SUPER_B_NAME} belong to different volumes")
        best = max(found, key=lambda f: f.gen)
        for err in errors:  # a crash while writing the other slot, or tampering
            log.warning("sefs %s: using the superblock of generation %d (%s); the other "
                        "slot is not valid: %s", folder, best.gen,
                        (SUPER_NAME, SUPER_B_NAME)[best.slot], str(err).removeprefix(prefix))
        self._keys(key, best.volume_id)
        self._open_nodes(0)
        chosen, self._logpos = self._walk_log(key, best, keys)
        state, limit = chosen.state, chosen.limit
        self._state = state
        self._log = state.log
        self._gen = chosen.gen
        self._cur = best.slot
        self._hw = state.nslots
        self._in_use = bytearray(state.slots)
        self._committed = bytearray(state.slots)
        self._busy = bytearray(state.slots)
        self._inos = bytearray(state.inos)
        self._nonce_limit = limit
        self._nonce_next = limit + secrets.randbelow(_NONCE_JUMP)
        if self._nonce_next + _NONCE_RESERVE >= _NONCE_SPACE:
            raise _bad(folder, "the nonce space of this volume is exhausted")
        self._itable = _Core(0, _KIND_TABLE, 0, 1, state.itable_size, (0, 0, 0),
                             state.itable_root, 0)
        self._cores[0] = self._itable
        self._open_supers(raw_a, raw_b)
        try:
            st = os.fstat(self._fds.nodes)
            if st.st_size > self._hw << _SHIFT:  # uncommitted slots of a crashed session
                os.ftruncate(self._fds.nodes, self._hw << _SHIFT)
        except OSError as e:
            raise _bad(folder, f"cannot resize {NODES_NAME}: {e.strerror or e}") from e
        # A volume of version 1 or 2 becomes version 3 now: a write to each slot
        # (first the one not holding the newest), so that older versions, which
        # would read an old superblock and no log, refuse it.
        if any(f.version != _VERSION for f in found):
            try:
                self._write_super(state, limit)
                self._write_super(state, limit)
            except (OSError, KernelError) as e:
                raise _bad(folder, f"cannot convert the version-{min(f.version for f in found)} "
                           f"volume: {e}") from e
        try:
            with self.lock:
                root = self._core(1)
                if root.kind != _KIND_DIR or root.nlink < 2:
                    raise _bad(folder, "the root inode is not a directory")
                self._root = SeDir(self, root)
                self._handles[1] = self._root
                for ino in state.orphans:
                    c = self._core(ino)
                    if c.nlink != 0:
                        raise _bad(folder, f"orphan inode {ino} has links")
                    self._free_core(c)
        except KernelError as e:
            raise _bad(folder, f"metadata does not authenticate: {e.msg}") from e

    def _walk_log(self, key: bytes, anchor: _Slot, keys: dict[bytes, tuple[AESGCM, bytes]]
                  ) -> tuple[_Slot, int]:
        """The newest whole commit from ``anchor`` on, and how many log records it is
        past the anchor: the records in ``anchor``'s log area whose generations
        follow it without a gap, the last of them whose new slots hold what it says
        (a record and its nodes are made durable by one fdatasync: a crash may leave
        the record without some of them). The anchor's own nodes were durable
        before it was written."""
        chain = [anchor]
        fd = self._fds.nodes
        for pos, slot in enumerate(anchor.state.log):
            try:
                raw = os.pread(fd, NODE_SIZE, slot << _SHIFT)
            except OSError as e:
                raise _bad(self.folder, f"cannot read {NODES_NAME}: {e.strerror or e}") from e
            try:
                rec = self._open_slot(key, -1, raw, keys, f"log record {pos} (slot {slot})")
            except ImageError:
                break
            if (rec.gen != anchor.gen + pos + 1 or rec.volume_id != anchor.volume_id
                    or rec.state.log != anchor.state.log):
                break
            chain.append(rec)
        for pos in range(len(chain) - 1, 0, -1):
            rec = chain[pos]
            try:
                ok = not rec.verify or self._digest(rec.verify) == rec.digest
            except OSError as e:
                raise _bad(self.folder, f"cannot read {NODES_NAME}: {e.strerror or e}") from e
            if ok:
                return rec, pos
            log.warning("sefs %s: log record of generation %d lacks some of its nodes (a "
                        "crash during that commit, or tampering): using the one before",
                        self.folder, rec.gen)
        return anchor, 0

    def _digest(self, slots: tuple[int, ...] | list[int]) -> bytes:
        """SHA-256 of the content of ``slots`` in ``sefs.nodes``, in that order."""
        h = hashlib.sha256()
        fd = self._fds.nodes
        for slot in slots:
            h.update(os.pread(fd, NODE_SIZE, slot << _SHIFT))
        return h.digest()

    def _open_supers(self, raw_a: bytes, raw_b: bytes | None) -> None:
        """Open the slot files for writing in place (slot B is created by its first write)."""
        for slot, (name, raw) in enumerate(((SUPER_NAME, raw_a), (SUPER_B_NAME, raw_b))):
            if raw is None:
                continue
            try:
                fd = os.open(name, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW, dir_fd=self._fds.dir)
            except OSError as e:
                raise _bad(self.folder, f"cannot open {name}: {e.strerror or e}") from e
            self._fds.supers[slot] = fd
            self._slot_len[slot] = len(raw)

    def _parse_body(self, body: bytes, version: int = _VERSION
                    ) -> tuple[int, _SuperState, int, tuple[int, ...], bytes]:
        """The generation, the committed state, the nonce limit, and (a record's)
        slots to verify and their digest, of a superblock body."""
        folder = self.folder
        fmt = _BODY if version == _VERSION else _BODY_OLD
        if len(body) < fmt.size:
            raise _bad(folder, "superblock body is too short")
        fields = fmt.unpack_from(body)
        (magic, gen, limit_b, it_size, it_root, nslots, n_orphans, inos_len,
         slots_len) = fields[:9]
        log_len, n_verify = fields[9:] if version == _VERSION else (0, 0)
        if magic != _BODY_MAGIC:
            raise _bad(folder, "superblock body has no magic")
        limit = int.from_bytes(limit_b, "little")
        if limit >= _NONCE_SPACE:
            raise _bad(folder, "nonce limit out of range")
        if it_size % _REC or it_size < 2 * _REC or it_size // _REC > _MAX_INODES:
            raise _bad(folder, f"inode table size {it_size} is invalid")
        if nslots > _MAX_SLOTS:
            raise _bad(folder, f"slot count {nslots} is invalid")
        pos = fmt.size
        if len(body) != (pos + 8 * n_orphans + inos_len + slots_len + 4 * (log_len + n_verify)
                         + (32 if n_verify else 0)):
            raise _bad(folder, "superblock body has the wrong length")
        orphans = struct.unpack_from(f"<{n_orphans}Q", body, pos)
        pos += 8 * n_orphans
        ninos = it_size // _REC
        inos = self._inflate(body[pos : pos + inos_len], (ninos + 7) >> 3, ninos, "inode")
        pos += inos_len
        slots = self._inflate(body[pos : pos + slots_len], (nslots + 7) >> 3, nslots, "slot")
        pos += slots_len
        log = struct.unpack_from(f"<{log_len}I", body, pos)
        pos += 4 * log_len
        verify = struct.unpack_from(f"<{n_verify}I", body, pos)
        digest = body[pos + 4 * n_verify :]
        if inos[0] & 3 != 3:
            raise _bad(folder, "inode bitmap lacks the inode table or the root")
        if any(not 2 <= o < ninos or not (inos[o >> 3] >> (o & 7)) & 1 for o in orphans):
            raise _bad(folder, "orphan list names a free inode")
        if nslots and not (slots[(nslots - 1) >> 3] >> ((nslots - 1) & 7)) & 1:
            raise _bad(folder, "slot count does not end at a used slot")
        named = log + verify
        if len(set(named)) != len(named) or any(
                s >= nslots or not (slots[s >> 3] >> (s & 7)) & 1 for s in named):
            raise _bad(folder, "log or verify list names a free slot (or one twice)")
        state = _SuperState(it_size, it_root, nslots, slots, inos, tuple(orphans), log)
        return gen, state, limit, verify, digest

    def _inflate(self, data: bytes, size: int, bits: int, what: str) -> bytes:
        try:
            d = zlib.decompressobj()
            out = d.decompress(data, size + 1)
            if not d.eof or d.unused_data or len(out) != size:
                raise ValueError("wrong length")
        except (zlib.error, ValueError) as e:
            raise _bad(self.folder, f"{what} bitmap is malformed ({e})") from e
        if bits & 7 and out[-1] >> (bits & 7):
            raise _bad(self.folder, f"{what} bitmap has bits past its end")
        return out

    # -- common entry and exit of every operation (lock held) ----------------------------
    def _begin(self) -> None:
        if self._closed:
            raise KernelError(Errno.EIO, "the sefs volume is closed")
        if self._released:
            self._drain()

    def _end(self) -> None:
        """Bring the caches back within bounds (only here: no core is in use)."""
        if self._npages > self._max_pages:
            self._evict()
        if self._ntables > self._max_tables:
            self._shed_tables()
        if len(self._cores) > self._max_cores:
            self._trim_cores()

    def _drain(self) -> None:
        """Free unlinked inodes whose last handle has gone."""
        while self._released:
            ino = self._released.popleft()
            c = self._cores.get(ino)
            if c is not None and c.nlink == 0 and ino not in self._handles:
                self._free_core(c)

    # -- host I/O ---------------------------------------------------------------------
    def _io_error(self, e: OSError, what: str) -> KernelError:
        log.error("sefs %s: %s: %s", self.folder, what, e)
        return KernelError(from_host(e.errno), f"sefs {what}: {e.strerror or e}")

    def _corrupt(self, c: _Core, level: int, m: int, why: str) -> KernelError:
        what = "inode table" if c.ino == 0 else f"inode {c.ino}"
        log.error("sefs %s: %s, node %d/%d %s", self.folder, what, level, m, why)
        return KernelError(Errno.EIO, f"sefs: {what}, node {level}/{m} {why}")

    def _pwrite(self, view: memoryview, offset: int) -> None:
        fd = self._fds.nodes
        while len(view):
            n = os.pwrite(fd, view, offset)
            view = view[n:]
            offset += n

    # -- slots ---------------------------------------------------------------------------
    def _ensure_bits(self, nbits: int) -> None:
        need = (nbits + 7) >> 3
        if len(self._busy) < need:
            grow = max(need, 2 * len(self._busy)) - len(self._busy)
            for bm in (self._busy, self._in_use, self._committed):
                bm.extend(bytes(grow))

    def _write_slots(self, buf: memoryview, slots: list[int]) -> None:
        """Write node ``i`` of ``buf`` (4 KiB each) to ``slots[i]``: one write per run
        of consecutive slots."""
        k = len(slots)
        if slots[-1] - slots[0] == k - 1:  # sorted and contiguous: the usual case
            self._pwrite(buf[: k << _SHIFT], slots[0] << _SHIFT)
            return
        i = 0
        while i < k:
            j = i + 1
            while j < k and slots[j] == slots[j - 1] + 1:
                j += 1
            self._pwrite(buf[i << _SHIFT : j << _SHIFT], slots[i] << _SHIFT)
            i = j

    @contextlib.contextmanager
    def _freed_on_failure(self, fresh: list[int]) -> Iterator[None]:
        """Give the just-allocated ``fresh`` slots back if sealing or writing them fails
        (a host error becomes the KernelError :meth:`_io_error` makes)."""
        try:
            yield
        except OSError as e:
            for slot in fresh:
                self._release(slot)
            raise self._io_error(e, "writing nodes") from e
        except BaseException:
            for slot in fresh:
                self._release(slot)
            raise

    def _alloc(self, n: int) -> list[int]:
        """``n`` free slots (lowest first, the rest appended at the end), marked in use."""
        out: list[int] = []
        if n <= 0:
            return out
        busy, in_use, hw = self._busy, self._in_use, self._hw
        pos = self._hint >> 3
        end = (hw + 7) >> 3
        while len(out) < n:
            m = _NOT_FULL.search(busy, pos, end)
            if m is None:
                break
            b = m.start()
            v = busy[b]
            base = b << 3
            for bit in range(8):
                s = base + bit
                if s >= hw or len(out) == n:
                    break
                if not (v >> bit) & 1:
                    v |= 1 << bit
                    out.append(s)
            busy[b] = v
            in_use[b] |= v & ~self._committed[b]
            pos = b + 1
        rest = n - len(out)
        if rest:
            if hw + rest > _MAX_SLOTS:
                for s in out:
                    self._release(s)
                raise KernelError(Errno.ENOSPC, "the sefs volume is full")
            self._ensure_bits(hw + rest)
            _set_range(self._busy, hw, rest)
            _set_range(self._in_use, hw, rest)
            out.extend(range(hw, hw + rest))
            self._hw = hw + rest
        self._hint = out[-1] + 1
        return out

    def _release(self, s: int) -> None:
        b = s >> 3
        bit = 1 << (s & 7)
        self._in_use[b] &= ~bit & 0xFF
        if not self._committed[b] & bit:
            self._busy[b] &= ~bit & 0xFF
            self._hint = min(self._hint, s)

    def _release_slots(self, t: bytearray, k0: int, k1: int) -> bool:
        """``_release`` the slots of entries ``k0 .. k1`` of table ``t`` (the entries
        stay); whether there were any."""
        in_use, committed, busy = self._in_use, self._committed, self._busy
        hint = self._hint
        found = False
        for s1 in _SLOTS[k1 - k0].unpack_from(t, k0 << 5):
            if s1:
                found = True
                s = s1 - 1
                b = s >> 3
                bit = 1 << (s & 7)
                in_use[b] &= ~bit & 0xFF
                if not committed[b] & bit:
                    busy[b] &= ~bit & 0xFF
                    hint = min(hint, s)
        self._hint = hint
        return found

    def _release_entry(self, holder: bytearray | bytes, off: int) -> None:
        slot1 = int.from_bytes(holder[off : off + 4], "little")
        if slot1:
            self._release(slot1 - 1)

    def _nonces(self, k: int) -> int:
        """The first of ``k`` fresh nonces; reserves more (durably) when needed."""
        base = self._nonce_next
        if base + k > self._nonce_limit:
            limit = base + k + _NONCE_RESERVE
            if limit >= _NONCE_SPACE:
                raise KernelError(Errno.EIO, "the nonce space of this sefs volume is exhausted")
            if self._state is not None:
                try:
                    self._write_super(self._state, limit)
                except OSError as e:
                    raise self._io_error(e, "reserving nonces") from e
            self._nonce_limit = limit
        self._nonce_next = base + k
        return base

    # -- the tree ------------------------------------------------------------------------
    def _entry_ref(
        self, c: _Core, level: int, m: int, create: bool,
    ) -> tuple[bytearray, int] | None:
        """Where the entry of node ``(level, m)`` lives: the root, or a slice of its
        parent table (loaded; created as a hole if ``create``)."""
        if level == c.height:
            return c.root, 0
        t = self._table(c, level + 1, m >> _FSHIFT, create)
        if t is None:
            return None
        return t, (m & (_FANOUT - 1)) << 5

    def _table(self, c: _Core, level: int, j: int, create: bool) -> bytearray | None:
        t = c.levels[level].get(j)
        if t is not None:
            return t
        ref = self._entry_ref(c, level, j, create)
        if ref is None:
            return None
        holder, off = ref
        if holder[off : off + 4] == _ZERO4:
            if not create:
                return None
            t = bytearray(NODE_SIZE)
        else:
            t = self._load(c, level, j, holder, off)
        c.levels[level][j] = t
        if level == 1:
            self._ntables += 1
        return t

    def _shed_tables(self) -> None:
        """Forget clean level-1 table nodes of objects of height 2 or more (their
        parents stay), least recently used objects first, down to 3/4 of the
        bound; they are read again when needed. Dirty ones stay."""
        cores = [c for c in self._cores.values() if c.height >= 2]
        total = sum(len(c.levels[1]) for c in cores)
        goal = self._max_tables - (self._max_tables >> 2)
        for c in cores:
            if total <= goal:
                break
            tables = c.levels[1]
            dirty = c.dirty_levels[1]
            for j in [j for j in tables if j not in dirty][: total - goal]:
                del tables[j]
                total -= 1
        # Counting walks the objects: when what stays is mostly dirty, the next
        # count waits until a bound's worth more have been loaded.
        self._ntables = total if total <= self._max_tables else 0

    def _sealed(self, c: _Core, level: int, m: int, slot1: int, tag: bytes) -> memoryview:
        """Node ``(level, m)``'s ciphertext (from slot ``slot1 - 1``) and ``tag``, in
        the one-node scratch buffer (the lock is held)."""
        view = self._lview
        try:
            got = os.preadv(self._fds.nodes, self._lread, (slot1 - 1) << _SHIFT)
        except OSError as e:
            raise self._io_error(e, "reading a node") from e
        if got != NODE_SIZE:
            raise self._corrupt(c, level, m, f"is missing (slot {slot1 - 1} past the end)")
        view[NODE_SIZE:] = tag
        return view

    def _load(self, c: _Core, level: int, m: int, holder: bytearray | bytes, off: int) -> bytearray:
        """Read and authenticate node ``(level, m)`` whose entry is at ``holder[off:]``."""
        slot1, nonce, tag = _ENT.unpack_from(holder, off)
        view = self._sealed(c, level, m, slot1, tag)
        out = bytearray(NODE_SIZE)
        try:
            self._aes.decrypt_into(
                nonce, view, c.aad + _LEVEL_BYTE[level] + m.to_bytes(8, "little"), out)
        except InvalidTag:
            raise self._corrupt(c, level, m, "fails authentication") from None
        return out

    def _store(self, c: _Core, level: int, items: list[tuple[int, _Buf]]) -> None:
        """Seal nodes ``(level, m)`` with the given plaintexts into fresh slots and
        point their entries at them; the slots they replace are released after.
        A slot that anything refers to is never overwritten, so a failed write
        loses nothing, and a crash nothing that was committed."""
        for i in range(0, len(items), _BATCH):
            self._store_batch(c, level, items[i : i + _BATCH])

    def _store_run(self, c: _Core, m0: int, data: memoryview) -> None:
        """``_store`` of the data nodes ``m0, m0 + 1, ...`` whose plaintexts are ``data``
        (a whole number of nodes, contiguous)."""
        if self._gcm is None:
            self._store(c, 0, [(m0 + i, data[i << _SHIFT : (i + 1) << _SHIFT])
                               for i in range(len(data) >> _SHIFT)])
            return
        total = len(data) >> _SHIFT
        for i in range(0, total, _BATCH):
            k = min(_BATCH, total - i)
            self._store_native(c, 0, list(range(m0 + i, m0 + i + k)),
                               data[i << _SHIFT : (i + k) << _SHIFT])

    def _store_native(self, c: _Core, level: int, ms: list[int],
                      datas: memoryview | list[_Buf]) -> None:
        """``_store_batch`` with one native call sealing every node: ``ms`` (sorted,
        at most a batch) and their plaintexts, contiguous or one buffer each."""
        gcm = self._gcm
        assert gcm is not None
        k = len(ms)
        tables = None if level == c.height else c.levels[level + 1]
        # Where the entries go: runs of consecutive nodes under one holder.
        runs: list[tuple[bytearray, int, int, int]] = []
        old: list[int] = []
        i = 0
        while i < k:
            m = ms[i]
            j = i + 1
            if tables is None:
                holder = c.root
                off = 0
            else:
                jt = m >> _FSHIFT
                t = tables.get(jt)
                if t is None:
                    t = self._table(c, level + 1, jt, True)
                    assert t is not None
                holder = t
                off = (m & (_FANOUT - 1)) << 5
                end = min(k, i + _FANOUT - (m & (_FANOUT - 1)))
                while j < end and ms[j] == ms[j - 1] + 1:
                    j += 1
            cnt = j - i
            runs.append((holder, off, i, cnt))
            old.extend(s - 1 for s in _SLOTS[cnt].unpack_from(holder, off) if s)
            i = j
        slots = self._alloc(k)
        with self._freed_on_failure(slots):
            base = self._nonces(k)
            waddr, _, _, paddr, eaddr = self._addrs
            ia = array.array("Q", ms)
            sa = array.array("I", slots)
            prefix = c.aad + _LEVEL_BYTE[level]
            if isinstance(datas, memoryview):  # sealed where it lies
                with gcm.pinned(datas) as daddr:
                    gcm.seal(self._node_key, prefix, ia.buffer_info()[0], base, k, daddr,
                             sa.buffer_info()[0], waddr, eaddr)
            else:
                pv = memoryview(self._pbuf)
                for i, d in enumerate(datas):
                    pv[i << _SHIFT : (i + 1) << _SHIFT] = d
                gcm.seal(self._node_key, prefix, ia.buffer_info()[0], base, k, paddr,
                         sa.buffer_info()[0], waddr, eaddr)
            self._write_slots(memoryview(self._wbuf), slots)
        eb = self._ebuf
        for holder, off, i, cnt in runs:
            holder[off : off + (cnt << 5)] = eb[i << 5 : (i + cnt) << 5]
        if tables is not None:
            c.dirty_levels[level + 1].update({m >> _FSHIFT for m in ms})
        self._dirty.add(c.ino)
        for s in old:
            self._release(s)

    def _store_batch(self, c: _Core, level: int, items: list[tuple[int, _Buf]]) -> None:
        if self._gcm is not None:
            self._store_native(c, level, [m for m, _ in items], [d for _, d in items])
            return
        k = len(items)
        # Where each entry lives: the root, or a table one level up (made if missing).
        tables = None if level == c.height else c.levels[level + 1]
        holders: list[bytearray] = []
        offs: list[int] = []
        old: list[int] = []
        for m, _ in items:
            if tables is None:
                holder = c.root
                off = 0
            else:
                t = tables.get(m >> _FSHIFT)
                if t is None:
                    t = self._table(c, level + 1, m >> _FSHIFT, True)
                    assert t is not None
                holder = t
                off = (m & (_FANOUT - 1)) << 5
            holders.append(holder)
            offs.append(off)
            s = int.from_bytes(holder[off : off + 4], "little") - 1
            if s >= 0:
                old.append(s)
        slots = self._alloc(k)
        with self._freed_on_failure(slots):
            base = self._nonces(k)
            buf = memoryview(self._wbuf)
            encrypt = self._aes.encrypt_into
            pre = c.aad + _LEVEL_BYTE[level]
            nonces: list[bytes] = []
            tags: list[bytes] = []
            for i, (m, data) in enumerate(items):
                nonce = (base + i).to_bytes(12, "little")
                o = i << _SHIFT
                encrypt(nonce, data, pre + m.to_bytes(8, "little"), buf[o : o + NODE_SIZE + _TAG])
                nonces.append(nonce)
                tags.append(bytes(buf[o + NODE_SIZE : o + NODE_SIZE + _TAG]))
            self._write_slots(buf, slots)
        pack = _ENT.pack_into
        for i in range(k):
            pack(holders[i], offs[i], slots[i] + 1, nonces[i], tags[i])
        if tables is not None:
            c.dirty_levels[level + 1].update({m >> _FSHIFT for m, _ in items})
        self._dirty.add(c.ino)
        for s in old:
            self._release(s)

    def _grow(self, c: _Core, nn: int) -> None:
        """Add levels until the tree can hold ``nn`` data nodes."""
        while (1 << (_FSHIFT * c.height)) < nn:
            h = c.height
            need_top = c.root[:4] != _ZERO4 or (h >= 1 and 0 in c.levels[h])
            c.levels.append({})
            c.dirty_levels.append(set())
            if need_top:
                t = bytearray(NODE_SIZE)
                t[:_ENTRY] = c.root
                c.levels[h + 1][0] = t
                c.dirty_levels[h + 1].add(0)
            c.root[:] = _ZERO_ENT
            c.height = h + 1
            self._dirty.add(c.ino)

    def _shrink(self, c: _Core, nn: int) -> None:
        """Drop levels the tree no longer needs for ``nn`` data nodes (nodes at and
        past ``nn`` already freed)."""
        while c.height > 0 and (1 << (_FSHIFT * (c.height - 1))) >= nn:
            h = c.height
            t = self._table(c, h, 0, False)
            child = bytes(t[:_ENTRY]) if t is not None else _ZERO_ENT
            self._release_entry(c.root, 0)
            c.root[:] = child
            c.levels.pop()
            c.dirty_levels.pop()
            c.height = h - 1  # a dirty new top is flushed into the root at commit
            self._dirty.add(c.ino)

    def _trim(self, c: _Core, level: int, j: int, lo: int) -> None:
        """Free every data node with index >= ``lo`` below table node ``(level, j)``
        (the tables on the path to ``lo`` are in memory: see ``_cut``)."""
        t = self._table(c, level, j, False)
        if t is None:
            return
        s = _FSHIFT * (level - 1)  # each child spans 1 << s data nodes
        rel = lo - (j << (_FSHIFT * level))
        k0 = 0
        if rel > 0:
            k0 = ((rel - 1) >> s) + 1
            if level > 1 and rel & ((1 << s) - 1):
                self._trim(c, level - 1, (j << _FSHIFT) + (rel >> s), lo)
        if level == 1:  # the data nodes' entries: all at once
            if k0 < _FANOUT and self._release_slots(t, k0, _FANOUT):
                t[k0 << 5 :] = bytes((_FANOUT - k0) << 5)
                c.dirty_levels[1].add(j)
                self._dirty.add(c.ino)
            return
        below = c.levels[level - 1]
        changed = False
        for k in range(k0, _FANOUT):
            o = k << 5
            m = (j << _FSHIFT) + k
            present = t[o : o + 4] != _ZERO4
            if present or m in below:
                self._free_subtree(c, level - 1, m, bytes(t[o : o + _ENTRY]))
                if present:
                    t[o : o + _ENTRY] = _ZERO_ENT
                    changed = True
        if changed:
            c.dirty_levels[level].add(j)
            self._dirty.add(c.ino)

    def _free_subtree(self, c: _Core, level: int, m: int, ent: bytes) -> None:
        """Release node ``(level, m)`` (entry ``ent``) and everything below it."""
        if level > 0:
            t = c.levels[level].pop(m, None)
            c.dirty_levels[level].discard(m)
            if t is None and ent[:4] != _ZERO4:
                try:
                    t = self._load(c, level, m, ent, 0)
                except KernelError:
                    t = None  # tampered: what it points to is lost anyway (leaked)
            if t is not None and level == 1:
                self._release_slots(t, 0, _FANOUT)
            elif t is not None:
                below = c.levels[level - 1]
                for k in range(_FANOUT):
                    o = k << 5
                    cm = (m << _FSHIFT) + k
                    if t[o : o + 4] != _ZERO4 or cm in below:
                        self._free_subtree(c, level - 1, cm, bytes(t[o : o + _ENTRY]))
        self._release_entry(ent, 0)

    def _free_storage(self, c: _Core) -> None:
        if c.ahead:
            self._drop_ahead(c)
        self._drop_pages(c, 0, None)
        if c.height:
            self._free_subtree(c, c.height, 0, bytes(c.root))
        else:
            self._release_entry(c.root, 0)
        c.root[:] = _ZERO_ENT
        c.height = 0
        c.levels = [{}]
        c.dirty_levels = [set()]
        c.size = 0

    # -- the node cache ---------------------------------------------------------------
    def _cache_put(self, c: _Core, idx: int, page: bytes | bytearray) -> None:
        c.pages[idx] = page
        self._lru[(c.ino, idx)] = None
        self._npages += 1

    def _drop_pages(self, c: _Core, first: int, end: int | None) -> None:
        """Forget cached pages ``first <= idx < end`` (dirty ones too)."""
        pages = c.pages
        if not pages:
            return
        if end is not None and end - first < len(pages):
            victims = [i for i in range(first, end) if i in pages]
        else:
            victims = [i for i in pages if i >= first and (end is None or i < end)]
        lru = self._lru
        for i in victims:
            del pages[i]
            del lru[(c.ino, i)]
            c.dirty.discard(i)
        self._npages -= len(victims)

    def _page(self, c: _Core, idx: int) -> bytes | bytearray | None:
        """Data node ``idx`` (cached, or read and cached); None for a hole."""
        p = c.pages.get(idx)
        if p is not None:
            self._lru.move_to_end((c.ino, idx))
            return p
        # _entry_ref for a data node, inlined: random reads take this path.
        if c.height:
            t = c.levels[1].get(idx >> _FSHIFT)
            if t is None:
                t = self._table(c, 1, idx >> _FSHIFT, False)
                if t is None:
                    return None
            off = (idx & (_FANOUT - 1)) << 5
        else:
            t = c.root
            off = 0
        slot1, nonce, tag = _ENT.unpack_from(t, off)
        if not slot1:
            return None
        view = self._sealed(c, 0, idx, slot1, tag)
        try:
            p = self._aes.decrypt(nonce, view, c.aad + _LEVEL0 + idx.to_bytes(8, "little"))
        except InvalidTag:
            raise self._corrupt(c, 0, idx, "fails authentication") from None
        c.pages[idx] = p
        self._lru[(c.ino, idx)] = None
        self._npages += 1
        return p

    def _page_w(self, c: _Core, idx: int) -> bytearray:
        """Data node ``idx`` for changing (a hole becomes a zero page); marked dirty."""
        p = self._page(c, idx)
        if p is None:
            p = bytearray(NODE_SIZE)
            self._cache_put(c, idx, p)
        elif type(p) is bytes:
            p = c.pages[idx] = bytearray(p)
        assert isinstance(p, bytearray)
        c.dirty.add(idx)
        self._dirty.add(c.ino)
        return p

    def _evict(self) -> None:
        """Shrink the cache to 7/8 of its bound, writing dirty pages back in batches.
        A write-back that fails keeps its pages (the error comes back from sync)."""
        target = self._max_pages - (self._max_pages >> 3)
        lru = self._lru
        victims: dict[int, list[tuple[int, bytes | bytearray]]] = {}
        cores = self._cores
        while self._npages > target and lru:
            (ino, idx), _ = lru.popitem(last=False)
            c = cores[ino]
            p = c.pages.pop(idx)
            self._npages -= 1
            if idx in c.dirty:
                c.dirty.discard(idx)
                victims.setdefault(ino, []).append((idx, p))
        for ino, items in victims.items():
            c = cores[ino]
            items.sort(key=lambda it: it[0])
            for i in range(0, len(items), _BATCH):
                batch = items[i : i + _BATCH]
                try:
                    self._store(c, 0, list(batch))
                except KernelError as e:
                    log.error("sefs %s: write-back failed: %s", self.folder, e)
                    for idx, p in items[i:]:
                        self._cache_put(c, idx, p)
                        c.dirty.add(idx)
                    break

    # -- object content ------------------------------------------------------------------
    def _read(self, c: _Core, offset: int, size: int) -> bytes:
        end = min(offset + size, c.size)
        if end <= offset:
            return b""
        first = offset >> _SHIFT
        last = (end - 1) >> _SHIFT
        lo = offset & (NODE_SIZE - 1)
        n = end - offset
        if first == last:
            p = self._page(c, first)
            if p is None:
                return bytes(n)
            return bytes(p[lo : lo + n])
        if last - first < _BATCH:
            return self._read_window(c, first, last, lo, n)
        parts = []
        pos = offset
        while pos < end:
            wf = pos >> _SHIFT
            wl = min(wf + _BATCH - 1, last)
            wend = min(end, (wl + 1) << _SHIFT)
            parts.append(self._read_window(c, wf, wl, pos & (NODE_SIZE - 1), wend - pos))
            pos = wend
        return b"".join(parts)

    def _read_window(self, c: _Core, first: int, last: int, lo: int, n: int) -> bytes:
        """``n`` bytes from ``lo`` in data nodes ``first..last`` (at most a batch),
        assembled in the output scratch buffer (one allocation per call: the result;
        two large short-lived ones per call make glibc return and refault memory)."""
        ov = memoryview(self._obuf)
        pages = c.pages
        missing: list[int] = []
        if pages:
            lru = self._lru
            ino = c.ino
            for idx in range(first, last + 1):
                p = pages.get(idx)
                if p is None:
                    missing.append(idx)
                else:
                    o = (idx - first) << _SHIFT
                    ov[o : o + NODE_SIZE] = p
                    lru.move_to_end((ino, idx))
        else:
            missing = list(range(first, last + 1))
        gcm = self._gcm
        if missing:
            keep = (len(missing) <= _CACHE_RUN
                    or (c.size >> _SHIFT) < self._max_pages // _CACHE_FILE_SHARE)
            if gcm is None:
                self._fetch(c, missing, ov, first, keep)
            elif lo == 0 and len(missing) == last + 1 - first and n == len(missing) << _SHIFT:
                # Whole nodes, none cached: decrypted straight into the result.
                out, addr = gcm.new_bytes(n)
                self._fetch_native(c, missing, memoryview(out), addr, first, keep)
                return out
            else:
                self._fetch_native(c, missing, ov, self._addrs[2], first, keep)
        return ov[lo : lo + n].tobytes()

    # -- read-ahead ----------------------------------------------------------------------
    def _read_file(self, c: _Core, offset: int, size: int) -> bytes:
        """``_read`` of a regular file, with read-ahead: from the second sequential
        read in a row on, the next nodes are read and decrypted by the native
        library's workers while the reader is away (one run per file in flight).
        Whatever changes the file drops its read-ahead; a run that fails is
        dropped and its nodes read again here (which reports the error)."""
        end = min(offset + size, c.size)
        if end <= offset:
            return b""
        if offset != c.ra_next:
            c.ra_next = end
            c.ra_streak = 0
            if c.ahead:
                self._drop_ahead(c)
            return self._read(c, offset, size)
        c.ra_next = end
        c.ra_streak += 1
        first = offset >> _SHIFT
        last = (end - 1) >> _SHIFT
        data = self._from_ahead(c, first, last, offset, end) if c.ahead else None
        if data is None:
            data = self._read(c, offset, size)
        span = last + 1 - first
        if c.ra_streak >= 2 and self._gcm is not None and span <= _AHEAD_MAX and not c.dirty:
            self._read_ahead(c, end >> _SHIFT, max(span, _AHEAD_MIN))
        return data

    def _drop_ahead(self, c: _Core) -> None:
        ahead = c.ahead
        while ahead:
            ahead.popleft().result()  # the workers must be done with the fd and buffers

    def _from_ahead(self, c: _Core, first: int, last: int, offset: int, end: int) -> bytes | None:
        """Bytes ``offset .. end`` (data nodes ``first .. last``) from the runs
        read ahead (finishing them); None unless they cover it all."""
        ahead = c.ahead
        while ahead and ahead[0].b <= first:
            ahead.popleft().result()
        if not ahead or ahead[0].a > first or ahead[-1].b <= last:
            return None
        parts: list[memoryview] = []
        for job in ahead:
            out = job.result()
            if out is None:
                self._drop_ahead(c)
                return None
            base = job.a << _SHIFT
            lo = max(offset, base) - base
            hi = min(end, job.b << _SHIFT) - base
            if not parts and job.b > last and lo == 0 and hi == len(out):
                return out  # exactly one run: no copy
            parts.append(memoryview(out)[lo:hi])
            if job.b > last:
                break
        return b"".join(parts)

    def _read_ahead(self, c: _Core, nxt: int, window: int) -> None:
        """Start reading ``window`` nodes ahead once the reader (now before node
        ``nxt``) is past the middle of the last run, if none is in flight."""
        ahead = c.ahead
        if ahead:
            last = ahead[-1]
            if not last.finished or nxt < (last.a + last.b) >> 1 or len(ahead) >= _AHEAD_RUNS:
                return
            start = last.b
        else:
            start = nxt
        stop = min(start + window, _nnodes(c.size))
        if start >= stop:
            return
        try:
            ents = bytes(self._entries(c, start, stop - start))
        except KernelError:
            return  # a bad table node: the reader meets it itself
        gcm = self._gcm
        assert gcm is not None
        try:
            job = _Ahead(gcm, self._fds.nodes, self._node_key, c.aad + _LEVEL0, start, stop, ents)
        except MemoryError:
            return  # no read-ahead this time
        ahead.append(job)

    def _entries(self, c: _Core, a: int, cnt: int, level: int = 0) -> bytes | bytearray:
        """The entries of nodes ``a .. a + cnt`` of ``level`` (holes: zeros),
        concatenated. Level-1 tables missing on the way are read in runs."""
        if level == c.height:
            return bytes(c.root) + bytes((cnt - 1) * _ENTRY)
        tables = c.levels[level + 1]
        parts = []
        idx = a
        end = a + cnt
        while idx < end:
            j = idx >> _FSHIFT
            stop = min(end, (j + 1) << _FSHIFT)
            t = tables.get(j)
            if t is None:
                if level == 0 and c.height >= 2 and self._gcm is not None:
                    self._load_tables(c, j)
                    t = tables.get(j)
                if t is None:
                    t = self._table(c, level + 1, j, False)
            o = (idx & (_FANOUT - 1)) << 5
            parts.append(t[o : o + ((stop - idx) << 5)] if t is not None
                         else bytes((stop - idx) << 5))
            idx = stop
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _load_tables(self, c: _Core, j: int) -> None:
        """Read level-1 table node ``j`` and the missing ones after it (up to
        ``_TABLE_RUN``) in one native call; tables that fail, and the ones after,
        are left for ``_table`` (which reports the failure)."""
        tables = c.levels[1]
        stop = min(j + _TABLE_RUN, (_nnodes(c.size) + _FANOUT - 1) >> _FSHIFT)
        k = j
        while k < stop and k not in tables:
            k += 1
        n = k - j
        if n < 2:
            return
        gcm = self._gcm
        assert gcm is not None
        ents = bytes(self._entries(c, j, n, 1))
        out, addr = gcm.new_bytes(n << _SHIFT)
        try:
            got, _ = gcm.open(self._fds.nodes, self._node_key, c.aad + _LEVEL_BYTE[1], j, n, ents,
                              addr, addr) if gcm.in_place else (0, 0)
        except OSError:
            return
        view = memoryview(out)
        for i in range(got):
            if ents[i << 5 : (i << 5) + 4] != _ZERO4:
                tables[j + i] = bytearray(view[i << _SHIFT : (i + 1) << _SHIFT])
                self._ntables += 1

    def _fetch_native(self, c: _Core, idxs: list[int], ov: memoryview, oaddr: int, first: int,
                      keep: bool) -> None:
        """``_fetch`` with one native call per run of consecutive nodes (``oaddr``:
        the address of ``ov``)."""
        gcm = self._gcm
        assert gcm is not None
        raddr = self._addrs[1]
        prefix = c.aad + _LEVEL_BYTE[0]
        fd = self._fds.nodes
        key = self._node_key
        n = len(idxs)
        i = 0
        contiguous = idxs[-1] - idxs[0] == n - 1  # sorted: one run (the usual case)
        while i < n:
            a = idxs[i]
            j = n if contiguous else i + 1
            while j < n and idxs[j] == idxs[j - 1] + 1:
                j += 1
            cnt = j - i
            ents = bytes(self._entries(c, a, cnt))
            dst = oaddr + ((a - first) << _SHIFT)
            try:  # libgcrypt and OpenSSL decrypt in place: no scratch copy
                got, why = gcm.open(fd, key, prefix, a, cnt, ents,
                                    dst if gcm.in_place else raddr, dst)
            except OSError as e:
                raise self._io_error(e, "reading nodes") from e
            if got != cnt:
                raise self._corrupt(c, 0, a + got, "fails authentication" if why
                                    else "is missing (node file too short)")
            if keep:
                for idx in range(a, a + cnt):
                    d = (idx - first) << _SHIFT
                    self._cache_put(c, idx, ov[d : d + NODE_SIZE].tobytes())
            i = j

    def _fetch(self, c: _Core, idxs: list[int], ov: memoryview, first: int, keep: bool) -> None:
        """Read and authenticate data nodes ``idxs`` into ``ov`` (node ``first`` at 0);
        holes are zeroed. ``keep`` also puts them in the cache."""
        ents: list[tuple[int, int, bytes, bytes]] = []
        unpack = _ENT.unpack_from
        levels1 = c.levels[1] if c.height else None
        for idx in idxs:
            if levels1 is None:
                holder: bytearray | None = c.root
                off = 0
            else:
                holder = levels1.get(idx >> _FSHIFT)
                if holder is None:
                    holder = self._table(c, 1, idx >> _FSHIFT, False)
                off = (idx & (_FANOUT - 1)) << 5
            slot1, nonce, tag = unpack(holder, off) if holder is not None else _HOLE
            if slot1:
                ents.append((idx, slot1 - 1, nonce, tag))
            else:
                d = (idx - first) << _SHIFT
                ov[d : d + NODE_SIZE] = _ZERO_PAGE
        rv = memoryview(self._rbuf)
        decrypt = self._aes.decrypt_into
        pre = c.aad + _LEVEL_BYTE[0]
        fd = self._fds.nodes
        i = 0
        n = len(ents)
        while i < n:
            j = i + 1
            while j < n and j - i < _BATCH and ents[j][1] == ents[j - 1][1] + 1:
                j += 1
            cnt = j - i
            try:
                got = os.preadv(fd, [rv[: cnt << _SHIFT]], ents[i][1] << _SHIFT)
            except OSError as e:
                raise self._io_error(e, "reading nodes") from e
            if got != cnt << _SHIFT:
                bad = ents[i + (got >> _SHIFT)][0]
                raise self._corrupt(c, 0, bad, "is missing (node file too short)")
            # Last node first: each tag goes where the next node's ciphertext began.
            for r in range(cnt - 1, -1, -1):
                idx, _, nonce, tag = ents[i + r]
                o = r << _SHIFT
                rv[o + NODE_SIZE : o + NODE_SIZE + _TAG] = tag
                d = (idx - first) << _SHIFT
                try:
                    decrypt(nonce, rv[o : o + NODE_SIZE + _TAG], pre + idx.to_bytes(8, "little"),
                            ov[d : d + NODE_SIZE])
                except InvalidTag:
                    raise self._corrupt(c, 0, idx, "fails authentication") from None
                if keep:
                    self._cache_put(c, idx, ov[d : d + NODE_SIZE].tobytes())
            i = j

    def _write(self, c: _Core, offset: int, data: bytes | bytearray | memoryview) -> None:
        if c.ahead:
            self._drop_ahead(c)
        mv = memoryview(data)
        if mv.format != "B" or mv.ndim != 1 or not mv.c_contiguous:
            mv = memoryview(mv.tobytes())
        n = len(mv)
        if n == 0:
            return
        end = offset + n
        if end <= c.size:
            self._write_nodes(c, offset, mv)
            return
        self._grow(c, _nnodes(end))
        try:
            self._write_nodes(c, offset, mv)
        except BaseException:
            self._cut(c, c.size)  # nothing may stay past the size
            raise
        c.size = end

    def _write_nodes(self, c: _Core, offset: int, mv: memoryview) -> None:
        n = len(mv)
        idx = offset >> _SHIFT
        lo = offset & (NODE_SIZE - 1)
        pos = 0
        if lo or n < NODE_SIZE:
            take = min(NODE_SIZE - lo, n)
            p = self._page_w(c, idx)
            p[lo : lo + take] = mv[:take]
            pos = take
            idx += 1
        nfull = (n - pos) >> _SHIFT
        if nfull >= _STREAM_MIN:
            self._drop_pages(c, idx, idx + nfull)
            self._store_run(c, idx, mv[pos : pos + (nfull << _SHIFT)])
        elif nfull:
            pages = c.pages
            lru = self._lru
            for i in range(nfull):
                chunk = mv[pos + (i << _SHIFT) : pos + ((i + 1) << _SHIFT)]
                q = pages.get(idx + i)
                if q is None:
                    self._cache_put(c, idx + i, bytearray(chunk))
                else:
                    if isinstance(q, bytearray):
                        q[:] = chunk
                    else:
                        pages[idx + i] = bytearray(chunk)
                    lru.move_to_end((c.ino, idx + i))
                c.dirty.add(idx + i)
            self._dirty.add(c.ino)
        pos += nfull << _SHIFT
        idx += nfull
        if pos < n:
            p = self._page_w(c, idx)
            p[: n - pos] = mv[pos:]

    def _resize(self, c: _Core, size: int) -> None:
        if c.ahead:
            self._drop_ahead(c)
        if size < c.size:
            self._cut(c, size)
        elif size > c.size:
            self._grow(c, _nnodes(size))
        c.size = size
        self._dirty.add(c.ino)

    def _cut(self, c: _Core, size: int) -> None:
        """Free everything past ``size``, zero the rest of its last node, and fit
        the tree's height to it (restores the invariants after a failed write too)."""
        nn = _nnodes(size)
        # Everything that can fail (reading the tables on the paths to the nodes
        # 0 and nn, which trimming and dropping levels need) happens first.
        for idx in (0, nn):
            if c.height and idx < 1 << (_FSHIFT * c.height):
                self._table(c, 1, idx >> _FSHIFT, False)
        self._drop_pages(c, nn, None)
        if c.height:
            self._trim(c, c.height, 0, nn)
        elif nn == 0:
            self._release_entry(c.root, 0)
            c.root[:] = _ZERO_ENT
        tail = size & (NODE_SIZE - 1)
        if tail:
            try:
                p = self._page(c, size >> _SHIFT)
            except KernelError:
                p = None  # unreadable (tampered): it stays so, nothing to zero
            if p is not None:
                q = p if type(p) is bytearray else bytearray(p)
                q[tail:] = bytes(NODE_SIZE - tail)
                c.pages[size >> _SHIFT] = q
                c.dirty.add(size >> _SHIFT)
        self._shrink(c, nn)
        self._dirty.add(c.ino)

    def _flush(self, c: _Core) -> None:
        """Write ``c``'s dirty data nodes, then its dirty table nodes bottom-up."""
        if c.dirty:
            idxs = sorted(c.dirty)
            self._store(c, 0, [(i, c.pages[i]) for i in idxs])
            c.dirty.difference_update(idxs)
        level = 1
        while level <= c.height:
            ds = c.dirty_levels[level]
            if ds:
                ms = sorted(ds)
                tables = c.levels[level]
                self._store(c, level, [(m, tables[m]) for m in ms])
                ds.difference_update(ms)
            level += 1

    # -- inodes --------------------------------------------------------------------------
    def _core(self, ino: int) -> _Core:
        """The object ``ino`` (loaded and checked if not in memory)."""
        c = self._cores.get(ino)
        if c is not None:
            self._cores.move_to_end(ino)
            return c
        it = self._itable
        if not 0 < ino < it.size // _REC or not (self._inos[ino >> 3] >> (ino & 7)) & 1:
            raise KernelError(Errno.EIO, f"sefs: a directory names free inode {ino}")
        raw = self._read(it, ino * _REC, _REC)
        (kind, height, mode, nlink, size, atim, mtim, ctim, root, parent, uid,
         gid) = _RECORD.unpack_from(raw)
        if (kind not in _FILETYPE or height != _height(_nnodes(size)) or mode > 0o7777
                or size > MAX_FILE_SIZE or (kind == _KIND_LINK and not 0 < size < NODE_SIZE)
                or (kind == _KIND_SOCK and size != 0)
                or (kind == _KIND_DIR and parent == 0)):
            raise KernelError(Errno.EIO, f"sefs: inode {ino} has an invalid record")
        c = _Core(ino, kind, mode, nlink, size, (atim, mtim, ctim), root, parent, (uid, gid))
        self._cores[ino] = c  # before reading: the cache holds pages of known cores only
        try:
            if kind == _KIND_DIR:
                blob = self._read(c, 0, size)
                c.kids = self._parse_dir(ino, blob)
                c.kids_blob = blob
            elif kind == _KIND_LINK:
                c.target = self._read(c, 0, size).decode("utf-8", "surrogateescape")
        except BaseException:
            self._drop_pages(c, 0, None)
            del self._cores[ino]
            raise
        return c

    @staticmethod
    def _parse_dir(ino: int, blob: bytes) -> dict[str, tuple[int, int]]:
        kids: dict[str, tuple[int, int]] = {}
        pos = 0
        n = len(blob)
        try:
            while pos < n:
                child, kind, ln = _DENT.unpack_from(blob, pos)
                pos += _DENT.size
                name = blob[pos : pos + ln].decode("utf-8", "surrogateescape")
                pos += ln
                check_name(name)
                if pos > n or child < 2 or kind not in _FILETYPE or name in kids:
                    raise ValueError(name)
                kids[name] = (child, kind)
        except (struct.error, ValueError, KernelError) as e:
            raise KernelError(Errno.EIO, f"sefs: directory inode {ino} is malformed") from e
        return kids

    def _trim_cores(self) -> None:
        """Forget clean objects nobody holds, oldest first."""
        goal = self._max_cores * 3 // 4
        for ino in list(self._cores):
            if len(self._cores) <= goal:
                break
            c = self._cores[ino]
            if ino <= 1 or ino in self._dirty or c.nlink == 0 or ino in self._handles:
                continue
            self._drop_pages(c, 0, None)
            del self._cores[ino]

    def _handle(self, c: _Core) -> _SeNode:
        h = self._handles.get(c.ino)
        if h is None:
            h = _CLASSES[c.kind](self, c)
            self._handles[c.ino] = h
        return h

    def _new_core(self, kind: int, mode: int, parent: int) -> _Core:
        inos = self._inos
        m = _NOT_FULL.search(inos)
        b = m.start() if m is not None else len(inos)
        if b == len(inos):
            inos.append(0)
        v = inos[b]
        bit = (~v & (v + 1)).bit_length() - 1
        ino = (b << 3) | bit
        if ino >= _MAX_INODES:
            raise KernelError(Errno.ENOSPC, "no free inodes")
        inos[b] = v | (1 << bit)
        now = now_ns()
        nlink = 2 if kind == _KIND_DIR else 1
        c = _Core(ino, kind, mode & 0o7777, nlink, 0, (now, now, now), _ZERO_ENT, parent)
        old = self._cores.pop(ino, None)
        assert old is None, f"inode {ino} reused while in memory"
        self._cores[ino] = c
        self._dirty.add(ino)
        return c

    def _unlinked(self, c: _Core) -> None:
        """``c`` lost its last name: free it now, or when its last handle goes."""
        h = self._handles.get(c.ino)
        if h is None:
            self._free_core(c)
        else:
            self._orphans.add(c.ino)
            weakref.finalize(h, self._released.append, c.ino)

    def _free_core(self, c: _Core) -> None:
        ino = c.ino
        self._free_storage(c)
        self._write(self._itable, ino * _REC, _ZERO_REC)
        self._inos[ino >> 3] &= ~(1 << (ino & 7)) & 0xFF
        self._orphans.discard(ino)
        self._cores.pop(ino, None)
        self._dirty.discard(ino)
        self._dirty.add(0)

    # -- commit --------------------------------------------------------------------------
    def _commit(self) -> None:
        """Make the current state durable, or leave the last commit in place (and raise)."""
        if not self._dirty:
            return
        it = self._itable
        cores = [self._cores[i] for i in sorted(self._dirty) if i != 0]
        for c in cores:
            if c.kids_dirty:
                self._store_dir(c)
        for c in cores:
            self._flush(c)
        for c in cores:
            self._write(it, c.ino * _REC, c.pack())
        self._flush(it)
        # The last durable state has no log area (a new or converted volume): one
        # is allocated now, and this commit is an anchor.
        anchor = (self._state is None or self._state.log != self._log or not self._log
                  or self._logpos >= len(self._log))
        if not self._log:
            self._log = tuple(self._alloc(_LOG_LEN))
        nslots = _last_bit(self._in_use) + 1
        ninos = it.size // _REC
        state = _SuperState(
            itable_size=it.size,
            itable_root=bytes(it.root),
            nslots=nslots,
            slots=bytes(self._in_use[: (nslots + 7) >> 3]),
            inos=bytes(self._inos[: (ninos + 7) >> 3]).ljust((ninos + 7) >> 3, b"\0"),
            orphans=tuple(sorted(self._orphans)),
            log=self._log,
        )
        limit = max(self._nonce_limit, self._nonce_next + _NONCE_RESERVE)
        if limit >= _NONCE_SPACE:
            limit = self._nonce_limit
        try:
            if anchor or not self._write_record(state, limit):
                os.fdatasync(self._fds.nodes)  # the nodes before the superblock that names them
                self._write_super(state, limit)
        except OSError as e:
            raise self._io_error(e, "commit") from e
        self._state = state
        self._nonce_limit = limit
        self._committed[:] = self._in_use
        self._busy[:] = self._in_use
        self._hint = 0
        self._dirty.clear()
        self._ntables = self._max_tables + 1  # tables kept while dirty may go now
        if nslots < self._hw:
            # Slots past nslots are free (the next ones allocated are appended there).
            # The file keeps a small free tail: writing into blocks it already has
            # keeps a small commit's fdatasync from also committing a new size.
            self._hw = nslots
            try:
                size = os.fstat(self._fds.nodes).st_size
                if (size >> _SHIFT) - nslots >= max(_TAIL_SLACK, nslots >> 3):
                    os.ftruncate(self._fds.nodes, nslots << _SHIFT)
            except OSError as e:
                log.warning("sefs %s: cannot shrink %s: %s", self.folder, NODES_NAME, e)

    def _store_dir(self, c: _Core) -> None:
        """Write ``c``'s entries as its content, rewriting only the nodes that changed."""
        parts = []
        for name, (ino, kind) in c.kids.items():
            b = _enc_name(name)
            parts.append(_DENT.pack(ino, kind, len(b)))
            parts.append(b)
        blob = b"".join(parts)
        old = c.kids_blob
        if blob != old:
            n = len(blob)
            if n < c.size:
                self._resize(c, n)
            for k in range(0, n, NODE_SIZE):
                piece = blob[k : k + NODE_SIZE]
                if piece != old[k : k + NODE_SIZE]:
                    self._write(c, k, piece)
            c.kids_blob = blob
        c.kids_dirty = False

    def _seal(self, gen: int, flags: int, state: _SuperState, limit: int,
              verify: list[int], digest: bytes) -> bytes:
        """A superblock of generation ``gen``: header, nonce, ciphertext and tag."""
        if gen > _MAX_GEN:
            raise KernelError(Errno.EIO, "the commit generations of this sefs volume are "
                              "used up")
        inos_z = zlib.compress(state.inos, 6)
        slots_z = zlib.compress(state.slots, 6)
        body = b"".join([
            _BODY.pack(_BODY_MAGIC, gen, limit.to_bytes(16, "little"), state.itable_size,
                       state.itable_root, state.nslots, len(state.orphans), len(inos_z),
                       len(slots_z), len(state.log), len(verify)),
            struct.pack(f"<{len(state.orphans)}Q", *state.orphans),
            inos_z,
            slots_z,
            struct.pack(f"<{len(state.log)}I", *state.log),
            struct.pack(f"<{len(verify)}I", *verify),
            digest if verify else b"",
        ])
        header = _HDR.pack(_MAGIC, _VERSION, flags, self._volume_id, self._check,
                           12 + len(body) + _TAG)
        nonce = secrets.token_bytes(12)
        return header + nonce + self._super_aes.encrypt(nonce, body, header)

    def _write_record(self, state: _SuperState, limit: int) -> bool:
        """Commit ``state`` as a log record: the next generation, written to the next
        slot of the log area, made durable with the nodes by one ``fdatasync`` of
        ``sefs.nodes``; the record lists the commit's new slots and the SHA-256 of
        their content, which a mount checks before it uses the record. False (and
        nothing written) if the commit leaves too many new slots or the record
        would not fit in a node slot: the caller writes an anchor."""
        x = int.from_bytes(self._in_use, "little") & ~int.from_bytes(self._committed, "little")
        if x.bit_count() > _VERIFY_MAX:
            return False
        new: list[int] = []
        while x:
            low = x & -x
            new.append(low.bit_length() - 1)
            x ^= low
        raw = self._seal(self._gen + 1, _FLAG_RECORD, state, limit, new, self._digest(new))
        if len(raw) > NODE_SIZE:
            return False
        self._pwrite(memoryview(raw.ljust(NODE_SIZE, b"\0")), self._log[self._logpos] << _SHIFT)
        os.fdatasync(self._fds.nodes)
        self._gen += 1
        self._logpos += 1
        return True

    def _write_super(self, state: _SuperState, limit: int) -> None:
        """Make ``state`` with nonce limit ``limit`` durable as the next generation,
        an *anchor* in a slot file (the log records after it start again at the
        first slot of the log area).

        It goes to the slot that does not hold the newest anchor, in place,
        followed by ``fdatasync``: a torn write leaves the other slot, which stays
        the newest valid one. Only the first superblock of a volume (nothing to
        fall back to) appears by an atomic rename, and slot B's creation also
        syncs the folder. Raises OSError (or KernelError when the generations
        are used up); the newest durable superblock is then unchanged.
        """
        gen = self._gen + 1
        raw = self._seal(gen, _FLAG_ANCHOR, state, limit, [], b"")
        fds = self._fds
        dfd = fds.dir
        target = 1 - self._cur
        if fds.supers[0] < 0:  # a new volume's first superblock
            target = 0
            raw = raw.ljust(-(-len(raw) // _SLOT_ALIGN) * _SLOT_ALIGN, b"\0")
            with contextlib.suppress(FileNotFoundError):
                os.unlink(_SUPER_TMP, dir_fd=dfd)
            fd = os.open(_SUPER_TMP, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
                         | os.O_NOFOLLOW, 0o600, dir_fd=dfd)
            try:
                self._pwrite_all(fd, raw)
                os.fsync(fd)
                os.replace(_SUPER_TMP, SUPER_NAME, src_dir_fd=dfd, dst_dir_fd=dfd)
                os.fsync(dfd)
            except BaseException:
                os.close(fd)
                raise
            fds.supers[0] = fd
        else:
            fd = fds.supers[target]
            if fd < 0:
                fd = os.open(SUPER_B_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW,
                             0o600, dir_fd=dfd)
                fds.supers[target] = fd
                self._b_dirsync = True
            # Padded with zeros over whatever a longer superblock left in the slot.
            size = max(-(-len(raw) // _SLOT_ALIGN) * _SLOT_ALIGN, self._slot_len[target])
            raw = raw.ljust(size, b"\0")
            self._pwrite_all(fd, raw)
            os.fdatasync(fd)  # the data, and the size if it grew
            if target == 1 and self._b_dirsync:
                os.fsync(dfd)  # slot B's name, once
                self._b_dirsync = False
        self._slot_len[target] = len(raw)
        self._gen = gen
        self._cur = target
        self._logpos = 0

    @staticmethod
    def _pwrite_all(fd: int, data: bytes) -> None:
        view = memoryview(data)
        offset = 0
        while offset < len(view):
            offset += os.pwrite(fd, view[offset:], offset)


# -- inodes handed to the VFS ------------------------------------------------------------
class _SeNode(Inode):
    """A handle on one sefs object. Handles are unique per object while alive;
    when the last handle of an unlinked object goes, its storage is freed."""

    def __init__(self, fs: SeFs, core: _Core) -> None:
        self.fs = fs
        self._fs = fs
        self._c = core
        self.ino = core.ino

    @property
    def filetype(self) -> FileType:
        return _FILETYPE[self._c.kind]

    def stat(self) -> Stat:
        c = self._c
        return Stat(
            dev=self._fs.dev,
            ino=c.ino,
            filetype=_FILETYPE[c.kind],
            mode=c.mode,
            nlink=c.nlink,
            size=len(c.kids) if c.kind == _KIND_DIR else c.size,
            atim=c.atim,
            mtim=c.mtim,
            ctim=c.ctim,
            uid=c.uid,
            gid=c.gid,
        )

    def set_times(self, atim: int | None, mtim: int | None) -> None:
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            if atim is not None:
                c.atim = atim
            if mtim is not None:
                c.mtim = mtim
            c.ctim = now_ns()
            fs._dirty.add(c.ino)

    def chmod(self, mode: int) -> None:
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            c.mode = mode & 0o7777
            c.ctim = now_ns()
            fs._dirty.add(c.ino)

    def chown(self, uid: int | None, gid: int | None) -> None:
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            if uid is not None:
                c.uid = uid
            if gid is not None:
                c.gid = gid
            c.ctim = now_ns()
            fs._dirty.add(c.ino)

    def sync(self) -> None:
        """Make this object's data and metadata durable: a commit of the whole
        volume if the object has changes not yet committed; nothing otherwise
        (its last commit already holds it as it is)."""
        fs = self._fs
        with fs.lock:
            fs._begin()
            if self._c.ino in fs._dirty:
                fs._commit()


#: relatime, Linux's default: a read sets ``atim`` only when it is not newer than
#: the last change or is a day old, so reading does not make every session commit.
_RELATIME_NS = 86_400 * 1_000_000_000


def _read_access(fs: SeFs, c: _Core) -> None:
    now = now_ns()
    if c.atim <= c.mtim or c.atim <= c.ctim or now - c.atim >= _RELATIME_NS:
        c.atim = now
        fs._dirty.add(c.ino)


class SeFile(_SeNode):
    """A regular file: sparse (holes read as zeros and take no slots)."""

    def read(self, offset: int, size: int) -> bytes:
        """Up to ``size`` bytes at ``offset``; EIO if stored data fails authentication."""
        if offset < 0 or size < 0:
            raise KernelError(Errno.EINVAL, "negative offset or size")
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            if size:
                _read_access(fs, c)
            end = min(offset + size, c.size)
            idx = offset >> _SHIFT
            if offset < end and idx == (end - 1) >> _SHIFT and offset != c.ra_next:
                # Within one node, not sequential (random 4 KiB reads): the shortest path.
                p = fs._page(c, idx)
                if p is None:
                    return bytes(end - offset)
                if fs._npages > fs._max_pages:
                    fs._evict()
                if end - offset == NODE_SIZE and type(p) is bytes:
                    return p  # immutable: shared with the cache
                lo = offset & (NODE_SIZE - 1)
                return bytes(p[lo : lo + end - offset])
            data = fs._read_file(c, offset, size)
            fs._end()
            return data

    def write(self, offset: int, data: bytes) -> int:
        """Write all of ``data`` at ``offset`` (durable after the next sync)."""
        n = len(data)
        check_write(offset, n)
        if n == 0:
            return 0
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            fs._write(c, offset, data)
            c.mtim = c.ctim = now_ns()
            fs._dirty.add(c.ino)
            fs._end()
        return n

    def truncate(self, size: int) -> None:
        check_truncate(size)
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            fs._resize(c, size)
            c.mtim = c.ctim = now_ns()
            fs._end()

    def allocate(self, offset: int, length: int) -> None:
        """Extend the size to ``offset + length`` if smaller (no slots are reserved)."""
        if offset < 0 or length <= 0:
            raise KernelError(Errno.EINVAL, "bad offset or length")
        end = offset + length
        if end > MAX_FILE_SIZE:
            raise KernelError(Errno.EFBIG, "file would exceed the maximum size")
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            if end > c.size:
                fs._resize(c, end)
                c.mtim = c.ctim = now_ns()


class SeSymlink(_SeNode):
    def readlink(self) -> str:
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            _read_access(fs, c)
            return c.target

    def chmod(self, mode: int) -> None:
        raise KernelError(Errno.ENOTSUP, "symbolic links have no mode of their own")


class SeSocket(_SeNode):
    """A socket node (``bind`` of an AF_UNIX path): a name for a socket, no content."""


class SeDir(_SeNode):
    """A directory: entries in insertion order; ``nlink`` is 2 plus the number of
    subdirectories while it exists and 0 once removed; ``size`` is the number of
    entries (as ramfs reports)."""

    def _alive(self) -> None:
        if self._c.nlink == 0:
            raise KernelError(Errno.ENOENT, "directory has been removed")

    def _touch(self, now: int) -> None:
        c = self._c
        c.mtim = c.ctim = now
        c.kids_dirty = True
        self._fs._dirty.add(c.ino)

    def _check_new(self, name: str) -> None:
        check_name(name)
        _enc_name(name)
        self._alive()
        if name in self._c.kids:
            raise KernelError(Errno.EEXIST, f"{name!r} exists")

    def lookup(self, name: str) -> Inode:
        node = self.find(name)
        if node is None:
            raise KernelError(Errno.ENOENT, f"no entry {name!r}")
        return node

    def find(self, name: str) -> Inode | None:
        check_name(name)
        fs = self._fs
        with fs.lock:
            fs._begin()
            ent = self._c.kids.get(name)
            if ent is None:
                return None
            c = fs._core(ent[0])
            if c.kind != ent[1]:
                raise KernelError(Errno.EIO, f"sefs: inode {c.ino} is not what its entry says")
            h = fs._handle(c)
            fs._end()
            return h

    def entries(self) -> Iterator[DirEntry]:
        fs = self._fs
        with fs.lock:
            fs._begin()
            c = self._c
            _read_access(fs, c)
            snapshot = [DirEntry(n, ino, _FILETYPE[k]) for n, (ino, k) in c.kids.items()]
        return iter(snapshot)

    def _add(self, name: str, kind: int, mode: int) -> _Core:
        fs = self._fs
        node = fs._new_core(kind, mode, self._c.ino)
        self._c.kids[name] = (node.ino, kind)
        self._touch(node.ctim)
        return node

    def create(self, name: str, mode: int) -> Inode:
        fs = self._fs
        with fs.lock:
            fs._begin()
            self._check_new(name)
            return fs._handle(self._add(name, _KIND_FILE, mode))

    def mkdir(self, name: str, mode: int) -> Inode:
        fs = self._fs
        with fs.lock:
            fs._begin()
            self._check_new(name)
            node = self._add(name, _KIND_DIR, mode)
            node.kids_dirty = True
            self._c.nlink += 1  # the new directory's ".."
            return fs._handle(node)

    def symlink(self, name: str, target: str) -> Inode:
        check_symlink_target(target)
        raw = _enc_name(target)
        fs = self._fs
        with fs.lock:
            fs._begin()
            self._check_new(name)
            node = self._add(name, _KIND_LINK, 0o777)
            node.target = target
            fs._write(node, 0, raw)
            fs._end()
            return fs._handle(node)

    def mksock(self, name: str, mode: int) -> Inode:
        fs = self._fs
        with fs.lock:
            fs._begin()
            self._check_new(name)
            return fs._handle(self._add(name, _KIND_SOCK, mode))

    def link(self, name: str, inode: Inode) -> None:
        """Errors in Linux's order: EEXIST, then EXDEV, EPERM, ENOENT."""
        fs = self._fs
        with fs.lock:
            fs._begin()
            self._check_new(name)
            if inode.fs is not fs or not isinstance(inode, _SeNode):
                raise KernelError(Errno.EXDEV, "hard link across file systems")
            if isinstance(inode, SeDir):
                raise KernelError(Errno.EPERM, "hard link to a directory")
            ic = inode._c
            if ic.nlink == 0:
                raise KernelError(Errno.ENOENT, "file has been removed")
            ic.nlink += 1
            now = now_ns()
            ic.ctim = now
            fs._dirty.add(ic.ino)
            self._c.kids[name] = (ic.ino, ic.kind)
            self._touch(now)

    def _entry(self, name: str) -> tuple[int, int]:
        """(inode, kind) of the entry ``name``; ENOENT if there is none."""
        ent = self._c.kids.get(name)
        if ent is None:
            raise KernelError(Errno.ENOENT, f"no entry {name!r}")
        return ent

    def unlink(self, name: str) -> None:
        check_name(name)
        fs = self._fs
        with fs.lock:
            fs._begin()
            kids = self._c.kids
            ent = self._entry(name)
            if ent[1] == _KIND_DIR:
                raise KernelError(Errno.EISDIR, f"{name!r} is a directory")
            child = fs._core(ent[0])
            del kids[name]
            now = now_ns()
            child.nlink -= 1
            child.ctim = now
            fs._dirty.add(child.ino)
            self._touch(now)
            if child.nlink == 0:
                fs._unlinked(child)
            fs._end()

    def rmdir(self, name: str) -> None:
        check_name(name)
        fs = self._fs
        with fs.lock:
            fs._begin()
            kids = self._c.kids
            ent = self._entry(name)
            if ent[1] != _KIND_DIR:
                raise KernelError(Errno.ENOTDIR, f"{name!r} is not a directory")
            child = fs._core(ent[0])
            if child.kids:
                raise KernelError(Errno.ENOTEMPTY, f"{name!r} is not empty")
            del kids[name]
            self._drop_dir(child, now_ns())
            fs._end()

    def _drop_dir(self, child: _Core, now: int) -> None:
        """``child`` (empty) has just lost its entry in ``self``."""
        child.nlink = 0
        child.ctim = now
        self._fs._dirty.add(child.ino)
        self._c.nlink -= 1
        self._touch(now)
        self._fs._unlinked(child)

    def _ancestors(self, start: _Core) -> Iterator[int]:
        """Inode numbers from ``start`` up to the root."""
        fs = self._fs
        c = start
        for _ in range(1 << 16):
            yield c.ino
            if c.ino == 1:
                return
            c = fs._core(c.parent)
        raise KernelError(Errno.EIO, "sefs: directory parents form a loop")

    def rename(self, old: str, new_dir: Inode, new: str) -> None:
        check_name(old)
        check_name(new)
        fs = self._fs
        if new_dir.fs is not fs:
            raise KernelError(Errno.EXDEV, "rename across file systems")
        if not isinstance(new_dir, SeDir):
            raise KernelError(Errno.ENOTDIR, "rename target parent is not a directory")
        with fs.lock:
            fs._begin()
            sc, dc = self._c, new_dir._c
            src = sc.kids.get(old)
            if src is None:
                raise KernelError(Errno.ENOENT, f"no entry {old!r}")
            new_dir._alive()
            _enc_name(new)
            dst = dc.kids.get(new)
            # Checks in Linux's order (do_renameat2, then vfs_rename).
            if src[1] == _KIND_DIR and src[0] in self._ancestors(dc):
                raise KernelError(Errno.EINVAL, "cannot move a directory into itself")
            if dst is not None and dst[1] == _KIND_DIR and dst[0] in self._ancestors(sc):
                raise KernelError(Errno.ENOTEMPTY, f"{new!r} contains the source")
            if dst is not None and dst[0] == src[0]:
                return  # same entry, or two links to one file: Linux does nothing
            dst_core = fs._core(dst[0]) if dst is not None else None
            if src[1] == _KIND_DIR:
                if dst_core is not None:
                    if dst_core.kind != _KIND_DIR:
                        raise KernelError(Errno.ENOTDIR, f"{new!r} is not a directory")
                    if dst_core.kids:
                        raise KernelError(Errno.ENOTEMPTY, f"{new!r} is not empty")
            elif dst_core is not None and dst_core.kind == _KIND_DIR:
                raise KernelError(Errno.EISDIR, f"{new!r} is a directory")
            src_core = fs._core(src[0])
            now = now_ns()
            del sc.kids[old]
            if dst_core is not None and dst_core.kind == _KIND_DIR:
                new_dir._drop_dir(dst_core, now)
            elif dst_core is not None:
                dst_core.nlink -= 1
                dst_core.ctim = now
                fs._dirty.add(dst_core.ino)
                if dst_core.nlink == 0:
                    fs._unlinked(dst_core)
            dc.kids[new] = src
            if src[1] == _KIND_DIR and dc is not sc:
                sc.nlink -= 1
                dc.nlink += 1
                src_core.parent = dc.ino
            src_core.ctim = now
            fs._dirty.add(src_core.ino)
            self._touch(now)
            new_dir._touch(now)
            fs._end()


_CLASSES: dict[int, type[_SeNode]] = {
    _KIND_FILE: SeFile,
    _KIND_DIR: SeDir,
    _KIND_LINK: SeSymlink,
    _KIND_SOCK: SeSocket,
}
