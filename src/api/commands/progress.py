"""Progress of a long command on stderr: a ``rich`` bar on a terminal; otherwise a plain
line at each step (``rating CDRs: 20,000/20,501``)."""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class Reporter:
    """``start(total)``, ``advance(done)`` (absolute), ``stop()``; a no-op for nothing."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.terminal = self.stream.isatty()
        self._bar: Progress | None = None
        self._task: TaskID | None = None
        self._total = 0

    def start(self, total: int) -> None:
        self._total = total
        if self.terminal:
            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=self.stream),
                transient=True,
            )
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total)

    def advance(self, done: int) -> None:
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done)
        elif not self.terminal:
            self._line(done)

    def stop(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None

    def _line(self, done: int) -> None:
        print(f"{self.label}: {done:,}/{self._total:,}", file=self.stream, flush=True)
