"""Concurrent writers on one client lose no update and charge nothing twice."""

from __future__ import annotations

import asyncio

from api.domain.errors import InsufficientBalance
from api.services import cdrs, clients, payments
from api.services.records import CdrInput
from tests.api.conftest import START, World


async def test_fifty_debits_against_ten_units_refuse_the_overdraft(world: World) -> None:
    client_id, _ = await world.client("Hard", balance_type="hard", attach=False, paid=10_000_000)
    results = await asyncio.gather(
        *[
            payments.add_charge(
                world.ctx, world.reseller, client_id, 1_000_000, allow_overdraft=False
            )
            for _ in range(50)
        ],
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, InsufficientBalance)]
    assert len(refused) == 40
    assert len(results) - len(refused) == 10
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert (view.balance, view.suspended) == (0, True)


async def test_fifty_fee_like_charges_may_overdraw_and_lose_nothing(world: World) -> None:
    client_id, _ = await world.client("Hard", balance_type="hard", attach=False, paid=10_000_000)
    await asyncio.gather(
        *[payments.add_charge(world.ctx, world.reseller, client_id, 1_000_000) for _ in range(50)]
    )
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert view.balance == -40_000_000


async def test_cdrs_and_payments_interleaved(world: World) -> None:
    client_id, line = await world.client("Busy", attach=True, paid=100_000_000)
    start = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    calls = [
        CdrInput("sw", f"c{i % 150}", line, "outbound", "+442071234567", START, 60)
        for i in range(200)
    ]  # 50 of them are resubmissions
    jobs = [cdrs.rate_cdr(world.ctx, world.reseller, c) for c in calls]
    jobs += [
        payments.add_payment(world.ctx, world.reseller, client_id, 1_000_000) for _ in range(20)
    ]
    results = await asyncio.gather(*jobs)
    rated = [r for r in results[:200] if not r.duplicate]  # type: ignore[union-attr]
    assert len(rated) == 150
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert view.balance == start + 20_000_000 - 150 * 9_600


async def test_concurrent_batches_with_overlap(world: World) -> None:
    client_id, line = await world.client("Batchy", paid=100_000_000)
    start = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    calls = [
        CdrInput("sw", f"k{i}", line, "outbound", "+442071234567", START, 60) for i in range(100)
    ]
    await asyncio.gather(
        cdrs.ingest_cdrs(world.ctx, world.reseller, calls[:70]),
        cdrs.ingest_cdrs(world.ctx, world.reseller, calls[30:]),
    )
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert view.balance == start - 100 * 9_600  # the 40 CDRs in both batches charged once
