"""The shared checks of ``fs/types.py`` give the errno Linux gives, with a reason."""

from __future__ import annotations

import pytest

from pyocclum.abi.errno import Errno
from pyocclum.errors import KernelError
from pyocclum.fs.types import MAX_FILE_SIZE, check_truncate, check_write


@pytest.mark.parametrize(
    ("offset", "n", "errno"),
    [(-1, 0, Errno.EINVAL), (MAX_FILE_SIZE, 1, Errno.EFBIG), (MAX_FILE_SIZE - 3, 4, Errno.EFBIG)],
)
def test_bad_writes(offset: int, n: int, errno: Errno) -> None:
    with pytest.raises(KernelError) as info:
        check_write(offset, n)
    assert info.value.errno == errno


@pytest.mark.parametrize(("offset", "n"), [(0, 0), (MAX_FILE_SIZE - 4, 4), (MAX_FILE_SIZE, 0)])
def test_writes_up_to_the_limit_pass(offset: int, n: int) -> None:
    check_write(offset, n)


@pytest.mark.parametrize(("size", "errno"), [(-1, Errno.EINVAL), (MAX_FILE_SIZE + 1, Errno.EFBIG)])
def test_bad_truncates(size: int, errno: Errno) -> None:
    with pytest.raises(KernelError) as info:
        check_truncate(size)
    assert info.value.errno == errno
    check_truncate(0)
    check_truncate(MAX_FILE_SIZE)
