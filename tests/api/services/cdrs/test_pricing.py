"""Inbound calls to DIDs: a CDR may name the DID instead of a sub account, and a call to a
client's DID is rated at the DID's price even without a package (real time and batch)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select
from sqlmodel import col

from api.services import cdrs, clients, dids
from api.services.records import CdrInput, CdrResult, NewDid
from api.store.tables import Cdr
from tests.api.conftest import START, World, make_world

DID = "+12025550123"
Rate = Callable[[World, list[CdrInput]], Awaitable[list[CdrResult]]]


async def realtime(world: World, calls: list[CdrInput]) -> list[CdrResult]:
    return [await cdrs.rate_cdr(world.ctx, world.reseller, c) for c in calls]


async def batch(world: World, calls: list[CdrInput]) -> list[CdrResult]:
    await cdrs.ingest_cdrs(world.ctx, world.reseller, calls)
    return [await cdrs.get_cdr(world.ctx, world.reseller, c.source, c.call_id) for c in calls]


PATHS = pytest.mark.parametrize("rate", [realtime, batch], ids=["realtime", "batch"])


async def own_did(world: World, client_id: int, number: str = DID) -> int:
    await dids.add_dids(
        world.ctx, world.operator, [NewDid(number, monthly_cost=0, per_minute_cost=4_000)]
    )
    await dids.take_did(world.ctx, world.reseller, number)
    view = await dids.assign_did(
        world.ctx, world.reseller, number, client_id, monthly_price=0, per_minute_price=50_000
    )
    return view.id


def inbound(call_id: str, line: str = "", number: str = DID, duration: int = 61) -> CdrInput:
    return CdrInput("sw", call_id, line, "inbound", number, START, duration)


async def balance(world: World, client_id: int) -> int:
    return (await clients.get_client(world.ctx, world.reseller, client_id)).balance


@PATHS
async def test_a_cdr_naming_only_the_did_is_the_call_of_its_client(
    world: World, rate: Rate
) -> None:
    client_id, line = await world.client("Bob", attach=False, paid=10_000_000)
    did_id = await own_did(world, client_id)
    by_did, by_line = await rate(world, [inbound("a"), inbound("b", line, duration=30)])
    for result in (by_did, by_line):  # no package: the DID's price, billed 60/60
        assert (result.status, result.failure_reason) == ("rated", "")
        assert result.client_id == client_id
        assert result.package_version_id is None
        assert result.free_minutes_used == 0
        assert result.sell_rate == 50_000
        assert result.cost_rate == 4_000
    assert (by_did.billed_seconds, by_did.sell, by_did.cost) == (120, 100_000, 8_000)
    assert (by_line.billed_seconds, by_line.sell, by_line.cost) == (60, 50_000, 4_000)
    assert by_did.sub_account_id is None
    assert by_line.sub_account_id is not None
    assert await balance(world, client_id) == 10_000_000 - 150_000
    async with world.ctx.unit_of_work() as uow:
        stored = await uow.session.scalars(select(col(Cdr.did_id)).order_by(col(Cdr.call_id)))
        assert list(stored) == [did_id, did_id]


@PATHS
async def test_free_minutes_only_when_a_package_grants_them(world: World, rate: Rate) -> None:
    client_id, _ = await world.client("Bob", paid=10_000_000)  # Simple: 10 free minutes
    await own_did(world, client_id)
    start = await balance(world, client_id)
    first, second = await rate(world, [inbound("a", duration=61), inbound("b", duration=600)])
    assert (first.free_minutes_used, first.sell, first.cost) == (2, 0, 8_000)
    assert first.package_version_id is not None
    # 8 minutes left of 10: the rest (120 s) at the DID's price
    assert (second.free_minutes_used, second.charged_seconds, second.sell) == (8, 120, 100_000)
    assert await balance(world, client_id) == start - 100_000


@PATHS
async def test_a_did_that_is_not_the_tenants_client_s_is_unrated(world: World, rate: Rate) -> None:
    client_id, _ = await world.client("Bob", attach=False, paid=10_000_000)
    other = await make_world(world.ctx, name="Other")
    foreign_client, _ = await other.client("Eve", attach=False, paid=10_000_000)
    await own_did(other, foreign_client, "+12025550188")
    await dids.add_dids(world.ctx, world.operator, [NewDid("+12025550177")])
    await dids.take_did(world.ctx, world.reseller, "+12025550177")  # taken, not assigned
    results = await rate(
        world,
        [
            inbound("foreign", number="+12025550188"),
            inbound("unassigned", number="+12025550177"),
            inbound("nothing", number="+12025550199"),
            CdrInput("sw", "out", "", "outbound", "+12025550188", START, 60),
        ],
    )
    reasons = [(r.status, r.failure_reason, r.client_id) for r in results]
    assert reasons == [
        ("unrated", "unknown_did", None),
        ("unrated", "unknown_did", None),
        ("unrated", "unknown_did", None),
        ("unrated", "unknown_sub_account", None),
    ]
    assert await balance(world, client_id) == 10_000_000
    assert await balance(other, foreign_client) == 10_000_000


async def test_both_paths_store_the_same_figures(world: World) -> None:
    async def calls_of(w: World, first: str, second: str) -> list[CdrInput]:
        bare, line = await w.client(
            "Bare", attach=False, paid=10_000_000, username=f"bare-{first[-3:]}"
        )
        packaged, _ = await w.client("Packaged", paid=10_000_000, username=f"pkg-{first[-3:]}")
        await own_did(w, bare, first)
        await own_did(w, packaged, second)
        return [
            inbound("1", number=first), inbound("2", line, first, duration=95),
            inbound("3", number=second), inbound("4", number=second, duration=900),
        ]  # fmt: skip

    other = await make_world(world.ctx, name="Other")
    one_by_one = await realtime(world, await calls_of(world, "+12025550123", "+12025550124"))
    batched = await batch(other, await calls_of(other, "+12025550133", "+12025550134"))

    def figures(r: CdrResult) -> tuple[object, ...]:
        return (
            r.status, r.client_id is not None, r.sub_account_id is not None, r.billed_seconds,
            r.charged_seconds, r.sell, r.cost, r.free_minutes_used,
            r.package_version_id is not None,
        )  # fmt: skip

    assert [figures(r) for r in batched] == [figures(r) for r in one_by_one]
    assert [r.free_minutes_used for r in batched] == [0, 0, 2, 8]
