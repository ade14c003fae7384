"""DID lifecycles: country from the number, assign only what was taken, unassign, reprice,
release (fees and costs stop; nothing already posted is refunded)."""

from __future__ import annotations

from datetime import date

import pytest

from api.domain.errors import Conflict, NotFound
from api.services import billing, cdrs, clients, dids, packages, resellers
from api.services.records import CdrInput, NewDid
from tests.api.conftest import NO_FREE, START, World, make_world

DID = "+12025550123"


async def balances(world: World, client_id: int) -> tuple[int, int]:
    """(the client's balance, the reseller's own balance at the operator)."""
    client = await clients.get_client(world.ctx, world.reseller, client_id)
    reseller = await resellers.get_reseller(world.ctx, world.reseller)
    return client.balance, reseller.balance


async def stock(world: World, number: str = DID) -> None:
    await dids.add_dids(
        world.ctx, world.operator, [NewDid(number, monthly_cost=1_000_000, per_minute_cost=4_000)]
    )


async def test_the_country_is_filled_from_the_number(world: World) -> None:
    added = await dids.add_dids(
        world.ctx,
        world.operator,
        [
            NewDid("+1 514 555 0100"),
            NewDid("+44 20 7946 0958"),
            NewDid("+12025550199", country="CA"),
        ],
    )
    assert [(d.number, d.country) for d in added] == [
        ("15145550100", "CA"),
        ("442079460958", "GB"),
        ("12025550199", "CA"),  # given by the operator: kept
    ]


async def test_a_did_not_taken_yet_says_take_it_first(world: World) -> None:
    client_id, _ = await world.client("Bob", attach=False)
    await stock(world)
    with pytest.raises(Conflict, match="take it first"):
        await dids.assign_did(
            world.ctx, world.reseller, DID, client_id, monthly_price=1, per_minute_price=1
        )
    other = await make_world(world.ctx, name="Other")
    await dids.take_did(world.ctx, other.reseller, DID)
    with pytest.raises(NotFound):  # another reseller's DID is not confirmed to exist
        await dids.assign_did(
            world.ctx, world.reseller, DID, client_id, monthly_price=1, per_minute_price=1
        )


async def test_unassign_stops_the_fees_and_refunds_nothing(world: World) -> None:
    client_id, _ = await world.client("Bob", attach=False)
    await stock(world)
    await dids.take_did(world.ctx, world.reseller, DID)
    await dids.assign_did(
        world.ctx, world.reseller, DID, client_id, monthly_price=2_000_000, per_minute_price=0
    )
    assert await balances(world, client_id) == (-2_000_000, -1_000_000)

    view = await dids.unassign_did(world.ctx, world.reseller, DID)
    assert (view.client_id, view.reseller_id) == (None, world.reseller_id)
    assert await balances(world, client_id) == (-2_000_000, -1_000_000)
    with pytest.raises(Conflict, match="not assigned"):
        await dids.unassign_did(world.ctx, world.reseller, DID)

    run = await billing.run_billing(world.ctx, world.reseller, date(2026, 12, 1))
    assert (run.fees_posted, run.did_costs_posted) == (0, 1)  # the reseller still holds it
    assert await balances(world, client_id) == (-2_000_000, -2_000_000)
    closed = await clients.close_client(world.ctx, world.reseller, client_id)
    assert closed.status == "closed"


async def test_release_is_refused_while_assigned_then_the_costs_stop(world: World) -> None:
    client_id, _ = await world.client("Bob", attach=False)
    await stock(world)
    await dids.take_did(world.ctx, world.reseller, DID)
    await dids.assign_did(
        world.ctx, world.reseller, DID, client_id, monthly_price=2_000_000, per_minute_price=0
    )
    with pytest.raises(Conflict, match="unassign it first"):
        await dids.release_did(world.ctx, world.reseller, DID)
    await dids.unassign_did(world.ctx, world.reseller, DID)
    released = await dids.release_did(world.ctx, world.reseller, DID)
    assert (released.reseller_id, released.client_id) == (None, None)
    available = await dids.list_dids(world.ctx, world.reseller, available=True)
    assert [d.number for d in available] == [DID[1:]]
    assert await dids.list_dids(world.ctx, world.reseller) == []

    run = await billing.run_billing(world.ctx, world.reseller, date(2026, 12, 1))
    assert run.did_costs_posted == 0
    assert await balances(world, client_id) == (-2_000_000, -1_000_000)  # nothing refunded
    with pytest.raises(NotFound):
        await dids.release_did(world.ctx, world.reseller, DID)
    other = await make_world(world.ctx, name="Other")
    taken = await dids.take_did(world.ctx, other.reseller, DID)
    assert taken.reseller_id == other.reseller_id


async def test_reprice_applies_to_the_next_calls_and_the_next_cycle(world: World) -> None:
    published = await packages.publish_package(world.ctx, world.reseller, NO_FREE, file_name="p")
    client_id, line = await world.client(
        "Bob", package_id=published.versions[0].package_id, paid=20_000_000
    )
    await stock(world)
    await dids.take_did(world.ctx, world.reseller, DID)
    await dids.assign_did(
        world.ctx, world.reseller, DID, client_id, monthly_price=2_000_000, per_minute_price=50_000
    )
    before = await cdrs.rate_cdr(
        world.ctx, world.reseller, CdrInput("sw", "in-1", line, "inbound", DID, START, 60)
    )
    view = await dids.reprice_did(
        world.ctx, world.reseller, DID, monthly_price=3_000_000, per_minute_price=100_000
    )
    assert (view.monthly_price, view.per_minute_price) == (3_000_000, 100_000)
    after = await cdrs.rate_cdr(
        world.ctx, world.reseller, CdrInput("sw", "in-2", line, "inbound", DID, START, 60)
    )
    assert (before.sell, after.sell) == (50_000, 100_000)
    assert before.cost == after.cost == 4_000
    balance = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    await billing.run_billing(world.ctx, world.reseller, date(2026, 12, 1))
    billed = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    assert balance - billed == 3_000_000  # PerSecond has no monthly fee: the DID's new price
    await dids.unassign_did(world.ctx, world.reseller, DID)
    with pytest.raises(Conflict, match="not assigned"):
        await dids.reprice_did(world.ctx, world.reseller, DID, monthly_price=1)


async def test_on_net_follows_the_assignment(world: World) -> None:
    caller, line = await world.client("Caller", paid=10_000_000)
    owner, _ = await world.client("Owner", attach=False)
    await stock(world)
    await dids.take_did(world.ctx, world.reseller, DID)
    await dids.assign_did(
        world.ctx, world.reseller, DID, owner, monthly_price=0, per_minute_price=0
    )
    on = await cdrs.rate_cdr(
        world.ctx, world.reseller, CdrInput("sw", "c1", line, "outbound", DID, START, 120)
    )
    await dids.unassign_did(world.ctx, world.reseller, DID)
    off = await cdrs.rate_cdr(
        world.ctx, world.reseller, CdrInput("sw", "c2", line, "outbound", DID, START, 120)
    )
    assert (on.on_net, on.cost, on.free_minutes_used) == (True, 0, 0)
    assert (off.on_net, off.free_minutes_used) == (False, 2)
    assert off.cost > 0
    assert caller != owner
