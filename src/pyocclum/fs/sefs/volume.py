"""sefs's volume: ``SeFs`` itself, its public face (mount, ``sync``, ``close``)
and its superblock: creating a volume, opening and checking the two anchor
slots and the log records after the newest, converting older versions, the
per-volume keys, and the commit (a log record when small, an anchor otherwise)."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import stat as host_stat
import struct
import zlib
from pathlib import Path

from pyocclum.abi.errno import Errno
from pyocclum.crypto.aead import AesGcm, InvalidTag
from pyocclum.crypto.keys import derive_key, mac
from pyocclum.errors import ImageError, KernelError
from pyocclum.fs.sefs import ondisk
from pyocclum.fs.sefs.inodes import SeDir, _Inodes
from pyocclum.fs.sefs.ondisk import (
    _BODY,
    _BODY_MAGIC,
    _BODY_OLD,
    _FLAG_ANCHOR,
    _FLAG_RECORD,
    _HDR,
    _KIND_DIR,
    _KIND_TABLE,
    _LOG_LEN,
    _MAGIC,
    _MAX_GEN,
    _MAX_INODES,
    _MAX_SEALED,
    _MAX_SLOTS,
    _NEW_NAME,
    _NONCE_SPACE,
    _OPEN_RO,
    _REC,
    _SHIFT,
    _SLOT_ALIGN,
    _SUPER_TMP,
    _TAG,
    _TAIL_SLACK,
    _VERSION,
    _VERSION_1,
    _VERSION_2,
    _ZERO_ENT,
    DEFAULT_CACHE_SIZE,
    LOCK_NAME,
    NODE_SIZE,
    NODES_NAME,
    SUPER_B_NAME,
    SUPER_NAME,
    _bad,
    _last_bit,
    _set_range,
    _Slot,
    _SuperState,
    _Unsupported,
    log,
)
from pyocclum.fs.sefs.store import _Core
from pyocclum.fs.types import (
    FileSystem,
    now_ns,
)
from pyocclum.native import aead


def _nonce_jump() -> int:
    """A random distance in ``[0, _NONCE_JUMP)`` (without importing :mod:`random`
    for ``secrets.randbelow`` at start-up: the range is exactly 64 bits)."""
    return int.from_bytes(os.urandom(8), "little")


assert ondisk._NONCE_JUMP == 1 << 64  # what _nonce_jump draws from


class SeFs(_Inodes, FileSystem):
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
        super().__init__(folder, cache_size)
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
    def _super_keys(key: bytes, volume_id: bytes) -> tuple[AesGcm, bytes]:
        """The superblock cipher and the key check of volume ``volume_id``."""
        vk = derive_key(key, "pyocclum sefs volume", volume_id)
        return (AesGcm(derive_key(vk, "pyocclum sefs superblock")),
                mac(vk, b"pyocclum sefs key check")[:16])

    def _keys(self, key: bytes, volume_id: bytes) -> bytes:
        vk = derive_key(key, "pyocclum sefs volume", volume_id)
        self._node_key = derive_key(vk, "pyocclum sefs nodes")
        self._aes = AesGcm(self._node_key)
        gcm = aead.sefs_gcm()
        if gcm is not None:
            addr = gcm.addr
            self._addrs = (addr(self._wbuf), addr(self._rbuf), addr(self._obuf),
                           addr(self._pbuf), addr(self._ebuf))
        self._gcm = gcm
        self._super_aes = AesGcm(derive_key(vk, "pyocclum sefs superblock"))
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
        self._keys(key, os.urandom(32))
        self._open_nodes(os.O_CREAT | os.O_TRUNC)
        # A fresh volume key has sealed nothing yet: the first commit records the
        # reservation before any other superblock exists.
        self._nonce_next = _nonce_jump()
        self._nonce_limit = self._nonce_next + ondisk._NONCE_RESERVE
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
                   keys: dict[bytes, tuple[AesGcm, bytes]], name: str = "") -> _Slot:
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
        keys: dict[bytes, tuple[AesGcm, bytes]] = {}
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
        self._nonce_next = limit + _nonce_jump()
        if self._nonce_next + ondisk._NONCE_RESERVE >= _NONCE_SPACE:
            raise _bad(folder, "the nonce space of this volume is exhausted")
        self._itable = _Core(0, _KIND_TABLE, 0, 1, state.itable_size, (0, 0, 0),
                             state.itable_root, 0)
        self._cores[0] = self._itable
        self._open_supers(raw_a, raw_b)
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
        # Only now that the chosen state authenticates: a mount that is refused (an
        # older superblock slot whose nodes were reused, with the newer one damaged)
        # must leave sefs.nodes as it was, or putting the damaged slot back would
        # no longer bring the newer state back.
        try:
            st = os.fstat(self._fds.nodes)
            if st.st_size > self._hw << _SHIFT:  # uncommitted slots of a crashed session
                os.ftruncate(self._fds.nodes, self._hw << _SHIFT)
        except OSError as e:
            raise _bad(folder, f"cannot resize {NODES_NAME}: {e.strerror or e}") from e

    def _walk_log(self, key: bytes, anchor: _Slot, keys: dict[bytes, tuple[AesGcm, bytes]]
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
        limit = max(self._nonce_limit, self._nonce_next + ondisk._NONCE_RESERVE)
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
        nonce = os.urandom(12)
        return header + nonce + self._super_aes.encrypt(nonce, body, header)

    def _write_record(self, state: _SuperState, limit: int) -> bool:
        """Commit ``state`` as a log record: the next generation, written to the next
        slot of the log area, made durable with the nodes by one ``fdatasync`` of
        ``sefs.nodes``; the record lists the commit's new slots and the SHA-256 of
        their content, which a mount checks before it uses the record. False (and
        nothing written) if the commit leaves too many new slots or the record
        would not fit in a node slot: the caller writes an anchor."""
        x = int.from_bytes(self._in_use, "little") & ~int.from_bytes(self._committed, "little")
        if x.bit_count() > ondisk._VERIFY_MAX:
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
