"""occlum-cc -pthread (docs/threads.md): atomics when compiling, a shared
imported memory and the threaded libocclum variant when linking."""

from __future__ import annotations

from pathlib import Path

from pyocclum.cli import cc


def _objects(folder: Path) -> None:
    for name in ("libocclum_init.o", "libocclum.a", "libocclum_obj_thread.o",
                 "libocclum_obj_sync_mutex.o"):
        (folder / name).write_bytes(b"")


def test_pthread_is_parsed_and_not_passed_on() -> None:
    assert cc.parse_request(["-pthread", "a.c"]).threads
    assert not cc.parse_request(["a.c"]).threads
    cmd = cc.compile_command(["-pthread", "-c", "a.c", "-o", "a.o"], cxx=False)
    assert "-pthread" not in cmd
    assert cmd[-4:] == ["-c", "a.c", "-o", "a.o"]


def test_compiling_with_pthread_enables_atomics_and_bulk_memory() -> None:
    cmd = cc.compile_command(["-pthread", "-c", "a.c"], cxx=False)
    assert "-matomics" in cmd
    assert "-mbulk-memory" in cmd
    assert not [a for a in cmd if a.startswith("-Wl,--shared-memory")]
    plain = cc.compile_command(["-c", "a.c"], cxx=False)
    assert "-matomics" not in plain


def test_linking_with_pthread_imports_a_shared_memory_and_links_every_object(
    tmp_path: Path,
) -> None:
    _objects(tmp_path)
    cmd = cc.compile_command(["-pthread", "a.c", "-o", "a"], cxx=False, libocclum_dir=tmp_path)
    assert any(a.startswith("-Wl,--shared-memory,--import-memory,--max-memory=") for a in cmd)
    linked = [a for a in cmd if a.startswith(str(tmp_path))]
    assert linked == [
        str(tmp_path / "libocclum_init.o"),
        str(tmp_path / "libocclum_obj_sync_mutex.o"),
        str(tmp_path / "libocclum_obj_thread.o"),
        str(tmp_path / "libocclum.a"),
    ]
    max_memory = int(next(a for a in cmd if "--max-memory=" in a).rsplit("=", 1)[1])
    assert max_memory % 65536 == 0
    assert max_memory < 1 << 32


def test_the_threaded_variant_has_its_own_cache_folder() -> None:
    assert cc.libocclum_key(threads=True) != cc.libocclum_key(threads=False)
    assert cc.libocclum_path(True) != cc.libocclum_path(False)


def test_imports_are_read_from_the_import_section(tmp_path: Path) -> None:
    import wasmtime

    wat = """(module
      (import "env" "memory" (memory 1 2 shared))
      (import "t" "table" (table 1 funcref))
      (import "g" "global" (global (mut i32)))
      (import "occlum" "thread_spawn" (func (param i32 i32) (result i32))))"""
    path = tmp_path / "m.wasm"
    path.write_bytes(bytes(wasmtime.wat2wasm(wat)))
    assert cc.imports_thread_spawn(path)
    plain = tmp_path / "p.wasm"
    plain.write_bytes(bytes(wasmtime.wat2wasm(
        '(module (import "occlum" "getcwd" (func (param i32 i32 i32) (result i32))))')))
    assert not cc.imports_thread_spawn(plain)
    (tmp_path / "junk").write_bytes(b"\0asm\1\0\0\0\2\xff")
    assert not cc.imports_thread_spawn(tmp_path / "junk")


def test_output_path(tmp_path: Path) -> None:
    out = tmp_path / "prog"
    out.write_bytes(b"")
    assert cc.output_path(["a.c", "-o", str(out)]) == out
    assert cc.output_path(["a.c", f"-o{out}"]) == out
    assert cc.output_path(["a.c", "-o", str(tmp_path / "missing")]) is None
