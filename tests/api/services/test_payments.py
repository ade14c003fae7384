"""Payments to a closed client: only to settle its debt."""

from __future__ import annotations

import pytest

from api.domain.errors import Conflict
from api.services import clients, payments
from api.services.client_packages import detach_package
from tests.api.conftest import World


async def closed_in_debt(world: World) -> int:
    """A hard client that paid 5.00, owes 10.00 + 5.00 of fees, and is closed: -10.00."""
    client_id, _ = await world.client("Bob", balance_type="hard", paid=5_000_000)
    await detach_package(world.ctx, world.reseller, client_id, world.package_id)
    await clients.close_client(world.ctx, world.reseller, client_id)
    return client_id


async def test_a_closed_client_in_debt_can_settle_it(world: World) -> None:
    client_id = await closed_in_debt(world)
    assert (await clients.get_client(world.ctx, world.reseller, client_id)).balance == -10_000_000
    part = await payments.add_payment(world.ctx, world.reseller, client_id, 4_000_000)
    assert part.balance == -6_000_000
    rest = await payments.add_payment(
        world.ctx, world.reseller, client_id, 6_000_000, description="settled"
    )
    assert rest.balance == 0
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert (view.status, view.balance, view.suspended) == ("closed", 0, True)
    with pytest.raises(Conflict, match="owes nothing"):
        await payments.add_payment(world.ctx, world.reseller, client_id, 1)


async def test_a_closed_client_takes_no_more_than_its_debt_and_no_charge(world: World) -> None:
    client_id = await closed_in_debt(world)
    with pytest.raises(Conflict, match=r"settle its debt of 10\.00 at most"):
        await payments.add_payment(world.ctx, world.reseller, client_id, 10_000_001)
    with pytest.raises(Conflict, match="closed"):
        await payments.add_charge(world.ctx, world.reseller, client_id, 1_000_000)
    assert (await clients.get_client(world.ctx, world.reseller, client_id)).balance == -10_000_000
