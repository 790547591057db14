"""Fixtures shared by the end-to-end tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from userland_harness import Userland

from pyocclum.boot import Instance
from pyocclum.boot import etc as boot_etc
from pyocclum.cli.userland import install_userland
from pyocclum.config.template import new_instance

PROGRAMS = Path(__file__).resolve().parent / "programs"
CC = Path(sys.executable).parent / "occlum-cc"


@pytest.fixture(scope="session", autouse=True)
def no_host_etc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Boots in this process copy no host ``/etc`` files in (boot/etc.py), so what
    a test sees inside never depends on this machine's ``resolv.conf``, ``hosts``
    or ``hostname``; tests/boot/test_boot_etc.py points it at files of its own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(boot_etc, "HOST_ETC", tmp_path_factory.mktemp("no-host-etc"))
        yield


@pytest.fixture
def make_instance(tmp_path: Path) -> Callable[..., Instance]:
    """``make_instance("a", "b")``: a new, built instance in ``tmp_path`` with
    ``tests/programs/a.c`` and ``b.c`` compiled by occlum-cc (warnings are
    errors) to ``/bin/a`` and ``/bin/b``."""

    def make(*programs: str) -> Instance:
        folder = tmp_path / "inst"
        new_instance(folder)
        for name in programs:
            out = folder / "image" / "bin" / name
            r = subprocess.run(
                [str(CC), "-O2", "-Wall", "-Wextra", "-Werror", str(PROGRAMS / f"{name}.c"),
                 "-o", str(out)],
                capture_output=True, text=True, timeout=600, check=False,
            )
            assert r.returncode == 0, r.stderr
        inst = Instance(folder)
        inst.build()
        return inst

    return make


@pytest.fixture(scope="module")
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """``PYOCCLUM_CACHE_DIR`` set to a fresh folder for one test module, so what
    occlum-cc builds (libocclum, the C++ runtime) goes there, not to the user's
    cache. Modules opt in with ``pytestmark = pytest.mark.usefixtures("private_cache")``."""
    root = tmp_path_factory.mktemp("pyocclum-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PYOCCLUM_CACHE_DIR", str(root))
        yield root


@pytest.fixture
def wait_child() -> Callable[[int, float, str], int]:
    """``wait_child(pid, seconds, what)``: the exit code of forked child ``pid``;
    if it takes longer than ``seconds``, it is killed and the test fails
    saying that ``what`` hung (a hang must not hang the suite)."""

    def wait(pid: int, seconds: float, what: str) -> int:
        deadline = time.monotonic() + seconds
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                return os.waitstatus_to_exitcode(status)
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                pytest.fail(f"the forked child hung {what}")
            time.sleep(0.01)

    return wait


# The userland tests (tests/userland): one built instance with /bin/sh and the
# utilities per session (per xdist worker); the helpers are in
# tests/userland/userland_harness.py.
@pytest.fixture(scope="session")
def userland_instance(tmp_path_factory: pytest.TempPathFactory) -> Userland:
    folder = tmp_path_factory.mktemp("userland") / "inst"
    new_instance(folder)
    install_userland(folder / "image" / "bin")
    instance = Instance(folder)
    instance.build()
    return Userland(instance)


@pytest.fixture
def userland(userland_instance: Userland) -> Iterator[Userland]:
    """The shared userland instance, with an empty ``/host`` (= ``userland.host``)."""
    userland_instance.clear()
    yield userland_instance
    userland_instance.clear()


# -- sizes for the hardening tests (tests/hardening, issue 16) -----------------------------
def soaking() -> bool:
    """True under ``make soak`` (``PYOCCLUM_SOAK=1``): the hardening tests run long."""
    return os.environ.get("PYOCCLUM_SOAK", "") not in ("", "0")


class Scale:
    """Picks the CI-sized or the soak-sized figure of a test: ``scale(ci, soak)``.

    ``make test`` runs the hardening tests at their CI sizes; ``make soak`` sets
    ``PYOCCLUM_SOAK=1`` and the same tests run with their long counts (calls
    fuzzed, crash trials, processes, seconds).
    """

    def __init__(self, soak: bool) -> None:
        self.soak = soak

    def __call__(self, ci: int, soak: int) -> int:
        return soak if self.soak else ci


@pytest.fixture
def scale() -> Scale:
    """The :class:`Scale` of this run."""
    return Scale(soaking())

