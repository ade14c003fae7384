"""The daily billing: each day, once across every process, from the day after the last one
billed up to today (UTC). A row of ``billing_runs`` (unique per day) claims the day; a claim
whose process died is taken over after :data:`CLAIM_LEASE`; a failed run gives its claim
back so the next check retries. Billing itself posts nothing twice (see services.billing).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from api.domain.actor import Actor
from api.services.billing import run_billing
from api.services.context import ServicesContext
from api.services.records import BillingRun
from api.store.tables import DailyBillingRun

CLAIM_LEASE = timedelta(hours=1)
CATCH_UP_DAYS = 31
"""After a stop, the days missed are billed too, at most this many back from today."""


async def bill_due_days(ctx: ServicesContext, owner: str) -> list[BillingRun]:
    """Bill every day not billed yet up to today, skipping days another process holds.

    ``owner`` names this process in the claims (e.g. ``host:pid``).
    """
    today = ctx.now().date()
    async with ctx.read() as uow:
        last = await uow.session.scalar(
            select(func.max(col(DailyBillingRun.day))).where(
                col(DailyBillingRun.finished_at).is_not(None)
            )
        )
    first = (
        today if last is None else max(last + timedelta(days=1), today - timedelta(CATCH_UP_DAYS))
    )
    runs: list[BillingRun] = []
    day = first
    while day <= today:
        if await _claim(ctx, day, owner):
            try:
                run = await run_billing(ctx, Actor.operator(), day)
            except BaseException:
                await _release(ctx, day, owner)
                raise
            await _finish(ctx, day, owner, run)
            runs.append(run)
        day += timedelta(days=1)
    return runs


async def _claim(ctx: ServicesContext, day: date, owner: str) -> bool:
    """Whether this process may bill ``day`` now (a new claim, or a stale one taken over)."""
    now = ctx.now()
    try:
        async with ctx.unit_of_work() as uow:
            row = await uow.session.scalar(
                select(DailyBillingRun).where(col(DailyBillingRun.day) == day).with_for_update()
            )
            if row is None:
                uow.session.add(DailyBillingRun(day=day, claimed_by=owner[:100], claimed_at=now))
                await uow.session.flush()
                return True
            if row.finished_at is not None or _aware(row.claimed_at) > now - CLAIM_LEASE:
                return False
            row.claimed_by, row.claimed_at = owner[:100], now
            await uow.session.flush()
            return True
    except IntegrityError:  # another process inserted the claim first
        return False


async def _release(ctx: ServicesContext, day: date, owner: str) -> None:
    async with ctx.unit_of_work() as uow:
        await uow.session.execute(
            delete(DailyBillingRun).where(
                col(DailyBillingRun.day) == day,
                col(DailyBillingRun.claimed_by) == owner[:100],
                col(DailyBillingRun.finished_at).is_(None),
            )
        )


async def _finish(ctx: ServicesContext, day: date, owner: str, run: BillingRun) -> None:
    async with ctx.unit_of_work() as uow:
        row = await uow.session.scalar(
            select(DailyBillingRun).where(col(DailyBillingRun.day) == day).with_for_update()
        )
        if row is None:  # pragma: no cover - a claim is never deleted while held
            return
        row.claimed_by = owner[:100]
        row.finished_at = ctx.now()
        row.clients, row.fees_posted = run.clients, run.fees_posted
        row.statements, row.did_costs_posted = run.statements, run.did_costs_posted
        await uow.session.flush()


def _aware(at: datetime) -> datetime:
    """SQLite gives back naive datetimes for UTC columns."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
