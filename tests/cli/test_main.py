"""The `occlum` command end to end: the README's quickstart, in a temp folder, and the
messages users see for bad input."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
HELLO_C = Path(__file__).resolve().parents[2] / "examples" / "hello_world.c"


def occlum(*args: str, cwd: Path, env: dict[str, str] | None = None,
           stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([str(BIN / "occlum"), *args], cwd=cwd, capture_output=True,
                          input=stdin, env=env, timeout=300, check=False)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quickstart, exactly as the README gives it."""
    top = tmp_path_factory.mktemp("quickstart")
    cc = subprocess.run([str(BIN / "occlum-cc"), str(HELLO_C), "-o", "hello_world"],
                        cwd=top, capture_output=True, timeout=600, check=False)
    assert cc.returncode == 0, cc.stderr.decode()
    r = occlum("new", "my_instance", cwd=top)
    assert r.returncode == 0, r.stderr.decode()
    inst = top / "my_instance"
    (inst / "image" / "bin" / "hello_world").write_bytes((top / "hello_world").read_bytes())
    (inst / "image" / "bin" / "hello_world").chmod(0o755)
    r = occlum("build", cwd=inst)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == b""
    return inst


def test_quickstart_prints_hello_world(built: Path) -> None:
    r = occlum("run", "/bin/hello_world", cwd=built)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == b"Hello World\n"  # nothing of occlum's own on stdout


def test_status(built: Path, tmp_path: Path) -> None:
    assert occlum("status", cwd=built).stdout == b"built\n"
    r = occlum("status", cwd=tmp_path)
    assert r.returncode == 1
    assert b"not an Occlum instance" in r.stderr


def test_strace_goes_to_stderr(built: Path) -> None:
    r = occlum("run", "--strace", "/bin/hello_world", cwd=built)
    assert r.stdout == b"Hello World\n"
    assert b"[1] fd_write(fd=1, iovs=b'Hello World\\n'(12)) = 12" in r.stderr


def test_missing_program(built: Path) -> None:
    r = occlum("run", "/bin/x", cwd=built)
    assert r.returncode == 127
    assert r.stdout == b""
    assert b"occlum run: /bin/x: no such file" in r.stderr


def test_log_level_validated(built: Path) -> None:
    env = {**os.environ, "OCCLUM_LOG_LEVEL": "loud"}
    r = occlum("run", "/bin/hello_world", cwd=built, env=env)
    assert r.returncode == 0
    assert b"OCCLUM_LOG_LEVEL" in r.stderr


def test_outside_instance_and_before_build(tmp_path: Path) -> None:
    r = occlum("run", "/bin/x", cwd=tmp_path)
    assert r.returncode == 1
    assert b"occlum new" in r.stderr
    assert occlum("new", "i", cwd=tmp_path).returncode == 0
    r = occlum("run", "/bin/x", cwd=tmp_path / "i")
    assert r.returncode == 1
    assert b"occlum build" in r.stderr


def test_new_refuses_existing_and_init_needs_force(tmp_path: Path) -> None:
    assert occlum("new", "i", cwd=tmp_path).returncode == 0
    r = occlum("new", "i", cwd=tmp_path)
    assert r.returncode == 1
    assert b"exists" in r.stderr
    r = occlum("init", cwd=tmp_path / "i")
    assert r.returncode == 1
    assert occlum("init", "--force", cwd=tmp_path / "i").returncode == 0


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    assert occlum("new", "i", cwd=tmp_path).returncode == 0
    cfg_path = tmp_path / "i" / "Occlum.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["process"]["default_heap_size"] = "12XB"
    cfg_path.write_text(json.dumps(cfg))
    r = occlum("build", cwd=tmp_path / "i")
    assert r.returncode == 1
    assert b"process.default_heap_size" in r.stderr


def test_trap_exits_128_plus_signal_and_says_which(tmp_path: Path) -> None:
    import wasmtime

    assert occlum("new", "i", cwd=tmp_path).returncode == 0
    crash = wasmtime.wat2wasm(
        '(module (memory (export "memory") 1)'
        ' (func (export "_start") (drop (i32.load (i32.const 0x7ffffff0)))))'
    )
    (tmp_path / "i" / "image" / "bin" / "crash").write_bytes(bytes(crash))
    (tmp_path / "i" / "image" / "bin" / "crash").chmod(0o755)
    assert occlum("build", cwd=tmp_path / "i").returncode == 0
    r = occlum("run", "/bin/crash", cwd=tmp_path / "i")
    assert r.returncode == 128 + 11
    assert b"killed by SIGSEGV (out-of-bounds memory access)" in r.stderr
    assert r.stdout == b""


# Both say "ready" on stdout first, so the test signals a process that is running.
_READY = """
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 100) "ready\\n")
  (func $ready
    (i32.store (i32.const 0) (i32.const 100))
    (i32.store (i32.const 4) (i32.const 6))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
"""
SPIN = f'(module {_READY} (func (export "_start") (call $ready) (loop (br 0))))'
READER = f"""
(module {_READY}
  (func (export "_start")
    (call $ready)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 16))
    (drop (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))))
"""


@pytest.fixture(scope="module")
def looping(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import wasmtime

    top = tmp_path_factory.mktemp("signals")
    assert occlum("new", "i", cwd=top).returncode == 0
    inst = top / "i"
    (inst / "image" / "bin" / "spin").write_bytes(bytes(wasmtime.wat2wasm(SPIN)))
    (inst / "image" / "bin" / "spin").chmod(0o755)
    (inst / "image" / "bin" / "reader").write_bytes(bytes(wasmtime.wat2wasm(READER)))
    (inst / "image" / "bin" / "reader").chmod(0o755)
    assert occlum("build", cwd=inst).returncode == 0
    return inst


@pytest.mark.parametrize(
    ("program", "signo"),
    [("spin", signal.SIGINT), ("spin", signal.SIGTERM), ("reader", signal.SIGINT)],
)
def test_host_signals_reach_the_processes(looping: Path, program: str, signo: int) -> None:
    """Ctrl-C and SIGTERM stop a process busy in a loop or blocked in a read."""
    proc = subprocess.Popen([str(BIN / "occlum"), "run", f"/bin/{program}"], cwd=looping,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"  # running inside: handlers are installed
    time.sleep(0.1)
    assert proc.poll() is None
    proc.send_signal(signo)
    try:
        proc.wait(timeout=10)  # stdin stays open: EOF must not end the reader instead
    finally:
        proc.kill()
    assert proc.stderr is not None
    err = proc.stderr.read()
    assert proc.returncode == 128 + signo, err.decode()
    assert signal.Signals(signo).name.encode() in err


def test_gen_image_key(tmp_path: Path) -> None:
    r = occlum("gen-image-key", "k", cwd=tmp_path)
    assert r.returncode == 0, r.stderr.decode()
    assert r.stdout == b""
    assert len((tmp_path / "k").read_text().strip().split("-")) == 16
    r = occlum("gen-image-key", "no/such/dir/k", cwd=tmp_path)
    assert r.returncode == 1
    assert b"no/such/dir/k" in r.stderr


def test_run_key_and_status_note(built: Path, tmp_path: Path) -> None:
    import shutil

    inst = tmp_path / "copy"
    shutil.copytree(built, inst, ignore=shutil.ignore_patterns("run"))
    assert occlum("gen-image-key", "k", cwd=tmp_path).returncode == 0
    key = str(tmp_path / "k")
    r = occlum("run", "--key", key, "/bin/hello_world", cwd=inst)
    assert (r.returncode, r.stdout) == (0, b"Hello World\n"), r.stderr.decode()
    r = occlum("run", "--strace", f"--key={key}", "/bin/hello_world", cwd=inst)
    assert (r.returncode, r.stdout) == (0, b"Hello World\n"), r.stderr.decode()
    assert b"fd_write" in r.stderr
    # Without the key the sealing key cannot open what the user key wrote.
    r = occlum("run", "/bin/hello_world", cwd=inst)
    assert r.returncode == 1
    assert b"refusing to start" in r.stderr
    assert b"left untouched" in r.stderr
    r = occlum("run", "--key", str(tmp_path / "missing"), "/bin/hello_world", cwd=inst)
    assert r.returncode == 1
    assert b"cannot read the key" in r.stderr
    r = occlum("status", cwd=inst)
    assert r.stdout == b"built\n"
    assert b"last written against this build" in r.stderr
