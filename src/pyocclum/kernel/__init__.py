"""Processes, the pid table, fd tables and limits.

The kernel knows nothing of WebAssembly: it starts programs through an
:class:`~pyocclum.kernel.kernel.Executor` that the ``wasm`` layer provides.
"""

from pyocclum.kernel.fdtable import FdTable
from pyocclum.kernel.kernel import Executor, Kernel, Limits
from pyocclum.kernel.process import Process, current_process

__all__ = ["Executor", "FdTable", "Kernel", "Limits", "Process", "current_process"]
