"""API tokens: issued once, stored as a hash, authenticated, revoked."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlmodel import col

from api.domain.actor import Actor
from api.domain.errors import NotFound, PermissionDenied, Unauthenticated
from api.services import resellers
from api.services.context import ServicesContext
from api.store.tables import ApiToken, Reseller
from tests.api.conftest import Clock

OPERATOR = Actor.operator()


async def stored_token(ctx: ServicesContext, token_id: int) -> ApiToken:
    async with ctx.unit_of_work() as uow:
        row = await uow.session.get(ApiToken, token_id)
        assert row is not None
        return row


async def test_the_first_token_of_a_reseller_authenticates_as_that_reseller(
    ctx: ServicesContext,
) -> None:
    created = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    other = await resellers.create_reseller(ctx, OPERATOR, "Other", "EUR")
    assert created.token.role == "reseller"
    assert created.token.reseller_id == created.reseller.id
    assert created.token.token != other.token.token
    actor = await resellers.authenticate_token(ctx, created.token.token)
    assert actor == Actor.reseller(created.reseller.id)
    assert await resellers.authenticate_token(ctx, other.token.token) == Actor.reseller(
        other.reseller.id
    )


async def test_only_the_hash_of_a_token_is_stored(ctx: ServicesContext) -> None:
    created = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    token = created.token.token
    row = await stored_token(ctx, created.token.id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(row.model_dump())
    async with ctx.unit_of_work() as uow:
        found = await uow.session.scalar(
            select(col(ApiToken.id)).where(col(ApiToken.token_hash) == token)
        )
    assert found is None


async def test_operator_and_reseller_issue_reseller_tokens(ctx: ServicesContext) -> None:
    created = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    reseller = Actor.reseller(created.reseller.id)
    by_operator = await resellers.create_token(
        ctx, OPERATOR, reseller_id=created.reseller.id, name="billing bot"
    )
    by_itself = await resellers.create_token(ctx, reseller, name="portal")
    assert len({created.token.id, by_operator.id, by_itself.id}) == 3
    for issued in (by_operator, by_itself):
        assert issued.role == "reseller"
        assert await resellers.authenticate_token(ctx, issued.token) == reseller
    assert (await stored_token(ctx, by_operator.id)).name == "billing bot"


async def test_a_reseller_cannot_issue_tokens_for_another(ctx: ServicesContext) -> None:
    acme = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    other = await resellers.create_reseller(ctx, OPERATOR, "Other", "USD")
    with pytest.raises(NotFound):
        await resellers.create_token(
            ctx, Actor.reseller(acme.reseller.id), reseller_id=other.reseller.id
        )
    with pytest.raises(PermissionDenied):
        await resellers.create_token(ctx, Actor.client(acme.reseller.id, 1))
    with pytest.raises(NotFound):
        await resellers.create_token(ctx, OPERATOR, reseller_id=999_999)


async def test_operator_token(ctx: ServicesContext) -> None:
    issued = await resellers.create_operator_token(ctx, "ops")
    assert issued.role == "operator"
    assert issued.reseller_id is None
    assert await resellers.authenticate_token(ctx, issued.token) == Actor.operator()
    row = await stored_token(ctx, issued.id)
    assert (row.role, row.reseller_id, row.name) == ("operator", None, "ops")
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()


async def test_a_revoked_token_is_unauthenticated(ctx: ServicesContext) -> None:
    created = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    reseller = Actor.reseller(created.reseller.id)
    spare = await resellers.create_token(ctx, reseller, name="spare")
    await resellers.revoke_token(ctx, OPERATOR, created.token.id)
    with pytest.raises(Unauthenticated):
        await resellers.authenticate_token(ctx, created.token.token)
    # the other token of the same reseller still works
    assert await resellers.authenticate_token(ctx, spare.token) == reseller
    first = (await stored_token(ctx, created.token.id)).revoked_at
    assert first is not None
    # revoking twice is fine and keeps the first revocation time
    await resellers.revoke_token(ctx, OPERATOR, created.token.id)
    assert (await stored_token(ctx, created.token.id)).revoked_at == first


async def test_a_revoked_operator_token_is_unauthenticated(ctx: ServicesContext) -> None:
    issued = await resellers.create_operator_token(ctx)
    await resellers.revoke_token(ctx, OPERATOR, issued.id)
    with pytest.raises(Unauthenticated):
        await resellers.authenticate_token(ctx, issued.token)


async def test_a_reseller_revokes_only_its_own_tokens(ctx: ServicesContext) -> None:
    acme = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    other = await resellers.create_reseller(ctx, OPERATOR, "Other", "USD")
    with pytest.raises(NotFound):
        await resellers.revoke_token(ctx, Actor.reseller(acme.reseller.id), other.token.id)
    assert await resellers.authenticate_token(ctx, other.token.token) == Actor.reseller(
        other.reseller.id
    )
    await resellers.revoke_token(ctx, Actor.reseller(acme.reseller.id), acme.token.id)
    with pytest.raises(Unauthenticated):
        await resellers.authenticate_token(ctx, acme.token.token)


async def test_a_reseller_cannot_revoke_an_operator_token(ctx: ServicesContext) -> None:
    acme = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    ops = await resellers.create_operator_token(ctx)
    with pytest.raises(NotFound):
        await resellers.revoke_token(ctx, Actor.reseller(acme.reseller.id), ops.id)
    with pytest.raises(NotFound):
        await resellers.revoke_token(ctx, Actor.client(acme.reseller.id, 1), acme.token.id)
    assert await resellers.authenticate_token(ctx, ops.token) == Actor.operator()


async def test_revoking_an_unknown_token(ctx: ServicesContext) -> None:
    with pytest.raises(NotFound):
        await resellers.revoke_token(ctx, OPERATOR, 999_999)


@pytest.mark.parametrize(
    "wrong",
    ["", "pb_", "not-a-token", "pb_" + "x" * 43, "pb_" + "x" * 300],
)
async def test_wrong_tokens_are_unauthenticated(ctx: ServicesContext, wrong: str) -> None:
    await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    await resellers.create_operator_token(ctx)
    with pytest.raises(Unauthenticated):
        await resellers.authenticate_token(ctx, wrong)


async def test_a_token_off_by_one_character_is_unauthenticated(ctx: ServicesContext) -> None:
    created = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    token = created.token.token
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (flipped, token + "x", token[:-1], token.upper(), f" {token}"):
        with pytest.raises(Unauthenticated):
            await resellers.authenticate_token(ctx, wrong)
    assert await resellers.authenticate_token(ctx, token) == Actor.reseller(created.reseller.id)


async def test_the_token_of_an_inactive_reseller_is_unauthenticated(ctx: ServicesContext) -> None:
    created = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    async with ctx.unit_of_work() as uow:
        await uow.session.execute(
            update(Reseller).where(col(Reseller.id) == created.reseller.id).values(status="closed")
        )
    with pytest.raises(Unauthenticated):
        await resellers.authenticate_token(ctx, created.token.token)


async def test_list_tokens_shows_every_token_without_secrets(
    ctx: ServicesContext, clock: Clock
) -> None:
    acme = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    other = await resellers.create_reseller(ctx, OPERATOR, "Other", "USD")
    ops = await resellers.create_operator_token(ctx, "ops")
    clock.advance(hours=1)
    await resellers.revoke_token(ctx, OPERATOR, acme.token.id)
    listed = await resellers.list_tokens(ctx, OPERATOR)
    assert [(t.id, t.role, t.reseller_id, t.name) for t in listed] == [
        (acme.token.id, "reseller", acme.reseller.id, "Acme (first token)"),
        (other.token.id, "reseller", other.reseller.id, "Other (first token)"),
        (ops.id, "operator", None, "ops"),
    ]
    assert [t.revoked_at for t in listed] == [clock.now, None, None]
    assert all(t.created_at == clock.now - timedelta(hours=1) for t in listed)
    for secret in (acme.token.token, ops.token, hashlib.sha256(ops.token.encode()).hexdigest()):
        assert secret not in repr(listed)
    only_other = await resellers.list_tokens(ctx, OPERATOR, other.reseller.id)
    assert [t.id for t in only_other] == [other.token.id]


async def test_only_the_operator_lists_tokens(ctx: ServicesContext) -> None:
    acme = await resellers.create_reseller(ctx, OPERATOR, "Acme", "USD")
    with pytest.raises(PermissionDenied):
        await resellers.list_tokens(ctx, Actor.reseller(acme.reseller.id))
