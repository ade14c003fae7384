"""Self-signup and its approval: status, login, package and fees."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from api.domain.branding import SignupField
from api.domain.errors import AlreadyExists, Conflict, InvalidInput, NotFound
from api.services import branding, clients, portal_signup
from api.services.client_packages import list_attachments
from api.services.context import ServicesContext
from tests.api.conftest import World

HASH = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash
PASSWORD = "Blue-Harbour-11"
FORM = {"name": "Dora", "email": "dora@example.com", "phone": "+1 514 555 0100"}


async def _enable(ctx: ServicesContext, world: World, **more: object) -> None:
    view = await branding.get_settings(ctx, world.reseller)
    changes = {"signup_enabled": True, "signup_package_id": world.package_id, **more}
    await branding.update_settings(ctx, world.reseller, changes, expected=view.updated_at)


async def test_no_signup_unless_enabled(ctx: ServicesContext, world: World) -> None:
    with pytest.raises(NotFound):
        await portal_signup.sign_up(ctx, world.reseller_id, FORM, "dora", PASSWORD, HASH)
    assert await portal_signup.signup_fields(ctx, world.reseller_id) is None


async def test_pending_signup_then_approval_attaches_the_package(
    ctx: ServicesContext, world: World
) -> None:
    await _enable(ctx, world, signup_fields=["name", "email", "phone"])
    fields = await portal_signup.signup_fields(ctx, world.reseller_id)
    assert fields == (SignupField.NAME, SignupField.EMAIL, SignupField.PHONE)
    done = await portal_signup.sign_up(ctx, world.reseller_id, FORM, "dora", PASSWORD, HASH)
    assert done.status == portal_signup.PENDING
    assert await list_attachments(ctx, world.reseller, done.client_id) == []
    listed = {c.id: c.status for c in await clients.list_clients(ctx, world.reseller)}
    assert listed[done.client_id] == portal_signup.PENDING  # the reseller sees whom to approve
    await portal_signup.approve_signup(ctx, world.reseller, done.client_id)
    view = await clients.get_client(ctx, world.reseller, done.client_id)
    assert view.status == "active"
    assert view.balance_type == "hard"
    assert view.balance == -15_000_000  # setup 10.00 + first month 5.00
    attached = await list_attachments(ctx, world.reseller, done.client_id)
    assert [a.package_id for a in attached] == [world.package_id]
    with pytest.raises(Conflict):
        await portal_signup.approve_signup(ctx, world.reseller, done.client_id)


async def test_active_signup_and_refusals(ctx: ServicesContext, world: World) -> None:
    await _enable(ctx, world, signup_requires_approval=False, signup_balance_type="soft")
    done = await portal_signup.sign_up(ctx, world.reseller_id, FORM, "dora", PASSWORD, HASH)
    assert done.status == "active"
    with pytest.raises(AlreadyExists):
        await portal_signup.sign_up(
            ctx, world.reseller_id, {**FORM, "name": "Other"}, "dora", PASSWORD, HASH
        )
    with pytest.raises(InvalidInput) as bad:
        await portal_signup.sign_up(
            ctx, world.reseller_id, {"name": "E", "email": "nope"}, "eve", "Green-Valley-11", HASH
        )
    assert bad.value.field == "email"
    with pytest.raises(InvalidInput) as weak:
        await portal_signup.sign_up(
            ctx, world.reseller_id, {**FORM, "name": "F"}, "fred", "short", HASH
        )
    assert weak.value.field == "password"
