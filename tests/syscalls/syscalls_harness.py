"""What the handler tests share: a kernel that never runs programs, and a process
to call the handlers as (the harness module of tests/syscalls, imported by name:
pytest's ``pythonpath`` puts this folder on ``sys.path``)."""

from __future__ import annotations

from pyocclum.kernel import FdTable, Kernel, Process
from pyocclum.kernel.fdtable import ROOT_FD


class NoExecutor:
    """The kernel's executor for handler tests: they never load or start programs."""

    def load(self, path: str, image: bytes) -> None:
        raise AssertionError("handlers under test never load programs")

    def start(self, kernel: Kernel, proc: Process, image: bytes) -> None:
        raise AssertionError("handlers under test never start programs")

    def interrupt(self, proc: Process) -> None:
        pass

    def memory_size(self, proc: Process) -> int:
        return 0


def first_process(kernel: Kernel) -> Process:
    """Process 1 (``/bin/t``) in ``/``, with only the root preopen (fd 3) open."""
    fds = FdTable(64)
    fds.install_at(ROOT_FD, kernel.root_file())
    return Process(pid=1, ppid=0, path="/bin/t", argv=[b"/bin/t"], env=[],
                   cwd=kernel.vfs.root(), fds=fds, start_ns=0)
