"""What ``occlum build`` shows while it compiles the image's modules.

On a terminal, a rich progress bar (modules done of all, the module being
compiled with its size, a spinner and the time spent: one big module, such as
CPython with its extensions, compiles for tens of seconds in a single call, so
the spinner is what shows it is alive); it appears only when compiling takes
more than a moment and is gone when the build ends. Otherwise (a log, a CI job)
one line per module, written when its compilation starts.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

#: Seconds of compiling before the bar appears (a build that compiles nothing
#: or one small module shows none).
BAR_DELAY = 0.5


def format_bytes(size: int) -> str:
    """``size`` for people: ``512 B``, ``12.0 KiB``, ``229.4 MiB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1 << 20:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1 << 20):.1f} MiB"


class BuildProgress:
    """The ``progress`` callback of :meth:`pyocclum.boot.Instance.build` for ``occlum
    build``: called as ``(image path, index, total)`` before each module compiles
    and with ``index == total`` when all have; :meth:`close` when the build ends
    (also on failure)."""

    def __init__(self, console: Console, image: Path, *, delay: float = BAR_DELAY) -> None:
        self._console = console
        self._image = image
        self._delay = delay
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._timer: threading.Timer | None = None

    def __call__(self, rel: str, index: int, total: int) -> None:
        if index >= total:
            if self._bar is not None and self._task is not None:
                self._bar.update(self._task, completed=total, description="")
            return
        size = self._size(rel)
        what = f"/{rel}" + (f" ({format_bytes(size)})" if size is not None else "")
        if not self._console.is_terminal:
            self._console.print(f"compiling {what} [{index + 1}/{total}]", soft_wrap=True)
            return
        if self._bar is None or self._task is None:
            self._bar, self._task = self._start_bar(total)
        self._bar.update(self._task, completed=index, total=total, description=what)

    def close(self) -> None:
        """Stop the bar (it leaves nothing on the terminal) or its pending start."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer.join()  # it may be starting the bar right now
        if self._bar is not None and self._bar.live.is_started:
            self._bar.stop()

    def _start_bar(self, total: int) -> tuple[Progress, TaskID]:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        bar = Progress(
            SpinnerColumn(), TextColumn("compiling"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), TextColumn("{task.description}"),
            console=self._console, transient=True,
        )
        task = bar.add_task("", total=total)
        self._timer = threading.Timer(self._delay, bar.start)
        self._timer.daemon = True
        self._timer.start()
        return bar, task

    def _size(self, rel: str) -> int | None:
        try:
            return (self._image / rel).stat().st_size
        except OSError:
            return None
