"""Closing clients (refused while packages or DIDs are attached) and sub-account passwords."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.errors import (
    Conflict,
    InvalidFields,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StillAttached,
)
from api.services import cdrs, clients, dids, packages, sub_accounts
from api.services.client_packages import attach_package, detach_package
from api.services.context import ServicesContext
from api.services.records import CdrInput, NewDid
from api.services.secrets import GENERATED_PASSWORD_LENGTH, PasswordCipher
from api.store.tables import Account, Cdr, LedgerEntry
from tests.api.conftest import NO_FREE, START, Clock, World, make_world

DID = "+12025550123"


def as_utc(moment: datetime) -> datetime:
    """SQLite hands timestamps back naive (they are stored in UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def give_did(world: World, client_id: int, number: str = DID) -> None:
    await dids.add_dids(world.ctx, world.operator, [NewDid(number, monthly_cost=1_000_000)])
    await dids.take_did(world.ctx, world.reseller, number)
    await dids.assign_did(
        world.ctx, world.reseller, number, client_id, monthly_price=2_000_000, per_minute_price=0
    )


async def ledger_entries(ctx: ServicesContext, client_id: int) -> int:
    async with ctx.unit_of_work() as uow:
        count = await uow.session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .join(Account, col(Account.id) == col(LedgerEntry.account_id))
            .where(col(Account.client_id) == client_id)
        )
    return int(count or 0)


async def client_cdrs(ctx: ServicesContext, client_id: int) -> list[tuple[str, str]]:
    async with ctx.unit_of_work() as uow:
        rows = await uow.session.execute(
            select(col(Cdr.call_id), col(Cdr.status))
            .where(col(Cdr.client_id) == client_id)
            .order_by(col(Cdr.call_id))
        )
        return [(call_id, status) for call_id, status in rows]


# closing a client


async def test_close_is_refused_naming_the_attached_packages_and_dids(world: World) -> None:
    client_id, _ = await world.client("Bob", paid=50_000_000)
    second = await packages.publish_package(world.ctx, world.reseller, NO_FREE, file_name="p.rate")
    await attach_package(world.ctx, world.reseller, client_id, second.versions[0].package_id)
    await give_did(world, client_id)

    with pytest.raises(StillAttached) as refused:
        await clients.close_client(world.ctx, world.reseller, client_id)
    assert refused.value.names == ("package PerSecond", "package Simple", "DID +12025550123")
    assert refused.value.code == "still_attached"
    assert "package Simple" in refused.value.message
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert (view.status, view.closed_at) == ("active", None)


async def test_close_names_only_what_is_still_attached(world: World) -> None:
    client_id, _ = await world.client("Bob", paid=50_000_000)
    await give_did(world, client_id)
    await detach_package(world.ctx, world.reseller, client_id, world.package_id)
    with pytest.raises(StillAttached) as refused:
        await clients.close_client(world.ctx, world.reseller, client_id)
    assert refused.value.names == ("DID +12025550123",)


async def test_close_after_detaching_keeps_the_ledger_and_the_cdrs(
    world: World, clock: Clock
) -> None:
    client_id, line = await world.client("Bob", paid=50_000_000)
    await give_did(world, client_id)
    call = CdrInput("sw1", "c1", line, "outbound", "+442071234567", START, 90)
    assert (await cdrs.rate_cdr(world.ctx, world.reseller, call)).status == "rated"
    entries = await ledger_entries(world.ctx, client_id)
    balance = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    assert entries > 0

    await detach_package(world.ctx, world.reseller, client_id, world.package_id)
    await dids.unassign_did(world.ctx, world.reseller, DID)
    clock.advance(hours=1)
    closed = await clients.close_client(world.ctx, world.reseller, client_id)

    assert closed.status == "closed"
    assert closed.closed_at is not None
    assert as_utc(closed.closed_at) == START + timedelta(hours=1)
    assert closed.balance == balance
    assert await ledger_entries(world.ctx, client_id) == entries
    assert await client_cdrs(world.ctx, client_id) == [("c1", "rated")]
    # closing again is harmless; the closed client is still readable
    again = await clients.close_client(world.ctx, world.reseller, client_id)
    assert again.closed_at == closed.closed_at
    assert (await clients.get_client(world.ctx, world.reseller, client_id)).status == "closed"


async def test_a_closed_client_is_hidden_and_takes_nothing_new(world: World) -> None:
    kept, _ = await world.client("Kept", attach=False)
    gone, _ = await world.client("Gone", attach=False)
    await clients.close_client(world.ctx, world.reseller, gone)
    listed = await clients.list_clients(world.ctx, world.reseller)
    assert [c.id for c in listed] == [kept]
    everyone = await clients.list_clients(world.ctx, world.reseller, include_closed=True)
    assert sorted(c.id for c in everyone) == sorted([kept, gone])
    with pytest.raises(Conflict):
        await attach_package(world.ctx, world.reseller, gone, world.package_id)
    with pytest.raises(Conflict):
        await sub_accounts.create_sub_account(world.ctx, world.reseller, gone, "gone-line-2")


async def test_only_its_reseller_closes_a_client(ctx: ServicesContext) -> None:
    acme = await make_world(ctx)
    other = await make_world(ctx, name="Other")
    client_id, _ = await acme.client("Bob", attach=False)
    with pytest.raises(NotFound):
        await clients.close_client(ctx, other.reseller, client_id)
    with pytest.raises(PermissionDenied):
        await clients.close_client(ctx, Actor.client(acme.reseller_id, client_id), client_id)
    assert (await clients.get_client(ctx, acme.reseller, client_id)).status == "active"


# sub-account passwords


async def stored_secret(ctx: ServicesContext, sub_account_id: int) -> str:
    """The raw column, read with plain SQL."""
    async with ctx.unit_of_work() as uow:
        value = await uow.session.scalar(
            text("SELECT password_encrypted FROM sub_accounts WHERE id = :id"),
            {"id": sub_account_id},
        )
    assert isinstance(value, str)
    return value


async def test_a_given_password_is_encrypted_at_rest(world: World) -> None:
    client_id, _ = await world.client("Bob", attach=False)
    password = "Correct-Horse-42"
    created = await sub_accounts.create_sub_account(
        world.ctx, world.reseller, client_id, "bob-desk", password=password
    )
    assert created.password == password
    assert password not in repr(created)
    stored = await stored_secret(world.ctx, created.sub_account.id)
    assert password not in stored
    assert password.lower() not in stored.lower()
    assert world.ctx.cipher.decrypt(stored) == password
    with pytest.raises(ValueError, match="cannot be decrypted"):
        PasswordCipher("another-secret").decrypt(stored)
    revealed = await sub_accounts.reveal_password(world.ctx, world.reseller, created.sub_account.id)
    assert revealed == password


async def test_the_same_password_twice_is_stored_differently(world: World) -> None:
    client_id, _ = await world.client("Bob", attach=False)
    one = await sub_accounts.create_sub_account(
        world.ctx, world.reseller, client_id, "bob-one", password="same-password-1"
    )
    two = await sub_accounts.create_sub_account(
        world.ctx, world.reseller, client_id, "bob-two", password="same-password-1"
    )
    assert await stored_secret(world.ctx, one.sub_account.id) != await stored_secret(
        world.ctx, two.sub_account.id
    )


async def test_a_strong_password_is_generated_when_none_is_given(world: World) -> None:
    client_id, _ = await world.client("Bob", attach=False)
    one = await sub_accounts.create_sub_account(world.ctx, world.reseller, client_id, "bob-a")
    two = await sub_accounts.create_sub_account(world.ctx, world.reseller, client_id, "bob-b")
    for created in (one, two):
        password = created.password
        assert len(password) == GENERATED_PASSWORD_LENGTH >= 16
        assert set(password) <= set(string.ascii_letters + string.digits)
        assert any(c.islower() for c in password)
        assert any(c.isupper() for c in password)
        assert any(c.isdigit() for c in password)
        assert password not in await stored_secret(world.ctx, created.sub_account.id)
        revealed = await sub_accounts.reveal_password(
            world.ctx, world.reseller, created.sub_account.id
        )
        assert revealed == password
    assert one.password != two.password


async def test_only_its_reseller_may_reveal_a_password(ctx: ServicesContext) -> None:
    acme = await make_world(ctx)
    other = await make_world(ctx, name="Other")
    client_id, _ = await acme.client("Bob", attach=False)
    created = await sub_accounts.create_sub_account(ctx, acme.reseller, client_id, "bob-secret")
    line_id = created.sub_account.id
    with pytest.raises(NotFound):
        await sub_accounts.reveal_password(ctx, other.reseller, line_id)
    with pytest.raises(PermissionDenied):
        await sub_accounts.reveal_password(ctx, Actor.client(acme.reseller_id, client_id), line_id)
    with pytest.raises(InvalidInput):  # the operator acts only for a named reseller
        await sub_accounts.reveal_password(ctx, acme.operator, line_id)
    assert await sub_accounts.reveal_password(ctx, acme.reseller, line_id) == created.password


async def test_a_client_reveals_its_own_lines_once_its_portal_shows_them(
    ctx: ServicesContext,
) -> None:
    from api.services import branding

    acme = await make_world(ctx)
    bob, _ = await acme.client("Bob", attach=False)
    carol, _ = await acme.client("Carol", attach=False)
    mine = await sub_accounts.create_sub_account(ctx, acme.reseller, bob, "bob-own")
    theirs = await sub_accounts.create_sub_account(ctx, acme.reseller, carol, "carol-own")
    await branding.update_settings(ctx, acme.reseller, {"show_sip_passwords": True}, expected=None)
    as_bob = Actor.client(acme.reseller_id, bob)
    assert await sub_accounts.reveal_password(ctx, as_bob, mine.sub_account.id) == mine.password
    with pytest.raises(NotFound):
        await sub_accounts.reveal_password(ctx, as_bob, theirs.sub_account.id)


async def test_a_deleted_line_reveals_nothing(world: World) -> None:
    client_id, _ = await world.client("Bob", attach=False)
    created = await sub_accounts.create_sub_account(world.ctx, world.reseller, client_id, "bob-x")
    await sub_accounts.delete_sub_account(world.ctx, world.reseller, created.sub_account.id)
    with pytest.raises(NotFound):
        await sub_accounts.reveal_password(world.ctx, world.reseller, created.sub_account.id)


@pytest.mark.parametrize("bad", ["short", "x" * 129])
async def test_a_password_of_the_wrong_length_is_refused(world: World, bad: str) -> None:
    client_id, _ = await world.client("Bob", attach=False)
    with pytest.raises(InvalidInput) as refused:
        await sub_accounts.create_sub_account(
            world.ctx, world.reseller, client_id, "bob-y", password=bad
        )
    assert refused.value.field == "password"
    names = [s.username for s in await sub_accounts.list_sub_accounts(world.ctx, world.reseller)]
    assert "bob-y" not in names


@pytest.mark.parametrize(
    ("email", "accepted"),
    [
        ("", True),
        ("alice@example.com", True),
        ("a.b+c@mail.example.co.uk", True),
        ("not-an-email", False),
        ("alice@", False),
        ("@example.com", False),
        ("alice@example", False),
        ("al ice@example.com", False),
        ("alice@exa_mple.com", False),
        ("alice..b@example.com", False),
        ("x" * 65 + "@example.com", False),
    ],
)
async def test_email_addresses_are_checked(world: World, email: str, accepted: bool) -> None:
    if accepted:
        view = await clients.create_client(world.ctx, world.reseller, "Mailed", email=email)
        assert view.email == email
        return
    with pytest.raises(InvalidInput) as refused:
        await clients.create_client(world.ctx, world.reseller, "Mailed", email=email)
    assert refused.value.field == "email"
    client_id, _ = await world.client("Mailed")
    with pytest.raises(InvalidInput):
        await clients.update_client(world.ctx, world.reseller, client_id, email=email)


async def test_every_problem_of_a_client_is_reported_at_once_and_nothing_is_written(
    world: World,
) -> None:
    async with world.ctx.unit_of_work() as uow:
        before = await uow.session.scalar(select(func.count()).select_from(Account))
    with pytest.raises(InvalidFields) as refused:
        await clients.create_client(
            world.ctx, world.reseller, " ", billing_day=40, low_balance_threshold=-1,
            email="nope", balance_type="medium",
        )  # fmt: skip
    assert [field for field, _ in refused.value.problems] == [
        "name", "balance_type", "billing_day", "low_balance_threshold", "email",
    ]  # fmt: skip
    async with world.ctx.unit_of_work() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Account)) == before
