"""fs/treehash: the integrity image's leaves and roots by their definition
(BLAKE3 derive_key), and run_leaves on helper threads gives exactly
block_leaves whatever the size and the number of helpers."""

from __future__ import annotations

import os

import pytest
from blake3 import blake3

from pyocclum.fs import treehash
from pyocclum.fs.treehash import BLOCK, block_leaves, leaf_hash, run_leaves, tree_root

DATA = os.urandom(37 * BLOCK + 5)


def reference(data: bytes) -> bytes:
    return b"".join(blake3(data[i : i + BLOCK], derive_key_context=treehash.LEAF_CONTEXT).digest()
                    for i in range(0, len(data), BLOCK))


@pytest.mark.parametrize("size", [0, 1, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK, 4 * BLOCK + 7,
                                  16 * BLOCK, 37 * BLOCK + 5])
def test_run_leaves_is_block_leaves(size: int) -> None:
    data = DATA[:size]
    want = reference(data)
    assert block_leaves(data) == want
    assert block_leaves(memoryview(data)) == want
    for k in (0, 1, 2, 3, 5, None):
        assert run_leaves(data, k) == want, (size, k)
    assert leaf_hash(data[:BLOCK]) == want[:32] or not data


def test_a_helper_error_reaches_the_caller(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = treehash.block_leaves

    def failing(data: bytes | bytearray | memoryview) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 1:  # the first share, on a helper
            raise OSError("boom")
        return real(data)

    monkeypatch.setattr(treehash, "block_leaves", failing)
    with pytest.raises(OSError, match="boom"):
        run_leaves(DATA, 1)
    assert calls == 2
    monkeypatch.undo()
    assert run_leaves(DATA, 1) == reference(DATA)


def test_roots() -> None:
    leaves = reference(DATA)
    assert tree_root(leaves) == blake3(leaves,
                                       derive_key_context=treehash.ROOT_CONTEXT).digest()
    assert treehash.EMPTY_ROOT == tree_root(b"") == tree_root([])
    assert 0 <= treehash.helpers() <= treehash.MAX_HELPERS


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork")
def test_helpers_start_again_in_a_forked_child() -> None:
    assert run_leaves(DATA, 2) == reference(DATA)  # helpers running in the parent
    pid = os.fork()
    if pid == 0:  # the child: the parent's helpers are not here
        ok = run_leaves(DATA, 2) == reference(DATA)
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
