"""The daily billing inside the server: a background task that checks every few minutes
whether a day is due and bills it (:func:`api.services.daily_billing.bill_due_days`).

A failed check is logged by its exception type only (no SQL, no data) and retried at the
next check; it never stops the server. The task is cancelled when the server stops.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress

from api.services.context import ServicesContext
from api.services.daily_billing import bill_due_days
from api.services.records import BillingRun

log = logging.getLogger("pulsebill.billing")

CHECK_EVERY_SECONDS = 600.0


def process_name() -> str:
    """``host:pid``: who holds a day's claim."""
    return f"{socket.gethostname()}:{os.getpid()}"


class DailyBilling:
    """Checks for due days; :meth:`check` once, :meth:`run` forever (every ``every`` s)."""

    def __init__(
        self,
        ctx: ServicesContext,
        *,
        owner: str | None = None,
        every: float = CHECK_EVERY_SECONDS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.ctx = ctx
        self.owner = owner or process_name()
        self.every = every
        self._sleep = sleep

    async def check(self) -> list[BillingRun]:
        """Bill the days due; on failure log the exception's type and return ``[]``."""
        try:
            runs = await bill_due_days(self.ctx, self.owner)
        except Exception as exc:
            log.error("daily billing failed (%s); retrying at the next check", type(exc).__name__)
            return []
        for run in runs:
            log.info(
                "billed %s: %d clients, %d fees, %d statements, %d DID costs",
                run.on, run.clients, run.fees_posted, run.statements, run.did_costs_posted,
            )  # fmt: skip
        return runs

    async def run(self) -> None:
        while True:
            await self.check()
            await self._sleep(self.every)


@asynccontextmanager
async def running(billing: DailyBilling) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``billing`` as a background task for the duration of the block."""
    task = asyncio.create_task(billing.run(), name="pulsebill daily billing")
    try:
        yield task
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
