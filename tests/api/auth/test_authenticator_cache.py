"""Verified credentials are cached briefly; revocations empty the cache at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from api.auth.authenticate import Authenticator
from api.domain.actor import Actor
from api.events import BalanceChanged, CredentialRevoked, EventBus

NOW = datetime(2026, 11, 26, tzinfo=UTC)


class Verifier:
    """A stand-in API-token service that counts its calls."""

    def __init__(self) -> None:
        self.valid: dict[str, Actor] = {"pb_good": Actor.reseller(1)}
        self.calls = 0

    async def __call__(self, token: str) -> Actor | None:
        self.calls += 1
        return self.valid.get(token)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _authenticator(verifier: Verifier, clock: Clock) -> Authenticator:
    portal: Any = None  # portal sessions are not used by these tests
    return Authenticator(portal, verifier, cache_seconds=2.0, monotonic=clock)


async def test_a_verified_token_is_not_looked_up_again_within_the_ttl() -> None:
    verifier, clock = Verifier(), Clock()
    auth = _authenticator(verifier, clock)
    assert await auth.actor_for_token("pb_good") == Actor.reseller(1)
    clock.now += 1.9
    assert await auth.actor_for_token("pb_good") == Actor.reseller(1)
    assert verifier.calls == 1
    clock.now += 0.2
    verifier.valid.clear()  # revoked elsewhere: seen once the entry expires
    assert await auth.actor_for_token("pb_good") is None
    assert verifier.calls == 2


async def test_refusals_are_never_cached() -> None:
    verifier, clock = Verifier(), Clock()
    auth = _authenticator(verifier, clock)
    assert await auth.actor_for_token("pb_new") is None
    verifier.valid["pb_new"] = Actor.reseller(2)
    assert await auth.actor_for_token("pb_new") == Actor.reseller(2)


async def test_a_revocation_on_the_bus_empties_the_cache_at_once() -> None:
    verifier, clock = Verifier(), Clock()
    auth = _authenticator(verifier, clock)
    bus = EventBus()
    bus.add_listener(auth.on_event)
    await auth.actor_for_token("pb_good")
    bus.publish(BalanceChanged(1, 1, 0, "USD", NOW))  # other events keep the cache
    await auth.actor_for_token("pb_good")
    assert verifier.calls == 1
    verifier.valid.clear()
    bus.publish(CredentialRevoked(1, None, NOW))
    assert await auth.actor_for_token("pb_good") is None


async def test_forget_drops_one_token() -> None:
    verifier, clock = Verifier(), Clock()
    auth = _authenticator(verifier, clock)
    await auth.actor_for_token("pb_good")
    auth.forget("pb_good")
    await auth.actor_for_token("pb_good")
    assert verifier.calls == 2


class SlowVerifier(Verifier):
    """Answers only when released, to hold look-ups in flight."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()

    async def __call__(self, token: str) -> Actor | None:
        self.calls += 1
        answer = self.valid.get(token)  # what the database said when asked
        await self.release.wait()
        return answer


async def test_concurrent_look_ups_of_one_token_share_one_query() -> None:
    verifier, clock = SlowVerifier(), Clock()
    auth = _authenticator(verifier, clock)
    waiting = [asyncio.create_task(auth.actor_for_token("pb_good")) for _ in range(50)]
    await asyncio.sleep(0)
    verifier.release.set()
    assert await asyncio.gather(*waiting) == [Actor.reseller(1)] * 50
    assert verifier.calls == 1


async def test_a_look_up_in_flight_during_a_revocation_is_not_cached_nor_shared() -> None:
    verifier, clock = SlowVerifier(), Clock()
    auth = _authenticator(verifier, clock)
    early = asyncio.create_task(auth.actor_for_token("pb_good"))
    while verifier.calls < 1:
        await asyncio.sleep(0)
    auth.on_event(CredentialRevoked(1, None, NOW))
    del verifier.valid["pb_good"]
    late = asyncio.create_task(auth.actor_for_token("pb_good"))
    while verifier.calls < 2:
        await asyncio.sleep(0)
    verifier.release.set()
    assert await early == Actor.reseller(1)  # it asked before the revocation
    assert await late is None  # a fresh look-up, not the one in flight
    assert await auth.actor_for_token("pb_good") is None
    assert verifier.calls == 3


async def test_a_cancelled_caller_does_not_cancel_the_shared_look_up() -> None:
    verifier, clock = SlowVerifier(), Clock()
    auth = _authenticator(verifier, clock)
    first = asyncio.create_task(auth.actor_for_token("pb_good"))
    second = asyncio.create_task(auth.actor_for_token("pb_good"))
    await asyncio.sleep(0)
    first.cancel()
    verifier.release.set()
    assert await second == Actor.reseller(1)
    assert verifier.calls == 1
