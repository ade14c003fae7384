"""The daily billing: each day once, across processes, with catch-up after a stop; on
both backends, with the tests' settable clock (no sleeps)."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from api.services.context import LruCache, ServicesContext
from api.services.daily_billing import CATCH_UP_DAYS, CLAIM_LEASE, bill_due_days
from api.store.tables import DailyBillingRun, PackageVersion, Statement
from ratelang.errors import RuleErrors
from tests.api.conftest import RULES, Clock, World

TODAY = date(2026, 11, 10)  # the clock fixture's day


async def runs(ctx: ServicesContext) -> list[tuple[date, str, bool, int]]:
    async with ctx.read() as uow:
        rows = await uow.session.scalars(select(DailyBillingRun).order_by(col(DailyBillingRun.day)))
        return [(r.day, r.claimed_by, r.finished_at is not None, r.statements) for r in rows]


async def statements(ctx: ServicesContext) -> int:
    async with ctx.read() as uow:
        return len(list(await uow.session.scalars(select(col(Statement.id)))))


async def test_bills_today_once(world: World) -> None:
    ctx = world.ctx
    await world.client("Bob", billing_day=10, paid=20_000_000)
    await world.client("Carol", billing_day=11, paid=20_000_000)
    first = await bill_due_days(ctx, "a:1")
    assert [(r.on, r.clients, r.statements) for r in first] == [(TODAY, 1, 1)]
    assert await runs(ctx) == [(TODAY, "a:1", True, 1)]
    assert await bill_due_days(ctx, "a:1") == []  # the same day again: nothing to do
    assert await bill_due_days(ctx, "b:2") == []  # nor for another process
    assert await statements(ctx) == 1


async def test_the_next_days_and_missed_days_are_billed(world: World, clock: Clock) -> None:
    ctx = world.ctx
    await world.client("Bob", billing_day=10, paid=20_000_000)
    await world.client("Carol", billing_day=12, paid=20_000_000)
    await bill_due_days(ctx, "a:1")
    clock.advance(days=3)  # the server was down on the 11th and the 12th
    done = await bill_due_days(ctx, "a:1")
    assert [(r.on, r.statements) for r in done] == [
        (date(2026, 11, 11), 0),
        (date(2026, 11, 12), 1),
        (date(2026, 11, 13), 0),
    ]
    assert [day for day, *_ in await runs(ctx)] == [TODAY + timedelta(d) for d in range(4)]
    assert await statements(ctx) == 2


async def test_catch_up_is_bounded(world: World, clock: Clock) -> None:
    await bill_due_days(world.ctx, "a:1")
    clock.advance(days=100)
    done = await bill_due_days(world.ctx, "a:1")
    assert len(done) == CATCH_UP_DAYS + 1
    assert done[-1].on == TODAY + timedelta(100)


async def test_a_day_held_by_another_process_is_skipped_until_its_lease_ends(
    world: World, clock: Clock
) -> None:
    ctx = world.ctx
    await world.client("Bob", billing_day=10, paid=20_000_000)
    async with ctx.unit_of_work() as uow:
        uow.session.add(DailyBillingRun(day=TODAY, claimed_by="other:9", claimed_at=clock.now))
    assert await bill_due_days(ctx, "a:1") == []
    assert await statements(ctx) == 0
    clock.advance(seconds=CLAIM_LEASE.total_seconds() - 1)
    assert await bill_due_days(ctx, "a:1") == []
    clock.advance(seconds=2)  # the other process died: its claim is stale
    done = await bill_due_days(ctx, "a:1")
    assert [r.statements for r in done] == [1]
    assert await runs(ctx) == [(TODAY, "a:1", True, 1)]


async def test_two_processes_at_once_bill_each_day_once(world: World, clock: Clock) -> None:
    ctx = world.ctx
    await world.client("Bob", billing_day=10, paid=20_000_000)
    await world.client("Carol", billing_day=11, paid=20_000_000)
    await bill_due_days(ctx, "a:1")
    clock.advance(days=2)
    first, second = await asyncio.gather(bill_due_days(ctx, "a:1"), bill_due_days(ctx, "b:2"))
    billed = sorted(r.on for r in (*first, *second))
    assert billed == [date(2026, 11, 11), date(2026, 11, 12)]
    assert [(day, done) for day, _, done, _ in await runs(ctx)] == [
        (TODAY + timedelta(d), True) for d in range(3)
    ]
    assert await statements(ctx) == 2


async def test_a_failed_day_gives_its_claim_back(world: World) -> None:
    ctx = world.ctx
    await world.client("Bob", billing_day=10, paid=20_000_000)
    async with ctx.unit_of_work() as uow:  # a stored package that no longer compiles
        await uow.session.execute(update(PackageVersion).values(source='package "Simple" {'))
    ctx.packages = LruCache(512)  # forget the compiled package
    with pytest.raises(RuleErrors):
        await bill_due_days(ctx, "a:1")
    assert await runs(ctx) == []  # the next check will retry the day
    assert await statements(ctx) == 0
    async with ctx.unit_of_work() as uow:
        await uow.session.execute(update(PackageVersion).values(source=RULES))
    ctx.packages = LruCache(512)
    done = await bill_due_days(ctx, "a:1")
    assert [r.statements for r in done] == [1]
