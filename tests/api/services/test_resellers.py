"""A reseller's settings: default threshold, longest call, name and contact data."""

from __future__ import annotations

import pytest

from api.domain.errors import AlreadyExists, InvalidInput, NotFound
from api.services import clients, resellers
from tests.api.conftest import World, make_world


async def test_settings_change_only_what_is_given(world: World) -> None:
    client_id, _ = await world.client("Bob", attach=False)
    view = await resellers.update_reseller_settings(
        world.ctx,
        world.reseller,
        low_balance_threshold=7_500_000,
        max_call_seconds=1800,
        name="Acme Telecom",
        email="billing@acme.example",
        phone="+1 514 555 0100",
        address="1 Main St",
    )
    assert (view.name, view.email, view.phone, view.address) == (
        "Acme Telecom", "billing@acme.example", "+1 514 555 0100", "1 Main St",
    )  # fmt: skip
    assert (view.low_balance_threshold, view.max_call_seconds) == (7_500_000, 1800)
    again = await resellers.update_reseller_settings(world.ctx, world.reseller, phone="")
    assert (again.name, again.email, again.phone) == ("Acme Telecom", "billing@acme.example", "")
    stored = await resellers.get_reseller(world.ctx, world.reseller)
    assert stored == again
    client = await clients.get_client(world.ctx, world.reseller, client_id)
    assert client.low_balance_threshold == 7_500_000  # the new default


async def test_bad_settings_are_refused_and_nothing_changes(world: World) -> None:
    await make_world(world.ctx, name="Other")
    before = await resellers.get_reseller(world.ctx, world.reseller)
    for kwargs, field in (
        ({"name": " "}, "name"),
        ({"email": "x" * 321}, "email"),
        ({"max_call_seconds": 0}, "max_call_seconds"),
        ({"low_balance_threshold": -1}, "low_balance_threshold"),
    ):
        with pytest.raises(InvalidInput) as refused:
            await resellers.update_reseller_settings(
                world.ctx, world.reseller, phone="changed", **kwargs
            )
        assert refused.value.field == field
    with pytest.raises(AlreadyExists):
        await resellers.update_reseller_settings(world.ctx, world.reseller, name="Other")
    assert await resellers.get_reseller(world.ctx, world.reseller) == before


async def test_the_operator_changes_a_named_reseller_only(world: World) -> None:
    view = await resellers.update_reseller_settings(
        world.ctx, world.operator, reseller_id=world.reseller_id, email="ops@acme.example"
    )
    assert view.email == "ops@acme.example"
    other = await make_world(world.ctx, name="Other")
    with pytest.raises(NotFound):
        await resellers.update_reseller_settings(
            world.ctx, other.reseller, reseller_id=world.reseller_id, email="x"
        )
