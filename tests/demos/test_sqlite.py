"""demos/sqlite: SQLite's shell inside, its database on the encrypted root.

``run.sh`` runs end to end (the amalgamation comes from ``npm pack`` once; the
two builds are cached, keyed by source, flags and compiler). Then, checked
here against the real thing rather than by the demo's own code: the host's
``grep`` finds the random marker the workload stored in the native build's
database but nowhere in the instance; a later LibOS run still reads the
data; ``CREATE INDEX`` on the 200,000-row table (what used to die of SIGSEGV,
a call through SQLite's null ``fchmod``) works again on the encrypted root and
gives the native build's answer. Missing npm or a bad ``SQLITE_SRC`` give one
line, no traceback.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from pyocclum.boot import Instance

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "demos" / "sqlite"
BIN = Path(sys.executable).parent


def load_demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pyocclum_demo_sqlite", DEMO / "demo.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


@dataclass
class Ran:
    demo: ModuleType
    instance: Path
    output: str
    marker: str
    native: Path  # the native shell


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    demo = load_demo()
    try:
        src = demo.obtain_source()
        _, native = demo.build_both(src)
    except demo.DemoError as e:
        pytest.fail(f"the sqlite demo cannot get or build SQLite: {e}")
    instance = tmp_path_factory.mktemp("sqlite") / "inst"
    r = subprocess.run(["sh", str(DEMO / "run.sh"), "--instance", str(instance)],
                       capture_output=True, text=True, timeout=900, env=_env(), check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    markers = re.findall(r"PYOCCLUM-SQLITE-PLAINTEXT-[0-9a-f]{16}", r.stdout)
    assert markers, r.stdout
    return Ran(demo, instance, r.stdout, markers[-1], native)


def test_every_phase_matches_the_native_build(ran: Ran) -> None:
    assert "sqlite demo: OK" in ran.output
    for phase in ("insert", "index", "autocommit", "check"):
        assert re.search(rf"^== {phase}: inside [\d.]+ s, native [\d.]+ s$", ran.output, re.M)
    # The check phase (a fourth LibOS run) saw everything the earlier ones wrote.
    assert f"ok\n200300\n{ran.marker}\n" in ran.output


def test_host_grep_finds_no_plaintext(ran: Ran, tmp_path: Path) -> None:
    for folder in ("run", "build", "image"):
        r = subprocess.run(["grep", "-r", "-l", "-a", "-F", ran.marker, str(ran.instance / folder)],
                           capture_output=True, text=True, check=False)
        assert r.returncode == 1, f"the marker is readable on the host: {r.stdout}"
    r = subprocess.run(["grep", "-r", "-l", "-a", "-F", "SQLite format 3",
                        str(ran.instance / "run")], capture_output=True, text=True, check=False)
    assert r.returncode == 1, f"a database header is readable on the host: {r.stdout}"
    # The same grep does find the marker in a database the native build wrote.
    db = tmp_path / "native.db"
    sql = f"CREATE TABLE secrets(note TEXT); INSERT INTO secrets VALUES ('{ran.marker}');"
    subprocess.run([str(ran.native), str(db), sql], check=True, timeout=60)
    found = subprocess.run(["grep", "-q", "-a", "-F", ran.marker, str(db)], check=False)
    assert found.returncode == 0


def test_create_index_on_the_encrypted_root_again(ran: Ran, tmp_path: Path) -> None:
    """The issue's crash: a fresh LibOS rebuilds the index of the 200,000-row table
    on /root (the sort spills to temporary files created 0600) and answers as the
    native build does on the same data."""
    sql = ("DROP INDEX tb; CREATE INDEX tb ON t(b);\n"
           "SELECT count(*), min(b), max(b) FROM t INDEXED BY tb WHERE b > 'row-03';\n"
           "PRAGMA integrity_check;\n")
    r = Instance(ran.instance).run(["/bin/sqlite3", "-init", "/dev/null", "/root/test.db"],
                                   stdin=sql.encode(), capture=True)
    assert (r.exit_code, r.stderr) == (0, b""), (r.error, r.stdout)
    db = tmp_path / "test.db"
    demo = ran.demo
    # The autocommit rows ('auto-...') sort before 'row-03': the native side can skip them.
    for phase in (demo.load_phase(marker=ran.marker), demo.index_phase(),
                  demo.Phase("again", sql)):
        native = demo.run_native(ran.native, db, phase)
        assert native.status == 0, native.stderr
    assert r.stdout == native.stdout
    assert native.stdout.endswith(b"\nok\n")


def test_missing_npm_is_one_line(tmp_path: Path) -> None:
    tools = tmp_path / "bin"  # what run.sh needs besides .venv/bin, and no npm
    tools.mkdir()
    for name in ("dirname",):
        found = shutil.which(name)
        assert found is not None
        (tools / name).symlink_to(found)
    r = subprocess.run(["/bin/sh", str(DEMO / "run.sh")], capture_output=True, text=True,
                       timeout=120, check=False,
                       env=_env(PATH=f"{BIN}{os.pathsep}{tools}",
                                PYOCCLUM_DEMO_CACHE=str(tmp_path / "cache"), SQLITE_SRC=""))
    assert r.returncode == 1
    assert r.stderr.startswith("sqlite demo: npm is not installed")
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "Traceback" not in r.stdout + r.stderr


def test_bad_sqlite_src_is_one_line(tmp_path: Path) -> None:
    r = subprocess.run(["sh", str(DEMO / "run.sh")], capture_output=True, text=True, timeout=120,
                       env=_env(SQLITE_SRC=str(tmp_path)), check=False)
    assert r.returncode == 1
    assert r.stderr.strip() == (f"sqlite demo: SQLITE_SRC={tmp_path} must be a folder with "
                                "shell.c, sqlite3.c, sqlite3.h")
