"""A small, bounded pool of threads for password verification.

argon2id with the default profile takes 64 MiB and about 4 threads of CPU per check.
Through ``asyncio.to_thread`` a flood of 32 parallel logins ran 6 checks at once (the
default executor's size): memory rose by 380 MiB and the p95 of every other request went
from 7 to 98 ms. Here at most :data:`LOGIN_WORKERS` checks run at once, on threads of
lower scheduling priority (``nice`` +:data:`NICENESS` on Linux, inherited by argon2's own
threads), so the event loop keeps its CPU; at most :data:`LOGIN_QUEUE` more wait, none
longer than :data:`LOGIN_WAIT_SECONDS`. Any other login is answered at once with
:class:`PoolBusy` (the caller says ``LoginFailed`` with ``retryAfterSeconds``).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

LOGIN_WORKERS = 2
"""Password checks running at once (so at most 128 MiB of argon2 memory)."""
LOGIN_QUEUE = 8
"""Password checks waiting for a worker; beyond them a login is refused at once."""
LOGIN_WAIT_SECONDS = 2.0
"""The longest a check waits for a worker; then the login is refused instead."""
NICENESS = 10

T = TypeVar("T")


class PoolBusy(Exception):
    """No worker for this check now; try again in ``retry_after`` seconds (at least 1)."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"password checks are busy; retry in {retry_after} s")
        self.retry_after = retry_after


class _Late(Exception):
    """The check waited longer than the pool allows; it was not run."""


class VerifyPool:
    """Runs blocking password checks on a few low-priority threads, refusing the excess."""

    def __init__(
        self,
        workers: int = LOGIN_WORKERS,
        queue: int = LOGIN_QUEUE,
        max_wait: float = LOGIN_WAIT_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.workers = workers
        self.queue = queue
        self.max_wait = max_wait
        self._clock = clock
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None
        self.in_flight = 0
        self.running = 0
        self.peak_running = 0
        self._seconds = 0.5  # a moving estimate of one check's duration

    def admit(self) -> None:
        """Raise :class:`PoolBusy` now when a check would be refused (so that a login
        flood costs no database read either)."""
        if self.in_flight >= self.workers + self.queue:
            raise PoolBusy(self._retry_after())

    async def run(self, check: Callable[[], T]) -> T:
        """The result of ``check()``, computed on a worker; :class:`PoolBusy` when the pool
        is full or the wait for a worker exceeds :attr:`max_wait`."""
        with self._lock:
            if self.in_flight >= self.workers + self.queue:
                raise PoolBusy(self._retry_after())
            self.in_flight += 1
        submitted = self._clock()

        def job() -> T:
            if self._clock() - submitted > self.max_wait:
                raise _Late
            with self._lock:
                self.running += 1
                self.peak_running = max(self.peak_running, self.running)
            started = self._clock()
            try:
                return check()
            finally:
                with self._lock:
                    self.running -= 1
                    self._seconds = 0.8 * self._seconds + 0.2 * (self._clock() - started)

        future = self._pool().submit(job)
        future.add_done_callback(self._done)
        try:
            return await asyncio.wrap_future(future)
        except _Late:
            raise PoolBusy(self._retry_after()) from None

    def _done(self, _future: Future[Any]) -> None:
        with self._lock:
            self.in_flight -= 1

    def _retry_after(self) -> int:
        backlog = self.in_flight / self.workers * self._seconds
        return max(1, math.ceil(backlog))

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                self.workers, thread_name_prefix="password-check", initializer=_lower_priority
            )
        return self._executor


def _lower_priority() -> None:
    """Let the event loop win the CPU over password checks (Linux: per-thread ``nice``)."""
    with contextlib.suppress(AttributeError, OSError):  # else keep the priority
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
