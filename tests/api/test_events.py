"""The event bus delivers to the right tenant and client, and never blocks the publisher."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from api.events import QUEUE_SIZE, BalanceChanged, EventBus, SuspensionChanged

NOW = datetime(2026, 11, 26, tzinfo=UTC)


def _balance(reseller: int, client: int, amount: int) -> BalanceChanged:
    return BalanceChanged(reseller, client, amount, "USD", NOW)


async def _next(events: object) -> object:
    return await asyncio.wait_for(anext(events), timeout=1)  # type: ignore[call-overload]


async def test_events_reach_only_their_tenant_and_client() -> None:
    bus = EventBus()
    async with (
        bus.subscribe(1) as tenant_events,
        bus.subscribe(1, client_id=7) as client_events,
        bus.subscribe(2) as other_tenant,
    ):
        bus.publish(_balance(1, 8, 100))
        bus.publish(_balance(1, 7, 200))
        assert await _next(tenant_events) == _balance(1, 8, 100)
        assert await _next(tenant_events) == _balance(1, 7, 200)
        assert await _next(client_events) == _balance(1, 7, 200)
        bus.publish(SuspensionChanged(2, 9, True, NOW))
        assert await _next(other_tenant) == SuspensionChanged(2, 9, True, NOW)
    assert bus.subscriber_count() == 0


async def test_a_slow_subscriber_loses_the_oldest_events() -> None:
    bus = EventBus()
    async with bus.subscribe(1) as events:
        for amount in range(QUEUE_SIZE + 5):
            bus.publish(_balance(1, 1, amount))
        first = await _next(events)
    assert first == _balance(1, 1, 5)
