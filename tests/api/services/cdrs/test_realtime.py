"""The real-time path (one CDR per transaction): under concurrency PostgreSQL's guarded
write falls back to the locked transaction when something moved between its read and its
write; balances, free minutes and flags stay exact, and each event is published once.
Cold caches are loaded before the CDR is rated again."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

import api.services.cdrs.realtime as realtime
from api.domain.errors import NotFound
from api.events import BalanceChanged, Event, LowBalance, SuspensionChanged
from api.services import cdrs, clients, payments
from api.services.context import LruCache
from api.services.records import CdrInput
from api.store.cdrs.writes import GuardedWrite
from tests.api.conftest import START, World


def call(line: str, call_id: str, number: str = "+442071234567", seconds: int = 60) -> CdrInput:
    return CdrInput("sw", call_id, line, "outbound", number, START, seconds)


def backend(world: World) -> str:
    return str(world.ctx.sessionmaker.kw["bind"].dialect.name)


async def test_concurrent_calls_cross_the_threshold_and_zero_once(
    world: World, events: list[Event]
) -> None:
    client_id, line = await world.client(
        "Hard", balance_type="hard", paid=15_200_000, threshold=100_000
    )
    start = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    assert start == 200_000  # after the setup and first monthly fees
    events.clear()
    results = await asyncio.gather(
        *[cdrs.rate_cdr(world.ctx, world.reseller, call(line, f"h{i}")) for i in range(40)]
    )
    assert all(r.sell == 9_600 and not r.duplicate for r in results)
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert (view.balance, view.suspended) == (start - 40 * 9_600, True)
    mine = [e for e in events if getattr(e, "client_id", None) == client_id]
    assert len([e for e in mine if isinstance(e, LowBalance)]) == 1
    assert [e.suspended for e in mine if isinstance(e, SuspensionChanged)] == [True]
    balances = sorted(e.balance for e in mine if isinstance(e, BalanceChanged))
    assert balances == sorted(start - k * 9_600 for k in range(1, 41))


async def test_concurrent_calls_share_the_free_minutes_exactly(world: World) -> None:
    client_id, line = await world.client("Free", paid=50_000_000)
    start = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    results = await asyncio.gather(
        *[
            cdrs.rate_cdr(world.ctx, world.reseller, call(line, f"f{i}", "+12125550100"))
            for i in range(20)
        ]
    )
    assert sum(r.free_minutes_used for r in results) == 10  # the package's 10 free minutes
    assert len([r for r in results if r.sell == 0]) == 10
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert view.balance == start - sum(r.sell for r in results)


async def test_a_payment_between_read_and_write_moves_the_call_to_the_locked_path(
    world: World, events: list[Event], monkeypatch: pytest.MonkeyPatch
) -> None:
    # threshold 1.00: no low-balance crossing (that call would leave the fast path)
    client_id, line = await world.client(
        "Racy", balance_type="hard", paid=20_000_000, threshold=1_000_000
    )
    start = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    injected: list[bool] = []
    written: list[bool] = []
    resolve = realtime.resolve_call
    guarded = realtime.guarded_write_postgres

    async def racing_resolve(*args: Any, **kwargs: Any) -> Any:
        found = await resolve(*args, **kwargs)
        if kwargs.get("unlocked") and not injected:  # PostgreSQL's unlocked read only
            injected.append(True)
            await payments.add_payment(world.ctx, world.reseller, client_id, 1_000_000)
        return found

    async def spying_write(*args: Any, **kwargs: Any) -> GuardedWrite:
        result = await guarded(*args, **kwargs)
        written.append(result.ok)
        return result

    monkeypatch.setattr(realtime, "resolve_call", racing_resolve)
    monkeypatch.setattr(realtime, "guarded_write_postgres", spying_write)
    events.clear()
    result = await cdrs.rate_cdr(world.ctx, world.reseller, call(line, "race"))
    paid = 1_000_000 if injected else 0
    if backend(world) == "postgresql":
        assert injected == [True]
        assert written == [False]  # the guard saw the payment
    view = await clients.get_client(world.ctx, world.reseller, client_id)
    assert view.balance == start + paid - result.sell
    charged = [
        e.balance for e in events if isinstance(e, BalanceChanged) and e.client_id == client_id
    ]
    assert charged[-1] == start + paid - result.sell
    assert len(charged) == (2 if injected else 1)  # the payment's, then the call's once
    again = await cdrs.rate_cdr(world.ctx, world.reseller, call(line, "race"))
    assert again.duplicate
    assert again.id == result.id


async def test_a_resubmitted_cdr_writes_nothing_and_publishes_nothing(
    world: World, events: list[Event]
) -> None:
    client_id, line = await world.client("Twice", paid=20_000_000)
    first = await cdrs.rate_cdr(world.ctx, world.reseller, call(line, "dup"))
    balance = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    events.clear()
    again = await cdrs.rate_cdr(world.ctx, world.reseller, call(line, "dup", seconds=600))
    assert again.duplicate
    assert (again.id, again.sell) == (first.id, first.sell)
    assert (await clients.get_client(world.ctx, world.reseller, client_id)).balance == balance
    assert not [e for e in events if getattr(e, "client_id", None) == client_id]


async def test_the_first_cdr_after_a_restart_loads_the_package_and_deck_then_rates(
    world: World, events: list[Event]
) -> None:
    """Cold caches (a new process): the read finds nothing cached, the transaction is
    rolled back, the version and deck are loaded, and the CDR is rated once."""
    client_id, line = await world.client("Cold", paid=20_000_000)
    warm = await cdrs.rate_cdr(world.ctx, world.reseller, call(line, "warm"))
    before = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    restarted = dataclasses.replace(world.ctx, packages=LruCache(512), decks=LruCache(4))
    events.clear()
    cold = await cdrs.rate_cdr(restarted, world.reseller, call(line, "cold"))
    assert (cold.status, cold.sell, cold.cost) == ("rated", warm.sell, warm.cost)
    assert cold.package_version_id is not None
    assert restarted.packages.get(cold.package_version_id) is not None
    assert restarted.decks.get(cold.deck_version) is not None
    balance = (await clients.get_client(world.ctx, world.reseller, client_id)).balance
    assert balance == before - cold.sell
    assert [e.balance for e in events if isinstance(e, BalanceChanged)] == [balance]


async def test_a_deck_that_cannot_be_loaded_is_a_clear_error(world: World) -> None:
    with pytest.raises(LookupError, match="deck version 'gone' is not stored"):
        await realtime.load_rating_inputs(world.ctx, None, "gone")


async def test_a_cdr_of_no_reseller_is_not_found(world: World) -> None:
    _, line = await world.client("Nobody")
    with pytest.raises(NotFound):
        await realtime.rate_call(world.ctx, 10_000_000, call(line, "orphan"))
