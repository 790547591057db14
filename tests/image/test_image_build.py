"""Staging image/ into build/: an exact, incremental copy; finding the modules."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pyocclum.image import StagedImage, find_modules, stage_image

WASM = b"\0asm\x01\0\0\0"


def snapshot(root: Path) -> dict[str, tuple[str, int, bytes | str]]:
    """Everything stage_image promises to copy: kind, permission bits, content/target."""
    out: dict[str, tuple[str, int, bytes | str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            p = Path(dirpath) / name
            rel = p.relative_to(root).as_posix()
            st = p.lstat()
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", 0, os.readlink(p))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", mode, b"")
            elif stat.S_ISREG(st.st_mode):
                out[rel] = ("file", mode, p.read_bytes())
            else:
                out[rel] = ("other", mode, b"")
    return out


def write(p: Path, data: bytes, mode: int = 0o644) -> None:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(data)
    p.chmod(mode)


@pytest.fixture
def src(tmp_path: Path) -> Path:
    s = tmp_path / "image"
    write(s / "bin" / "hello", WASM + b"code", 0o755)
    write(s / "etc" / "hosts", b"127.0.0.1 localhost\n", 0o640)
    write(s / "etc" / "secret", b"s", 0o600)
    (s / "empty").mkdir()
    (s / "private").mkdir(mode=0o700)
    (s / "private").chmod(0o700)
    write(s / "private" / "x", b"x")
    os.symlink("hello", s / "bin" / "hi")
    os.symlink("/etc", s / "etc_link")  # a symlink to a directory: not descended
    os.symlink("missing/target", s / "dangling")
    return s


def stage(src: Path, dst: Path) -> StagedImage:
    return stage_image(src, dst)


def test_exact_copy(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "build"
    staged = stage(src, dst)
    assert snapshot(dst) == snapshot(src)
    assert stat.S_IMODE((dst / "private").stat().st_mode) == 0o700
    assert stat.S_IMODE((dst / "etc" / "hosts").stat().st_mode) == 0o640
    assert (dst / "bin" / "hi").is_symlink()
    assert (dst / "etc_link").is_symlink()
    assert os.readlink(dst / "etc_link") == "/etc"
    assert os.readlink(dst / "dangling") == "missing/target"
    assert staged.root == dst
    assert staged.modules == ("bin/hello",)
    # 4 regular files and 3 symlinks.
    assert staged.copied == 7
    assert staged.removed == 0


def test_mtimes_are_kept(src: Path, tmp_path: Path) -> None:
    os.utime(src / "etc" / "hosts", ns=(1_000_000_000, 1_234_567_891_000))
    dst = tmp_path / "build"
    stage(src, dst)
    assert (dst / "etc" / "hosts").stat().st_mtime_ns == 1_234_567_891_000


def test_second_run_copies_nothing(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "build"
    stage(src, dst)
    again = stage(src, dst)
    assert (again.copied, again.removed) == (0, 0)
    assert snapshot(dst) == snapshot(src)


def test_changed_content_and_mode_are_copied(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "build"
    stage(src, dst)
    (src / "etc" / "hosts").write_bytes(b"changed and longer\n")
    (src / "etc" / "secret").chmod(0o400)
    os.unlink(src / "bin" / "hi")
    os.symlink("elsewhere", src / "bin" / "hi")
    again = stage(src, dst)
    assert again.copied == 3
    assert snapshot(dst) == snapshot(src)


def test_same_size_and_mtime_change_is_not_noticed_but_mode_is(
    src: Path, tmp_path: Path
) -> None:
    # The incremental rule is (size, mtime, mode): document it.
    dst = tmp_path / "build"
    stage(src, dst)
    f = src / "etc" / "secret"
    st = f.stat()
    f.write_bytes(b"t")
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert stage(src, dst).copied == 0
    f.chmod(0o644)
    assert stage(src, dst).copied == 1
    assert (dst / "etc" / "secret").read_bytes() == b"t"


def test_deleted_files_and_dirs_are_removed(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "build"
    stage(src, dst)
    (src / "etc" / "secret").unlink()
    shutil.rmtree(src / "private")  # a dir and its one file
    (src / "dangling").unlink()
    again = stage(src, dst)
    assert again.removed == 4
    assert again.copied == 0
    assert not (dst / "private").exists()
    assert not (dst / "etc" / "secret").exists()
    assert not (dst / "dangling").is_symlink()
    assert snapshot(dst) == snapshot(src)


def test_extra_files_in_build_are_removed(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "build"
    stage(src, dst)
    write(dst / "bin" / "planted", b"evil")
    os.symlink("/", dst / "planted_link")
    again = stage(src, dst)
    assert again.removed == 2
    assert snapshot(dst) == snapshot(src)


def test_file_replaced_by_dir_and_back(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "build"
    stage(src, dst)
    (src / "etc" / "hosts").unlink()
    write(src / "etc" / "hosts" / "inner", b"now a dir")
    stage(src, dst)
    assert (dst / "etc" / "hosts").is_dir()
    assert snapshot(dst) == snapshot(src)
    shutil.rmtree(src / "etc" / "hosts")
    write(src / "etc" / "hosts", b"a file again")
    stage(src, dst)
    assert (dst / "etc" / "hosts").is_file()
    assert snapshot(dst) == snapshot(src)


def test_dir_replaced_by_symlink_and_back(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "build"
    stage(src, dst)
    shutil.rmtree(src / "private")
    os.symlink("etc", src / "private")
    stage(src, dst)
    assert (dst / "private").is_symlink()
    assert snapshot(dst) == snapshot(src)
    (src / "private").unlink()
    write(src / "private" / "y", b"y")
    stage(src, dst)
    assert not (dst / "private").is_symlink()
    assert snapshot(dst) == snapshot(src)


def test_symlink_in_build_is_not_followed(src: Path, tmp_path: Path) -> None:
    # A symlink planted in build/ where the image has a directory must not let
    # the copy write outside build/.
    dst = tmp_path / "build"
    stage(src, dst)
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.rmtree(dst / "private")
    os.symlink(outside, dst / "private")
    stage(src, dst)
    assert list(outside.iterdir()) == []
    assert snapshot(dst) == snapshot(src)


def test_fifos_are_skipped(src: Path, tmp_path: Path) -> None:
    os.mkfifo(src / "etc" / "pipe")
    dst = tmp_path / "build"
    staged = stage(src, dst)
    assert not os.path.lexists(dst / "etc" / "pipe")
    assert staged.copied == 7


def test_file_replaced_by_fifo_is_removed(src: Path, tmp_path: Path) -> None:
    dst = tmp_path / "build"
    stage(src, dst)
    (src / "etc" / "hosts").unlink()
    os.mkfifo(src / "etc" / "hosts")
    stage(src, dst)
    assert not os.path.lexists(dst / "etc" / "hosts")


def test_missing_source(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nope"):
        stage(tmp_path / "nope", tmp_path / "build")
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(FileNotFoundError):
        stage(tmp_path / "file", tmp_path / "build")


@pytest.fixture
def world_tmp() -> Iterator[Path]:
    """A folder an unprivileged user can use (pytest's tmp_path is private to us)."""
    d = Path(tempfile.mkdtemp(prefix="pyocclum-stage-"))
    d.chmod(0o777)
    try:
        yield d
    finally:
        for p in d.rglob("*"):
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        shutil.rmtree(d)


def _stage_unprivileged(src: Path, dst: Path) -> subprocess.CompletedProcess[str]:
    code = (
        "import sys, pathlib\n"
        "from pyocclum.image import stage_image\n"
        "stage_image(pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]))\n"
    )
    cmd = [sys.executable, "-c", code, str(src), str(dst)]
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot drop privileges")
        cmd = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups", *cmd]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)
    if result.returncode != 0 and "setpriv:" in result.stderr:
        pytest.skip(f"cannot drop privileges: {result.stderr.strip()}")
    return result


def test_read_only_directory_as_unprivileged_user(world_tmp: Path) -> None:
    src = world_tmp / "image"
    write(src / "bin" / "prog", b"p", 0o755)
    (src / "bin").chmod(0o555)
    src.chmod(0o755)
    result = _stage_unprivileged(src, world_tmp / "build")
    assert result.returncode == 0, result.stderr[-400:]
    assert (world_tmp / "build" / "bin" / "prog").read_bytes() == b"p"


# -- find_modules ---------------------------------------------------------------------


def test_find_modules(tmp_path: Path) -> None:
    write(tmp_path / "bin" / "a", WASM)
    write(tmp_path / "bin" / "sub" / "b.wasm", b"\0asm garbage after the magic")
    write(tmp_path / "lib" / "c", b"\0as")  # too short
    write(tmp_path / "lib" / "d", b"\x7fELF\x02\x01")
    write(tmp_path / "lib" / "e", b"")
    write(tmp_path / "lib" / "f", b"x\0asm")  # magic not at the start
    os.symlink("a", tmp_path / "bin" / "link_to_wasm")
    os.symlink(tmp_path / "bin", tmp_path / "bindir")  # not descended
    assert find_modules(tmp_path) == ["bin/a", "bin/sub/b.wasm"]


def test_find_modules_empty(tmp_path: Path) -> None:
    assert find_modules(tmp_path) == []
