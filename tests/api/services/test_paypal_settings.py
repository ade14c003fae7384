"""PayPal settings as a use case: defaults, tenancy, and what switching on needs."""

from __future__ import annotations

import pytest

from api.domain.actor import Actor
from api.domain.errors import InvalidInput, NotFound, PermissionDenied
from api.services.paypal_settings import get_paypal_settings, set_paypal_settings
from tests.api.conftest import World


async def test_off_and_empty_until_set_then_replaced(world: World) -> None:
    ctx, reseller = world.ctx, world.reseller
    before = await get_paypal_settings(ctx, reseller)
    assert (before.enabled, before.email, before.amounts, before.sandbox) == (False, "", (), False)
    assert before.ipn_path == f"/paypal/ipn/{100_000 + world.reseller_id}"

    await set_paypal_settings(
        ctx, reseller, enabled=True, email="pay@acme.example", amounts=[20, 10], sandbox=True
    )
    await set_paypal_settings(
        ctx, reseller, enabled=False, email="pay@acme.example", amounts=[5], sandbox=False
    )
    after = await get_paypal_settings(ctx, reseller)
    assert (after.enabled, after.amounts, after.sandbox, after.currency) == (
        False, (5,), False, "USD",
    )  # fmt: skip


async def test_the_operator_names_the_reseller_and_clients_may_not(world: World) -> None:
    ctx = world.ctx
    with pytest.raises(InvalidInput, match="reseller_id"):
        await get_paypal_settings(ctx, world.operator)
    await set_paypal_settings(
        ctx, world.operator, enabled=True, email="a@b.example", amounts=[1], sandbox=False,
        reseller_id=world.reseller_id,
    )  # fmt: skip
    assert (await get_paypal_settings(ctx, world.reseller)).enabled
    with pytest.raises(NotFound):
        await get_paypal_settings(ctx, world.reseller, reseller_id=world.reseller_id + 1)
    client_id, _ = await world.client("Alice", attach=False)
    with pytest.raises(PermissionDenied):
        await get_paypal_settings(ctx, Actor.client(world.reseller_id, client_id))


async def test_switching_on_needs_an_email_and_an_amount(world: World) -> None:
    with pytest.raises(InvalidInput, match="email"):
        await set_paypal_settings(
            world.ctx, world.reseller, enabled=True, email="", amounts=[10], sandbox=False
        )
    with pytest.raises(InvalidInput, match="amounts"):
        await set_paypal_settings(
            world.ctx, world.reseller, enabled=True, email="a@b.example", amounts=[], sandbox=False
        )
    assert not (await get_paypal_settings(world.ctx, world.reseller)).enabled
