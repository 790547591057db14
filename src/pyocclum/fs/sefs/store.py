"""sefs's node store and cache: the host descriptors of a mounted volume, the
in-memory object (``_Core``), and ``_Store``, the lowest layer of ``SeFs``: the
state of the node file (slot bitmaps, allocation and release of slots, the
nonce counter), sealing nodes into fresh slots and opening them (one node with
``cryptography``, batches with the native library), and the LRU cache of
decrypted data nodes with write-back on eviction. Everything runs with the
volume's lock held."""

from __future__ import annotations

import array
import contextlib
import mmap
import os
import threading
import weakref
from collections import OrderedDict, deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pyocclum.abi.errno import Errno, from_host
from pyocclum.crypto.aead import AesGcm, InvalidTag
from pyocclum.errors import KernelError
from pyocclum.fs.sefs import ondisk
from pyocclum.fs.sefs.ondisk import (
    _BATCH,
    _ENT,
    _ENTRY,
    _FANOUT,
    _FSHIFT,
    _LEVEL0,
    _LEVEL_BYTE,
    _MAX_SLOTS,
    _NONCE_SPACE,
    _NOT_FULL,
    _REC,
    _RECORD,
    _SHIFT,
    _SLOTS,
    _TAG,
    NODE_SIZE,
    _Buf,
    _height,
    _nnodes,
    _set_range,
    _SuperState,
    log,
)
from pyocclum.native import aead

if TYPE_CHECKING:
    from pyocclum.fs.sefs.inodes import _SeNode
    from pyocclum.fs.sefs.tree import _Ahead


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


def _scratch(size: int) -> mmap.mmap:
    """``size`` zero bytes whose pages are only mapped in when first touched."""
    return mmap.mmap(-1, size)


class _Store:
    """The node store of one volume; ``SeFs`` is built on it (``tree.py``,
    ``inodes.py``, ``volume.py`` add the layers above)."""

    # Set when the volume is mounted (volume.py).
    _node_key: bytes
    _aes: AesGcm
    _itable: _Core

    if TYPE_CHECKING:  # defined by the layers above (tree.py, volume.py)
        def _table(self, c: _Core, level: int, j: int, create: bool) -> bytearray | None: ...
        def _write_super(self, state: _SuperState, limit: int) -> None: ...

    def __init__(self, folder: Path | str, cache_size: int) -> None:
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
        # The batch buffers are anonymous mappings, not bytearrays: bytearray(n)
        # zeroes (and so faults in) every page, about 3 ms of each mount for 4 MiB
        # that a run which writes nothing never touches.
        self._wbuf = _scratch((_BATCH << _SHIFT) + _TAG)
        self._rbuf = _scratch((_BATCH << _SHIFT) + _TAG)
        self._obuf = _scratch(_BATCH << _SHIFT)
        # One node's ciphertext and tag, for _load (called with the lock held).
        self._lbuf = bytearray(NODE_SIZE + _TAG)
        self._lview = memoryview(self._lbuf)
        self._lread = [self._lview[:NODE_SIZE]]
        self._pbuf = _scratch(_BATCH << _SHIFT)
        self._ebuf = bytearray(_BATCH * _ENTRY)
        #: Native AES-GCM over many nodes per call (None: cryptography, node by node).
        self._gcm: aead.SefsGcm | None = None
        #: Addresses of the scratch buffers above (for ``_gcm``): w, r, o, p, e.
        self._addrs = (0, 0, 0, 0, 0)
        self._nonce_next = 0
        self._nonce_limit = 0
        self._state: _SuperState | None = None

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
            limit = base + k + ondisk._NONCE_RESERVE
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

    # -- sealing and opening nodes ----------------------------------------------------
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
