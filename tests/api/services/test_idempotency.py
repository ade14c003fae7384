"""Idempotency keys of payments and charges: a retry returns the first result and posts
nothing, other arguments are a conflict, keys are per reseller and kept 30 days, and
concurrent twins post once — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlmodel import col

from api.domain.errors import Conflict, InsufficientBalance, InvalidInput
from api.services import clients, payments
from api.services.idempotency import MAX_KEY
from api.services.records import MoneyMovement
from api.store.tables import IdempotencyKey, LedgerTransaction
from tests.api.conftest import Clock, World, make_world


async def posted(world: World, client_id: int) -> int:
    """Payments and charges posted to the client."""
    async with world.ctx.read() as uow:
        count = await uow.session.scalar(
            select(func.count()).where(
                col(LedgerTransaction.client_id) == client_id,
                col(LedgerTransaction.kind).in_(["payment", "charge"]),
            )
        )
    return int(count or 0)


async def balance(world: World, client_id: int) -> int:
    return (await clients.get_client(world.ctx, world.reseller, client_id)).balance


async def test_a_retry_returns_the_first_result_and_posts_nothing(
    world: World, clock: Clock
) -> None:
    client_id, _ = await world.client("Retry", attach=False)
    first = await payments.add_payment(
        world.ctx, world.reseller, client_id, 5_000_000, description="wire", idempotency_key="k-1"
    )
    clock.advance(minutes=5)
    await payments.add_payment(world.ctx, world.reseller, client_id, 1_000_000)  # moves on
    again = await payments.add_payment(
        world.ctx, world.reseller, client_id, 5_000_000, description="wire", idempotency_key="k-1"
    )
    assert again == first  # the first answer: its transaction, balance and time
    assert (await posted(world, client_id), await balance(world, client_id)) == (2, 6_000_000)
    charge = await payments.add_charge(
        world.ctx, world.reseller, client_id, 2_000_000, idempotency_key="k-2"
    )
    assert charge == await payments.add_charge(
        world.ctx, world.reseller, client_id, 2_000_000, idempotency_key="k-2"
    )
    assert (await posted(world, client_id), await balance(world, client_id)) == (3, 4_000_000)


@pytest.mark.parametrize(
    "change",
    [
        {"amount": 5_000_001},
        {"description": "other"},
        {"client": "other"},
        {"charge": True},
    ],
)
async def test_the_same_key_with_other_arguments_is_a_conflict(
    world: World, change: dict[str, object]
) -> None:
    client_id, _ = await world.client("Keyed", attach=False)
    other_id, _ = await world.client("Other", attach=False)
    await payments.add_payment(
        world.ctx, world.reseller, client_id, 5_000_000, description="d", idempotency_key="same"
    )
    post = payments.add_charge if change.get("charge") else payments.add_payment
    target = other_id if change.get("client") else client_id
    with pytest.raises(Conflict, match="idempotency_key"):
        await post(
            world.ctx,
            world.reseller,
            target,
            int(change.get("amount", 5_000_000)),  # type: ignore[call-overload]
            description=str(change.get("description", "d")),
            idempotency_key="same",
        )
    assert (await posted(world, client_id), await posted(world, other_id)) == (1, 0)
    assert await balance(world, client_id) == 5_000_000


async def test_keys_belong_to_one_reseller(world: World) -> None:
    other = await make_world(world.ctx, name="Other Reseller")
    mine, _ = await world.client("Mine", attach=False)
    theirs, _ = await other.client("Theirs", attach=False)
    a = await payments.add_payment(world.ctx, world.reseller, mine, 1_000_000, idempotency_key="x")
    b = await payments.add_payment(
        other.ctx, other.reseller, theirs, 2_000_000, idempotency_key="x"
    )
    assert a.transaction_id != b.transaction_id
    assert (await balance(world, mine), await balance(other, theirs)) == (1_000_000, 2_000_000)


async def test_keys_are_kept_30_days_then_forgotten(world: World, clock: Clock) -> None:
    client_id, _ = await world.client("Old", attach=False)
    first = await payments.add_payment(
        world.ctx, world.reseller, client_id, 1_000_000, idempotency_key="monthly"
    )
    clock.advance(days=30)  # exactly 30 days later: still the same request
    assert (
        await payments.add_payment(
            world.ctx, world.reseller, client_id, 1_000_000, idempotency_key="monthly"
        )
        == first
    )
    clock.advance(seconds=1)  # older than 30 days: forgotten, a new payment
    later = await payments.add_payment(
        world.ctx, world.reseller, client_id, 3_000_000, idempotency_key="monthly"
    )
    assert later.transaction_id != first.transaction_id
    assert await balance(world, client_id) == 4_000_000
    async with world.ctx.read() as uow:
        kept = (await uow.session.scalars(select(IdempotencyKey))).all()
        assert [(k.key, k.transaction_id) for k in kept] == [("monthly", later.transaction_id)]


@pytest.mark.parametrize("key", ["", "k" * (MAX_KEY + 1), "line\nbreak"])
async def test_a_bad_key_is_refused_before_anything_is_written(world: World, key: str) -> None:
    client_id, _ = await world.client("Bad", attach=False)
    with pytest.raises(InvalidInput) as refused:
        await payments.add_payment(world.ctx, world.reseller, client_id, 1, idempotency_key=key)
    assert refused.value.field == "idempotency_key"
    assert await posted(world, client_id) == 0


async def test_a_refused_charge_is_not_remembered(world: World) -> None:
    client_id, _ = await world.client("Hard", balance_type="hard", paid=1_000_000, attach=False)
    with pytest.raises(InsufficientBalance):
        await payments.add_charge(
            world.ctx, world.reseller, client_id, 2_000_000, allow_overdraft=False,
            idempotency_key="c",
        )  # fmt: skip
    await payments.add_payment(world.ctx, world.reseller, client_id, 5_000_000)
    charged = await payments.add_charge(
        world.ctx, world.reseller, client_id, 2_000_000, allow_overdraft=False, idempotency_key="c"
    )
    assert charged.balance == 4_000_000


async def test_concurrent_twins_post_once(world: World) -> None:
    client_id, _ = await world.client("Twins", attach=False)
    results = await asyncio.gather(
        *[
            payments.add_payment(
                world.ctx, world.reseller, client_id, 7_000_000, idempotency_key="race"
            )
            for _ in range(20)
        ]
    )
    assert len({r.transaction_id for r in results}) == 1
    assert all(r == results[0] for r in results)
    assert results[0].balance == 7_000_000
    assert (await posted(world, client_id), await balance(world, client_id)) == (1, 7_000_000)


async def test_concurrent_requests_with_one_key_and_other_arguments(world: World) -> None:
    client_id, _ = await world.client("Mixed", attach=False)
    outcomes = await asyncio.gather(
        *[
            payments.add_payment(
                world.ctx,
                world.reseller,
                client_id,
                1_000_000 * (1 + i % 3),
                idempotency_key="mixed",
            )
            for i in range(18)
        ],
        return_exceptions=True,
    )
    results = [o for o in outcomes if isinstance(o, MoneyMovement)]
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(results) + len(conflicts) == 18, outcomes
    amounts = {r.amount for r in results}
    assert len(amounts) == 1
    assert len({r.transaction_id for r in results}) == 1
    assert len(results) == 6  # the winner's amount was asked 6 times; the 12 others conflict
    assert (await posted(world, client_id), await balance(world, client_id)) == (1, amounts.pop())
