"""Portal hostnames (the one-time fee, uniqueness), origins, host → tenant, login links."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.domain.actor import Actor
from api.domain.errors import AlreadyExists, Conflict, InvalidInput, PermissionDenied
from api.domain.ledger import TransactionKind
from api.services import login_links, portal_access, portal_logins, resellers
from api.services.context import ServicesContext
from api.store.tables import LedgerTransaction
from tests.api.conftest import Clock, World, make_world


async def _fees(ctx: ServicesContext, reseller_id: int) -> int:
    async with ctx.read() as uow:
        rows = await uow.session.scalars(
            select(LedgerTransaction.id).where(
                LedgerTransaction.kind == TransactionKind.HOSTNAME_FEE.value,
                LedgerTransaction.reseller_id == reseller_id,
            )
        )
        return len(list(rows))


async def test_first_hostname_costs_the_fee_once(ctx: ServicesContext, world: World) -> None:
    before = (await resellers.get_reseller(ctx, world.reseller)).balance
    view = await portal_access.set_hostname(ctx, world.reseller, "Portal.Acme.com")
    assert view.hostname == "portal.acme.com"
    assert view.portal_url == "http://portal.acme.com/"
    assert view.hostname_fee_posted
    after = (await resellers.get_reseller(ctx, world.reseller)).balance
    assert before - after == 10_000_000
    await portal_access.set_hostname(ctx, world.reseller, "other.acme.com")
    await portal_access.set_hostname(ctx, world.reseller, None)
    await portal_access.set_hostname(ctx, world.reseller, "again.acme.com")
    assert (await resellers.get_reseller(ctx, world.reseller)).balance == after
    assert await _fees(ctx, world.reseller_id) == 1


async def test_hostname_is_unique_and_never_the_platform(
    ctx: ServicesContext, world: World
) -> None:
    other = await make_world(ctx, name="Bolt")
    await portal_access.set_hostname(ctx, world.reseller, "portal.acme.com")
    with pytest.raises(AlreadyExists):
        await portal_access.set_hostname(ctx, other.reseller, "PORTAL.acme.com")
    with pytest.raises(InvalidInput):
        await portal_access.set_hostname(ctx, other.reseller, "127.0.0.1")
    assert await _fees(ctx, other.reseller_id) == 0  # nothing posted for a refusal
    with pytest.raises(PermissionDenied):
        await portal_access.set_hostname(ctx, Actor.client(world.reseller_id, 1), "x.example.com")


async def test_host_resolves_to_its_tenant(ctx: ServicesContext, world: World) -> None:
    assert await portal_access.tenant_for_host(ctx, "portal.acme.com") is None
    await portal_access.set_hostname(ctx, world.reseller, "portal.acme.com")
    assert await portal_access.tenant_for_host(ctx, "portal.acme.com") == world.reseller_id
    await portal_access.set_hostname(ctx, world.reseller, "")
    assert await portal_access.tenant_for_host(ctx, "portal.acme.com") is None


async def test_origins_and_snippet(ctx: ServicesContext, world: World) -> None:
    view = await portal_access.set_auto_connect_origins(
        ctx, world.reseller, ["https://www.acme.com/"]
    )
    assert view.auto_connect_origins == ("https://www.acme.com",)
    assert f'action="http://127.0.0.1:8000/p/{view.code}/connect"' in view.auto_connect_snippet
    assert 'name="username"' in view.auto_connect_snippet
    assert await portal_access.allowed_origins(ctx, world.reseller_id) == ("https://www.acme.com",)


async def test_login_link_works_once_within_two_minutes(
    ctx: ServicesContext, world: World, clock: Clock
) -> None:
    client_id, _ = await world.client("Linky")
    with pytest.raises(Conflict):  # no portal login yet
        await login_links.create_login_link(ctx, world.reseller, client_id)
    await portal_logins.set_portal_login(
        ctx, world.reseller, client_id, "linky", "$argon2id$v=19$m=1024,t=1,p=1$x$y"
    )
    link = await login_links.create_login_link(ctx, world.reseller, client_id)
    token = link.url.split("token=")[1]
    other = await make_world(ctx, name="Bolt")
    assert await login_links.redeem_login_link(ctx, other.reseller_id, token) is None
    assert await login_links.redeem_login_link(ctx, world.reseller_id, token) == client_id
    assert await login_links.redeem_login_link(ctx, world.reseller_id, token) is None
    late = await login_links.create_login_link(ctx, world.reseller, client_id)
    clock.advance(seconds=121)
    assert (
        await login_links.redeem_login_link(ctx, world.reseller_id, late.url.split("=")[1]) is None
    )
    assert "token" not in repr(link)
