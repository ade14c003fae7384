"""The server's daily billing task: a failed check is logged by type and retried, the loop
bills each new day (an injected clock and sleep, no waiting), on both backends."""

from __future__ import annotations

import asyncio
import logging
from datetime import date, timedelta

import pytest
from sqlalchemy import select, text
from sqlmodel import SQLModel, col

from api.billing_schedule import DailyBilling, running
from api.services.context import ServicesContext
from api.store.tables import DailyBillingRun
from tests.api.conftest import Clock, World
from tests.conftest import Database

TODAY = date(2026, 11, 10)


async def billed_days(ctx: ServicesContext) -> list[date]:
    async with ctx.read() as uow:
        rows = await uow.session.scalars(
            select(col(DailyBillingRun.day))
            .where(col(DailyBillingRun.finished_at).is_not(None))
            .order_by(col(DailyBillingRun.day))
        )
        return list(rows)


async def test_a_failed_check_logs_its_type_only_and_the_next_one_retries(
    world: World, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    await world.client("Bob", billing_day=10, paid=20_000_000)
    async with database.engine.begin() as conn:
        await conn.execute(text("DROP TABLE billing_runs"))
    billing = DailyBilling(world.ctx, owner="a:1")
    with caplog.at_level(logging.INFO, logger="pulsebill.billing"):
        assert await billing.check() == []
    expected = "OperationalError" if database.backend == "sqlite" else "ProgrammingError"
    assert caplog.messages == [f"daily billing failed ({expected}); retrying at the next check"]
    assert "billing_runs" not in caplog.text
    async with database.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.tables["billing_runs"].create)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="pulsebill.billing"):
        done = await billing.check()
    assert [(r.on, r.statements) for r in done] == [(TODAY, 1)]
    assert caplog.messages == ["billed 2026-11-10: 1 clients, 0 fees, 1 statements, 0 DID costs"]


async def test_the_loop_bills_each_new_day(world: World, clock: Clock) -> None:
    slept: list[float] = []

    async def next_day(seconds: float) -> None:
        slept.append(seconds)
        clock.advance(days=1)
        if len(slept) == 3:
            raise asyncio.CancelledError

    billing = DailyBilling(world.ctx, owner="a:1", every=600, sleep=next_day)
    with pytest.raises(asyncio.CancelledError):
        await billing.run()
    assert slept == [600, 600, 600]
    assert await billed_days(world.ctx) == [TODAY + timedelta(d) for d in range(3)]


async def test_running_starts_and_cancels_the_task(world: World) -> None:
    started = asyncio.Event()

    async def wait_forever(_seconds: float) -> None:
        started.set()
        await asyncio.Event().wait()

    billing = DailyBilling(world.ctx, owner="a:1", sleep=wait_forever)
    async with running(billing) as task:
        await asyncio.wait_for(started.wait(), 10)
        assert await billed_days(world.ctx) == [TODAY]
        assert not task.done()
    assert task.cancelled()
