"""pyocclum._log: loggers that import logging only when something is logged, with the
records (and the CLI's output) logging itself would give."""

from __future__ import annotations

import os
import subprocess
import sys


def _run(body: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", body], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, **env})


def test_nothing_logged_imports_no_logging() -> None:
    r = _run(
        "import sys\n"
        "from pyocclum.cli.runner import setup_logging, exit_now\n"
        "from pyocclum import _log\n"
        "setup_logging()\n"
        "log = _log.getLogger('pyocclum.t')\n"
        "log.debug('d'); log.info('i'); log.warning('w')\n"
        "assert not log.isEnabledFor(_log.WARNING)\n"
        "print('logging' in sys.modules)\n"
        "exit_now(0)\n"
    )
    assert (r.returncode, r.stdout, r.stderr) == (0, "False\n", "")


def test_a_record_at_the_level_sets_up_the_handler_first() -> None:
    r = _run(
        "from pyocclum.cli.runner import setup_logging, exit_now\n"
        "from pyocclum import _log\n"
        "setup_logging()\n"
        "log = _log.getLogger('pyocclum.t')\n"
        "log.warning('not shown')\n"
        "log.error('shown %d', 1)\n"
        "exit_now(0)\n"
    )
    assert (r.returncode, r.stderr) == (0, "[ERROR] pyocclum.t: shown 1\n")
    r = _run(
        "from pyocclum.cli.runner import setup_logging\n"
        "from pyocclum import _log\n"
        "setup_logging()\n"
        "_log.getLogger('pyocclum.t').debug('shown')\n",
        OCCLUM_LOG_LEVEL="debug",
    )
    assert r.stderr == "[DEBUG] pyocclum.t: shown\n"


def test_without_set_up_it_is_logging_s_default() -> None:
    """No set-up: a warning reaches logging's last resort, a debug line nothing; once
    logging is configured (by anyone) every call is the real logger's, caller and all."""
    r = _run(
        "import sys\n"
        "from pyocclum import _log\n"
        "log = _log.getLogger('pyocclum.t')\n"
        "log.debug('no'); log.info('no')\n"
        "assert 'logging' not in sys.modules\n"
        "log.warning('w %s', 'x')\n"
        "import logging\n"
        "logging.basicConfig(level=logging.DEBUG,\n"
        "                    format='%(name)s %(lineno)d %(funcName)s %(message)s')\n"
        "def f():\n"
        "    log.debug('now')\n"
        "f()\n"
        "assert log.level == 0 and log.isEnabledFor(logging.DEBUG)\n"
    )
    assert (r.returncode, r.stderr) == (0, "w x\npyocclum.t 11 f now\n")
