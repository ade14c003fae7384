"""Progress of a long command on stderr: a ``rich`` bar on a terminal; otherwise a plain
line at each step (``rating CDRs: 20,000/20,501``); :func:`ingest_with_progress` runs a
chunked ingest under it and turns a database failure midway into :class:`Stopped`."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TextIO, TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from sqlalchemy.exc import DBAPIError

from api.store.db_errors import is_unavailable

T = TypeVar("T")


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


@dataclass(frozen=True, slots=True)
class Stopped:
    """A chunked ingest that the database stopped: ``committed`` CDRs were stored before
    the failing chunk (each chunk commits on its own)."""

    committed: int
    problem: str  # "is unavailable (OperationalError)", "refused a write (...)"

    def message(self, place: str) -> str:
        """The error line, ``place`` naming where the failing chunk starts."""
        return (
            f"error: the database {self.problem} in the chunk from {place}; the "
            f"{self.committed:,} CDRs before it are stored; run the same command again to "
            "resume (stored CDRs count as duplicates, none is charged twice)"
        )


async def ingest_with_progress(
    label: str, total: int, ingest: Callable[[Callable[[int], None]], Awaitable[T]]
) -> T | Stopped:
    """``ingest(on_batch)`` with a progress bar of ``total`` CDRs, which ``on_batch``
    advances to the committed count; a database error gives :class:`Stopped`."""
    progress = Reporter(label)
    committed = 0

    def on_batch(count: int) -> None:
        nonlocal committed
        committed = count
        progress.advance(count)

    progress.start(total)
    try:
        return await ingest(on_batch)
    except DBAPIError as exc:
        what = "is unavailable" if is_unavailable(exc) else "refused a write"
        return Stopped(committed, f"{what} ({type(exc.orig).__name__})")
    finally:
        progress.stop()
