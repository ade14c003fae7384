"""Sub-account lifecycles: change of package, of password, deletion (the CDRs stay)."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlmodel import col

from api.domain.errors import InvalidInput, NotFound
from api.domain.tenants import tenant_username
from api.services import authorization, cdrs, packages, sub_accounts
from api.services.client_packages import attach_package
from api.services.records import CdrInput
from api.store.tables import Cdr
from tests.api.conftest import NO_FREE, START, World


async def second_package(world: World) -> int:
    published = await packages.publish_package(world.ctx, world.reseller, NO_FREE, file_name="p")
    return published.versions[0].package_id


async def line_id(world: World, name: str) -> int:
    """The id of the line the reseller named ``name`` (its SIP username is namespaced)."""
    username = tenant_username(world.reseller_id, name)
    lines = await sub_accounts.list_sub_accounts(world.ctx, world.reseller)
    return next(s.id for s in lines if s.username == username)


async def test_a_package_the_client_has_not_attached_is_refused(world: World) -> None:
    client_id, line = await world.client("Bob", paid=10_000_000)
    other = await second_package(world)
    with pytest.raises(InvalidInput) as refused:
        await sub_accounts.create_sub_account(
            world.ctx, world.reseller, client_id, "bob-2", package_id=other
        )
    assert refused.value.field == "package_id"
    assert "not attached to client" in refused.value.detail
    sub_id = await line_id(world, line)
    with pytest.raises(InvalidInput, match="attach it first"):
        await sub_accounts.set_sub_account_package(world.ctx, world.reseller, sub_id, other)
    names = [s.username for s in await sub_accounts.list_sub_accounts(world.ctx, world.reseller)]
    assert names == [tenant_username(world.reseller_id, line)]


async def test_changing_the_package_changes_the_price_of_the_next_calls(world: World) -> None:
    client_id, line = await world.client("Bob", paid=10_000_000)
    other = await second_package(world)
    await attach_package(world.ctx, world.reseller, client_id, other)
    sub_id = await line_id(world, line)

    view = await sub_accounts.set_sub_account_package(
        world.ctx, world.reseller, sub_id, world.package_id
    )
    assert view.package_id == world.package_id
    first = await cdrs.rate_cdr(
        world.ctx, world.reseller, CdrInput("sw", "a", line, "outbound", "+442071234567", START, 61)
    )
    await sub_accounts.set_sub_account_package(world.ctx, world.reseller, sub_id, other)
    second = await cdrs.rate_cdr(
        world.ctx, world.reseller, CdrInput("sw", "b", line, "outbound", "+442071234567", START, 61)
    )
    # London costs 0.0080: Simple bills 60/60 at +20%, PerSecond 1/1 at +50%
    assert (first.billed_seconds, first.sell) == (120, 19_200)
    assert (second.billed_seconds, second.sell) == (61, 12_200)
    assert first.package_version_id != second.package_version_id
    back = await sub_accounts.set_sub_account_package(world.ctx, world.reseller, sub_id, None)
    assert back.package_id is None


async def test_a_new_password_replaces_the_old_one(world: World) -> None:
    client_id, _ = await world.client("Bob", attach=False)
    created = await sub_accounts.create_sub_account(
        world.ctx, world.reseller, client_id, "bob-desk", password="first-password"
    )
    sub_id = created.sub_account.id
    changed = await sub_accounts.set_sub_account_password(
        world.ctx, world.reseller, sub_id, "second-password"
    )
    assert changed.password == "second-password"
    assert await sub_accounts.reveal_password(world.ctx, world.reseller, sub_id) == (
        "second-password"
    )
    regenerated = await sub_accounts.set_sub_account_password(world.ctx, world.reseller, sub_id)
    assert len(regenerated.password) >= 16
    assert regenerated.password not in {"first-password", "second-password"}
    assert "password" not in repr(regenerated).replace("password=<hidden>", "")
    assert await sub_accounts.reveal_password(world.ctx, world.reseller, sub_id) == (
        regenerated.password
    )
    with pytest.raises(InvalidInput) as refused:
        await sub_accounts.set_sub_account_password(world.ctx, world.reseller, sub_id, "short")
    assert refused.value.field == "password"
    assert await sub_accounts.reveal_password(world.ctx, world.reseller, sub_id) == (
        regenerated.password
    )


async def test_another_reseller_cannot_touch_a_line(world: World) -> None:
    from tests.api.conftest import make_world

    other = await make_world(world.ctx, name="Other")
    _, line = await world.client("Bob", attach=False)
    sub_id = await line_id(world, line)
    with pytest.raises(NotFound):
        await sub_accounts.set_sub_account_password(world.ctx, other.reseller, sub_id)
    with pytest.raises(NotFound):
        await sub_accounts.delete_sub_account(world.ctx, other.reseller, sub_id)
    with pytest.raises(NotFound):
        await sub_accounts.set_sub_account_package(world.ctx, other.reseller, sub_id, None)
    assert await line_id(world, line) == sub_id


async def test_a_deleted_line_keeps_its_cdrs_and_rates_nothing_more(world: World) -> None:
    client_id, line = await world.client("Bob", paid=10_000_000)
    sub_id = await line_id(world, line)
    call = CdrInput("sw", "before", line, "outbound", "+442071234567", START, 30)
    assert (await cdrs.rate_cdr(world.ctx, world.reseller, call)).status == "rated"

    deleted = await sub_accounts.delete_sub_account(world.ctx, world.reseller, sub_id)
    assert deleted.id == sub_id
    assert await sub_accounts.list_sub_accounts(world.ctx, world.reseller) == []
    after = CdrInput("sw", "after", line, "outbound", "+442071234567", START, 30)
    unrated = await cdrs.rate_cdr(world.ctx, world.reseller, after)
    assert (unrated.status, unrated.failure_reason) == ("unrated", "unknown_sub_account")
    refused = await authorization.authorize(world.ctx, world.reseller, line, "+442071234567")
    assert refused.reason is not None
    assert refused.reason.value == "unknown_sub_account"
    with pytest.raises(NotFound):
        await sub_accounts.delete_sub_account(world.ctx, world.reseller, sub_id)
    async with world.ctx.unit_of_work() as uow:
        kept = (
            await uow.session.execute(
                select(col(Cdr.call_id), col(Cdr.sub_account_id), col(Cdr.client_id)).where(
                    col(Cdr.status) == "rated"
                )
            )
        ).all()
    assert [tuple(r) for r in kept] == [("before", sub_id, client_id)]
