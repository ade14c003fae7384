"""The CDR report on both databases: filters, time zone, keyset pages, totals, isolation."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from api.domain.actor import Actor
from api.reports import CdrFilter, CdrRow, InvalidParameter, cdr_page, cdr_totals
from api.reports.cdrs import MAX_PAGE_SIZE, stream_cdr_rows
from api.reports.kinds import CdrStatus, Direction
from api.reports.period import Period
from tests.api.reports.report_world import FEBRUARY_NY, World


async def all_rows(world: World, actor: Actor, cdr_filter: CdrFilter) -> list[CdrRow]:
    async with world.db.sessionmaker() as session:
        return [
            row
            for chunk in [
                c async for c in stream_cdr_rows(session, actor, cdr_filter, chunk_rows=2)
            ]
            for row in chunk
        ]


async def test_february_in_new_york_honours_the_time_zone(world: World) -> None:
    rows = await all_rows(world, world.acme_actor, CdrFilter(FEBRUARY_NY))
    # calls 4 (Feb 1 00:00 NY), 1, 3, 5, 6, then 2 (Mar 1 04:30Z = Feb 28 23:30 NY)
    assert [row.number for row in rows] == [
        "12125550100", "442071234567", "442071234567", "12125550199", "999", "15145550000",
    ]  # fmt: skip
    assert [FEBRUARY_NY.local(row.started_at).date() for row in rows][-1] == date(2026, 2, 28)


async def test_the_same_days_in_utc_shift_the_boundary_calls(world: World) -> None:
    february_utc = Period(date(2026, 2, 1), date(2026, 2, 28), ZoneInfo("UTC"))
    rows = await all_rows(world, world.acme_actor, CdrFilter(february_utc))
    # call 7 (Feb 1 04:59:59Z, sell 0.1) comes in, call 2 (Mar 1 04:30Z) goes out
    assert sorted(row.sell for row in rows) == [0, 0, 0, 36_000, 50_000, 100_000]
    assert "15145550000" not in {row.number for row in rows}


async def test_totals_cover_the_whole_filter_and_equal_the_sum_of_rows(world: World) -> None:
    cdr_filter = CdrFilter(FEBRUARY_NY)
    rows = await all_rows(world, world.acme_actor, cdr_filter)
    async with world.db.sessionmaker() as session:
        totals = await cdr_totals(session, world.acme_actor, cdr_filter)
        first_page = await cdr_page(session, world.acme_actor, cdr_filter, size=2)
    assert (totals.calls, totals.answered) == (6, 5)
    assert totals.duration_seconds == 125 + 60 + 0 + 300 + 191 + 30
    assert totals.billed_seconds == 180 + 60 + 300
    assert totals.free_minutes_used == 4
    assert totals.sell == 36_000 + 9_500 + 50_000 == sum(row.sell for row in rows)
    assert totals.cost == 24_000 + 5_000 + 20_000 + 20_000 == sum(row.cost or 0 for row in rows)
    assert totals.profit == 26_500 == totals.sell - totals.cost
    assert all(row.sell - (row.cost or 0) == row.profit for row in rows)
    assert len(first_page.rows) == 2  # the page is smaller than the totals' scope


async def test_keyset_pages_walk_every_row_once_in_order(world: World) -> None:
    cdr_filter = CdrFilter(FEBRUARY_NY)
    walked: list[CdrRow] = []
    cursor: str | None = None
    async with world.db.sessionmaker() as session:
        while True:
            page = await cdr_page(session, world.acme_actor, cdr_filter, after=cursor, size=4)
            walked += page.rows
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert walked == await all_rows(world, world.acme_actor, cdr_filter)
    keys = [(row.started_at, row.id) for row in walked]
    assert keys == sorted(keys)
    assert len(set(keys)) == 6


async def test_page_size_is_capped(world: World) -> None:
    async with world.db.sessionmaker() as session:
        with pytest.raises(InvalidParameter, match="size"):
            await cdr_page(
                session, world.acme_actor, CdrFilter(FEBRUARY_NY), size=MAX_PAGE_SIZE + 1
            )
        with pytest.raises(InvalidParameter, match="cursor"):
            await cdr_page(
                session, world.acme_actor, CdrFilter(FEBRUARY_NY), after="bm90IGEgY3Vyc29y"
            )


@pytest.mark.parametrize(
    ("field", "value", "expected_numbers"),
    [
        ("direction", Direction.INBOUND, ["12125550100"]),
        ("country", "CA", ["15145550000"]),
        ("status", CdrStatus.UNRATED, ["999"]),
    ],
)
async def test_filters(world: World, field: str, value: str, expected_numbers: list[str]) -> None:
    cdr_filter = CdrFilter(FEBRUARY_NY, **{field: value})  # type: ignore[arg-type]
    rows = await all_rows(world, world.acme_actor, cdr_filter)
    assert [row.number for row in rows] == expected_numbers


async def test_client_and_sub_account_filters(world: World) -> None:
    by_client = await all_rows(world, world.acme_actor, CdrFilter(FEBRUARY_NY, client_id=world.bob))
    by_sub = await all_rows(
        world, world.acme_actor, CdrFilter(FEBRUARY_NY, sub_account_id=world.alice_2)
    )
    assert {row.client_name for row in by_client} == {"=Bob Ltd"}
    assert len(by_client) == 3
    assert [row.sub_account for row in by_sub] == ["alice-2"]


async def test_a_reseller_never_sees_another_resellers_calls(world: World) -> None:
    blue_rows = await all_rows(world, world.blue_actor, CdrFilter(FEBRUARY_NY))
    assert [row.client_name for row in blue_rows] == ["Carol"]
    for snooping in (
        CdrFilter(FEBRUARY_NY, client_id=world.alice),
        CdrFilter(FEBRUARY_NY, sub_account_id=world.alice_1),
        CdrFilter(FEBRUARY_NY, reseller_id=world.acme),
    ):
        assert await all_rows(world, world.blue_actor, snooping) == []
        async with world.db.sessionmaker() as session:
            totals = await cdr_totals(session, world.blue_actor, snooping)
        assert (totals.calls, totals.sell) == (0, 0)


async def test_a_client_sees_only_its_calls_and_never_the_costs(world: World) -> None:
    rows = await all_rows(world, world.alice_actor, CdrFilter(FEBRUARY_NY))
    assert {row.client_name for row in rows} == {"Alice Co"}
    assert len(rows) == 3
    assert all(row.cost is None and row.cost_rate is None and row.profit is None for row in rows)
    other_client = CdrFilter(FEBRUARY_NY, client_id=world.bob)
    assert await all_rows(world, world.alice_actor, other_client) == []
    async with world.db.sessionmaker() as session:
        totals = await cdr_totals(session, world.alice_actor, CdrFilter(FEBRUARY_NY))
    assert (totals.calls, totals.sell, totals.cost, totals.profit) == (3, 45_500, None, None)


async def test_the_operator_sees_every_reseller(world: World) -> None:
    async with world.db.sessionmaker() as session:
        everyone = await cdr_totals(session, Actor.operator(), CdrFilter(FEBRUARY_NY))
        blue_only = await cdr_totals(
            session, Actor.operator(), CdrFilter(FEBRUARY_NY, reseller_id=world.blue)
        )
    assert (everyone.calls, everyone.profit) == (7, 26_500 + 27_000)
    assert (blue_only.calls, blue_only.profit) == (1, 27_000)
