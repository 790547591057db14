"""`occlum run` starts lean: the boot path imports no module that a run does not use."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_run_path_imports_no_cli_or_config_model(tmp_path: Path) -> None:
    """click, rich and pydantic (the config model) are for the other verbs and for
    `occlum build`: a run of a built instance reads the built config without them."""
    code = (
        "import sys\n"
        "sys.argv = ['occlum', 'run', '/bin/hello_world']\n"
        "from pyocclum.cli.run import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                       timeout=60, check=False)
    modules = set(r.stdout.decode().split())
    assert "pyocclum.boot.instance" in modules, r.stderr.decode()
    assert b"not an Occlum instance" in r.stderr
    heavy = {"click", "rich", "pydantic", "pyocclum.config.model", "pyocclum.config.template",
             "pyocclum.cli.commands"}
    assert not modules & heavy
