"""Rating CDRs: free minutes, idempotence, unrated CDRs, bad input, batch = one by one."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from api.domain.errors import InvalidInput, NotFound
from api.services import authorization, billing, cdrs, clients, dids
from api.services.records import CdrInput, NewDid
from api.store.tables import Cdr, LedgerTransaction
from tests.api.conftest import NO_FREE, START, Clock, World, make_world


def cdr(
    line: str,
    call_id: str,
    number: str = "+12025550100",
    duration: int = 60,
    direction: str = "outbound",
) -> CdrInput:
    return CdrInput("sw1", call_id, line, direction, number, START, duration)


async def balance(world: World, client_id: int) -> int:
    return (await clients.get_client(world.ctx, world.reseller, client_id)).balance


async def test_free_minutes_split_when_a_call_outruns_the_bundle(world: World) -> None:
    _client_id, line = await world.client("Bob", paid=50_000_000)
    first = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "a", duration=8 * 60))
    assert (first.free_minutes_used, first.sell) == (8, 0)
    assert first.cost == 40_000  # cost is always the whole call: 8 min × 0.0050
    second = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "b", duration=191))
    # needs 4 minutes, 2 left: 191 - 120 = 71 s charged, pulse 60 → 120 s at 0.0100
    assert second.free_minutes_used == 2
    assert second.charged_seconds == 120
    assert second.sell == 20_000
    third = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "c", duration=60))
    assert (third.free_minutes_used, third.sell) == (0, 10_000)


async def test_free_minutes_not_used_outside_free_zone(world: World) -> None:
    _, line = await world.client("Bob", paid=50_000_000)
    result = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "mx", "+525512345678"))
    assert (result.free_minutes_used, result.sell, result.rule_kind) == (0, 40_000, "country")


async def test_free_minutes_reset_with_the_cycle(world: World, clock: Clock) -> None:
    client_id, line = await world.client("Bob", paid=50_000_000)
    await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "a", duration=10 * 60))
    used_up = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "b", duration=60))
    assert used_up.sell == 10_000
    clock.advance(days=22)  # 2026-12-02: a new cycle (billing day 1)
    fresh = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "c", duration=60))
    assert (fresh.free_minutes_used, fresh.sell) == (1, 0)
    run = await billing.run_billing(world.ctx, world.reseller, clock.now.date().replace(day=1))
    assert run.statements == 1
    again = await billing.run_billing(world.ctx, world.reseller, clock.now.date().replace(day=1))
    assert (again.fees_posted, again.statements) == (0, 0)
    statements = await billing.list_statements(world.ctx, world.reseller, client_id)
    assert (
        statements[0].closing
        == statements[0].opening
        + statements[0].calls
        + statements[0].fees
        + statements[0].charges
        + statements[0].payments
    )


async def test_inbound_uses_did_prices_and_free_minutes(world: World) -> None:
    client_id, line = await world.client("Bob", paid=50_000_000)
    await dids.add_dids(world.ctx, world.operator, [NewDid("+15145550100", 1_000_000, 0, 2_000)])
    await dids.take_did(world.ctx, world.reseller, "+15145550100")
    await dids.assign_did(
        world.ctx,
        world.reseller,
        "+15145550100",
        client_id,
        monthly_price=2_000_000,
        per_minute_price=5_000,
    )
    inbound = await cdrs.rate_cdr(
        world.ctx, world.reseller, cdr(line, "in", "+15145550100", 60, "inbound")
    )
    assert (inbound.rule_kind, inbound.free_minutes_used, inbound.sell, inbound.cost) == (
        "did",
        1,
        0,
        2_000,
    )
    # on-net: an outbound call to a platform DID in US/CA is free for everyone
    on_net = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "on", "+15145550100", 60))
    assert (on_net.on_net, on_net.sell, on_net.cost, on_net.free_minutes_used) == (True, 0, 0, 0)


async def test_same_cdr_twice_is_charged_once(world: World) -> None:
    client_id, line = await world.client("Bob", paid=50_000_000, package_id=None)
    world2 = world
    first = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "x", "+442071234567"))
    again = await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "x", "+442071234567", 999))
    assert again.duplicate
    assert again.id == first.id
    assert again.sell == first.sell
    results = await asyncio.gather(
        *[
            cdrs.rate_cdr(world2.ctx, world2.reseller, cdr(line, "y", "+442071234567"))
            for _ in range(10)
        ]
    )
    assert len({r.id for r in results}) == 1
    assert sum(not r.duplicate for r in results) == 1
    assert await balance(world, client_id) == 35_000_000 - 2 * first.sell


async def test_unrated_cdrs_are_stored_and_post_nothing(world: World, ctx: object) -> None:
    client_id, line = await world.client("Bob", paid=50_000_000)
    _, bare = await world.client("Bare", attach=False)
    cases = {
        "u": cdr("nobody", "u"),
        "n": cdr(line, "n", "call-me-maybe"),
        "r": cdr(line, "r", "+861012345678"),
        "p": cdr(bare, "p"),
    }
    results = {k: await cdrs.rate_cdr(world.ctx, world.reseller, v) for k, v in cases.items()}
    assert {k: r.status for k, r in results.items()} == dict.fromkeys(cases, "unrated")
    assert results["u"].failure_reason == "unknown_sub_account"
    assert results["n"].failure_reason.startswith("invalid_number")
    assert results["r"].failure_reason.startswith("unroutable")
    assert results["p"].failure_reason == "no_package"
    assert await balance(world, client_id) == 35_000_000


async def test_bad_input_writes_nothing(world: World) -> None:
    _, line = await world.client("Bob", paid=50_000_000)
    with pytest.raises(InvalidInput, match="duration"):
        await cdrs.rate_cdr(world.ctx, world.reseller, cdr(line, "neg", duration=-1))
    batch = [cdr(line, "ok1"), cdr(line, "neg", duration=-5)]
    with pytest.raises(InvalidInput, match=r"cdrs\[1\]\.duration"):
        await cdrs.ingest_cdrs(world.ctx, world.reseller, batch)
    async with world.ctx.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Cdr)) == 0


async def test_tenants_are_isolated(world: World) -> None:
    client_id, line = await world.client("Bob", paid=50_000_000)
    other = await make_world(world.ctx, NO_FREE, name="Other")
    with pytest.raises(NotFound):
        await clients.get_client(other.ctx, other.reseller, client_id)
    with pytest.raises(NotFound):
        await clients.close_client(other.ctx, other.reseller, client_id)
    from api.services import payments

    with pytest.raises(NotFound):
        await payments.add_payment(other.ctx, other.reseller, client_id, 1_000_000)
    foreign = await cdrs.rate_cdr(other.ctx, other.reseller, cdr(line, "f"))
    assert foreign.failure_reason == "unknown_sub_account"
    refused = await authorization.authorize(other.ctx, other.reseller, line, "+12025550100")
    assert refused.reason is not None
    assert refused.reason.value == "unknown_sub_account"
    assert await clients.list_clients(other.ctx, other.reseller) == []


async def test_batch_gives_the_same_results_as_one_by_one(ctx: object, world: World) -> None:
    other = await make_world(world.ctx, name="Twin")
    numbers = ["+12025550100", "+442071234567", "+441612345678", "+525512345678", "+15145551234"]
    lines_a = [await world.client(f"A{i}", paid=30_000_000, username=f"a{i}-x") for i in range(3)]
    lines_b = [await other.client(f"B{i}", paid=30_000_000, username=f"b{i}-x") for i in range(3)]
    calls_a = [cdr(lines_a[i % 3][1], f"c{i}", numbers[i % 5], 37 * i % 400) for i in range(60)]
    calls_b = [cdr(lines_b[i % 3][1], f"c{i}", numbers[i % 5], 37 * i % 400) for i in range(60)]
    one = [await cdrs.rate_cdr(world.ctx, world.reseller, c) for c in calls_a]
    summary = await cdrs.ingest_cdrs(
        other.ctx, other.reseller, calls_b + calls_b[:5], batch_size=25
    )
    assert (summary.rated, summary.duplicates) == (60, 5)
    async with world.ctx.unit_of_work() as uow:
        for a, c in zip(one, calls_b, strict=True):
            b = await uow.cdrs.find(other.reseller_id, c.source, c.call_id)
            assert b is not None
            assert (a.sell, a.cost, a.free_minutes_used, a.billed_seconds) == (
                b.sell,
                b.cost,
                b.free_minutes_used,
                b.billed_seconds,
            )
        txs = await uow.session.scalar(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.kind == "calls")
        )
        assert txs == 3 * 3  # one per client per batch (3 batches of ≤25)
    for (a_id, _), (b_id, _) in zip(lines_a, lines_b, strict=True):
        assert (
            await balance(world, a_id)
            == (await clients.get_client(other.ctx, other.reseller, b_id)).balance
        )
