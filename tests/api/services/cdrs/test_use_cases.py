"""A CDR's start time keeps its instant on every CDR path (real time on the pooled driver,
the session fallback, the batch), whatever its UTC offset, on SQLite and PostgreSQL; the
reports then put each call on its right day."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import col

from api.domain.actor import Actor
from api.reports import CdrFilter, GroupBy, Period
from api.reports import profit_summary as summarize
from api.reports.sql import utc_quarter_hour
from api.services import cdrs
from api.services.context import LruCache
from api.services.records import CdrInput
from api.store.tables import Cdr
from tests.api.conftest import World

ISSUE_EXAMPLE = datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
"""``startedAt: "2026-03-01T23:30:00-05:00"``: 04:30 UTC on 2 March."""


def drawn_times(count: int) -> list[datetime]:
    """``count`` start times with random offsets (whole seconds, as switches send them)."""
    found: list[datetime] = []

    @settings(
        max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    @given(
        st.datetimes(datetime(2000, 1, 1), datetime(2090, 12, 31)),
        st.integers(-(23 * 60 + 59), 23 * 60 + 59),
    )
    def collect(moment: datetime, minutes: int) -> None:
        found.append(moment.replace(microsecond=0, tzinfo=timezone(timedelta(minutes=minutes))))

    collect()
    return found


def _cdr(line: str, call_id: str, started: datetime, number: str = "+442071234567") -> CdrInput:
    return CdrInput("sw", call_id, line, "outbound", number, started, 61)


async def test_every_cdr_path_stores_the_instant_in_utc(world: World) -> None:
    _client, line = await world.client("Times", paid=100_000_000)
    times = [ISSUE_EXAMPLE, *drawn_times(12)]
    expected: dict[str, datetime] = {}
    for i, started in enumerate(times):
        # the real-time path, with warm caches and with cold ones (a restart)
        await cdrs.rate_cdr(world.ctx, world.reseller, _cdr(line, f"rt{i}", started))
        expected[f"rt{i}"] = started
        cold = dataclasses.replace(world.ctx, packages=LruCache(512), decks=LruCache(4))
        await cdrs.rate_cdr(cold, world.reseller, _cdr(line, f"s{i}", started))
        expected[f"s{i}"] = started
        # an unrated CDR (unknown line) goes the same way
        await cdrs.rate_cdr(world.ctx, world.reseller, _cdr("nobody", f"u{i}", started))
        expected[f"u{i}"] = started
    batch = [_cdr(line, f"b{i}", t) for i, t in enumerate(times)]
    batch += [_cdr("nobody", f"bu{i}", t) for i, t in enumerate(times)]
    summary = await cdrs.ingest_cdrs(world.ctx, world.reseller, batch)
    assert (summary.rated, summary.unrated) == (len(times), len(times))
    expected.update({c.call_id: c.started_at for c in batch})

    async with world.ctx.read() as uow:
        stored = [
            (c.call_id, c.started_at, c.created_at)
            for c in (await uow.session.scalars(select(Cdr))).all()
        ]
        bucketed = select(col(Cdr.call_id), utc_quarter_hour(col(Cdr.started_at)))
        buckets = {k: int(v) for k, v in (await uow.session.execute(bucketed)).all()}
    assert {call_id: started for call_id, started, _ in stored} == expected
    assert all(started.tzinfo is UTC and created.tzinfo is UTC for _, started, created in stored)
    assert {call_id: created for call_id, _, created in stored} == dict.fromkeys(
        expected, world.ctx.now()
    )
    # the SQL side (the reports' day buckets) sees the same instants
    assert buckets == {k: int(t.timestamp()) // 900 for k, t in expected.items()}
    first = next(started for call_id, started, _ in stored if call_id == "rt0")
    assert first.isoformat() == "2026-03-02T04:30:00+00:00"


async def test_a_call_late_in_new_york_is_the_next_day_in_utc(world: World) -> None:
    _client, line = await world.client("Late", paid=100_000_000)
    await cdrs.rate_cdr(world.ctx, world.reseller, _cdr(line, "late", ISSUE_EXAMPLE))
    await cdrs.ingest_cdrs(world.ctx, world.reseller, [_cdr(line, "late-b", ISSUE_EXAMPLE)])
    actor = Actor.reseller(world.reseller_id)

    async def days(zone: str) -> dict[str, int]:
        period = Period(date(2026, 3, 1), date(2026, 3, 2), ZoneInfo(zone))
        async with world.ctx.sessionmaker() as session:
            result = await summarize(session, actor, CdrFilter(period), GroupBy.DAY)
        return {line.key: line.traffic.calls for line in result.lines if line.traffic.calls}

    assert await days("UTC") == {"2026-03-02": 2}
    assert await days("America/New_York") == {"2026-03-01": 2}
