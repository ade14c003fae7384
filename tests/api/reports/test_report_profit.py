"""Profit summaries on both databases: groups, ratios, exact days in a time zone."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from api.domain.actor import Actor
from api.reports import CdrFilter, GroupBy, Period, ReportForbidden, Traffic, cdr_totals
from api.reports import profit_summary as summarize
from api.reports.profit import ProfitSummary
from tests.api.reports.report_world import FEBRUARY_NY, World, cdr, utc


async def summary(world: World, group_by: GroupBy, actor: Actor | None = None,
                  cdr_filter: CdrFilter | None = None) -> ProfitSummary:  # fmt: skip
    async with world.db.sessionmaker() as session:
        return await summarize(
            session, actor or world.acme_actor, cdr_filter or CdrFilter(FEBRUARY_NY), group_by
        )


async def test_by_country_with_margin_asr_and_acd(world: World) -> None:
    result = await summary(world, GroupBy.COUNTRY)
    lines = {line.key: line.traffic for line in result.lines}
    assert lines == {
        "": Traffic(calls=1, answered=1, duration_seconds=30),  # the unrated call
        "CA": Traffic(1, 1, 60, 60, 9_500, 5_000, 4_500),
        "GB": Traffic(2, 1, 125, 180, 36_000, 24_000, 12_000),
        "US": Traffic(2, 2, 491, 300, 50_000, 40_000, 10_000),
    }
    gb = lines["GB"]
    assert gb.margin_percent == Decimal("33.33")  # 12_000 / 36_000
    assert gb.asr_percent == Decimal("50.00")  # one of two answered
    assert gb.acd_seconds == Decimal("125.00")
    assert lines["US"].acd_seconds == Decimal("245.50")  # (300 + 191) / 2
    assert lines[""].margin_percent is None  # no sell, no margin


@pytest.mark.parametrize("group_by", list(GroupBy))
async def test_every_grouping_adds_up_to_the_cdr_totals(world: World, group_by: GroupBy) -> None:
    result = await summary(world, group_by)
    async with world.db.sessionmaker() as session:
        totals = await cdr_totals(session, world.acme_actor, CdrFilter(FEBRUARY_NY))
    assert result.total == sum((line.traffic for line in result.lines), Traffic())
    assert (result.total.calls, result.total.sell, result.total.cost, result.total.profit) == (
        totals.calls, totals.sell, totals.cost, totals.profit,
    )  # fmt: skip
    assert result.total.sell - result.total.cost == result.total.profit == 26_500


async def test_by_client_package_and_reseller(world: World) -> None:
    by_client = await summary(world, GroupBy.CLIENT)
    by_package = await summary(world, GroupBy.PACKAGE)
    by_reseller = await summary(world, GroupBy.RESELLER, Actor.operator())
    assert [(line.label, line.traffic.profit) for line in by_client.lines] == [
        ("=Bob Ltd", 10_000),
        ("Alice Co", 16_500),
    ]
    assert [(line.label, line.traffic.calls) for line in by_package.lines] == [
        ("", 2),  # the inbound DID call and the unrated one have no package
        ("Basic", 4),
    ]
    assert [(line.label, line.traffic.profit) for line in by_reseller.lines] == [
        ("Acme Voice", 26_500),
        ("Blue Tel", 27_000),
    ]


async def test_by_day_folds_calls_into_local_days(world: World) -> None:
    result = await summary(world, GroupBy.DAY)
    assert [line.key for line in result.lines] == [day.isoformat() for day in FEBRUARY_NY.days()]
    calls = {line.key: line.traffic.calls for line in result.lines if line.traffic.calls}
    assert calls == {
        "2026-02-01": 1,  # 05:00Z is midnight in New York
        "2026-02-10": 2,
        "2026-02-15": 1,
        "2026-02-20": 1,
        "2026-02-28": 1,  # 2026-03-01T04:30Z
    }


async def insert_calls(world: World, *starts: str) -> None:
    async with world.db.sessionmaker() as session, session.begin():
        session.add_all(
            cdr(
                reseller_id=world.acme,
                call_id=f"x{i}",
                number="1",
                started_at=utc(start),
                duration=1,
            )
            for i, start in enumerate(starts)
        )


async def test_days_across_a_dst_change(world: World) -> None:
    # 2026-03-08 has 23 hours in New York: [05:00Z, next day 04:00Z)
    await insert_calls(world, "2026-03-08T04:59", "2026-03-08T05:00", "2026-03-09T03:59",
                       "2026-03-09T04:00")  # fmt: skip
    period = Period(date(2026, 3, 7), date(2026, 3, 9), ZoneInfo("America/New_York"))
    result = await summary(world, GroupBy.DAY, cdr_filter=CdrFilter(period, country=""))
    assert [(line.key, line.traffic.calls) for line in result.lines] == [
        ("2026-03-07", 1),
        ("2026-03-08", 2),
        ("2026-03-09", 1),
    ]


async def test_days_in_a_quarter_hour_zone(world: World) -> None:
    # Kathmandu is UTC+05:45: Feb 10 starts at 2026-02-09T18:15Z
    await insert_calls(world, "2026-02-09T18:14:59", "2026-02-09T18:15", "2026-02-10T18:14:59")
    period = Period(date(2026, 2, 9), date(2026, 2, 10), ZoneInfo("Asia/Kathmandu"))
    result = await summary(world, GroupBy.DAY, cdr_filter=CdrFilter(period, country=""))
    assert [(line.key, line.traffic.calls) for line in result.lines] == [
        ("2026-02-09", 1),
        ("2026-02-10", 2),
    ]


async def test_isolation_and_refusals(world: World) -> None:
    blue = await summary(world, GroupBy.CLIENT, world.blue_actor)
    assert [line.label for line in blue.lines] == ["Carol"]
    snooping = CdrFilter(FEBRUARY_NY, reseller_id=world.acme)
    assert (await summary(world, GroupBy.COUNTRY, world.blue_actor, snooping)).lines == []
    with pytest.raises(ReportForbidden):
        await summary(world, GroupBy.COUNTRY, world.alice_actor)
