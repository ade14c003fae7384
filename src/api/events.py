"""The in-process event bus: balance, low-balance and suspension events, after commit.

Publishers call :meth:`EventBus.publish` only after their transaction committed (the unit
of work queues events and flushes them on commit; a rollback drops them). Listeners (in-process
consumers such as the authentication cache) get every event; subscribers get
the events of one reseller, optionally of one client, through a bounded queue: a
subscriber that falls more than ``QUEUE_SIZE`` events behind loses the oldest ones rather
than slowing the publisher.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime

QUEUE_SIZE = 1000


@dataclass(frozen=True, slots=True)
class BalanceChanged:
    reseller_id: int
    client_id: int
    balance: int  # micro-units
    currency: str
    at: datetime


@dataclass(frozen=True, slots=True)
class LowBalance:
    """A client's balance crossed its threshold downwards (once per crossing)."""

    reseller_id: int
    client_id: int
    balance: int
    threshold: int
    currency: str
    at: datetime


@dataclass(frozen=True, slots=True)
class SuspensionChanged:
    reseller_id: int
    client_id: int
    suspended: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class CredentialRevoked:
    """An API token was revoked or a client's portal sessions ended (for auth caches)."""

    reseller_id: int | None
    client_id: int | None
    at: datetime


Event = BalanceChanged | LowBalance | SuspensionChanged | CredentialRevoked
Listener = Callable[[Event], None]


@dataclass(eq=False)
class _Subscriber:
    reseller_id: int
    client_id: int | None
    queue: asyncio.Queue[Event]

    def wants(self, event: Event) -> bool:
        return self.client_id is None or self.client_id == event.client_id


class EventBus:
    """Fan-out of events to the subscribers of one tenant (and optionally one client)."""

    def __init__(self) -> None:
        self._subscribers: dict[int, set[_Subscriber]] = defaultdict(set)
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` synchronously with every event of every tenant (in-process
        consumers such as the authentication cache)."""
        self._listeners.append(listener)

    def publish(self, event: Event) -> None:
        """Deliver ``event`` to the listeners and every matching subscriber, without waiting."""
        for listener in self._listeners:
            listener(event)
        if event.reseller_id is None:
            return
        for subscriber in tuple(self._subscribers.get(event.reseller_id, ())):
            if not subscriber.wants(event):
                continue
            queue = subscriber.queue
            if queue.full():
                queue.get_nowait()
            queue.put_nowait(event)

    def publish_all(self, events: list[Event]) -> None:
        for event in events:
            self.publish(event)

    @asynccontextmanager
    async def subscribe(
        self, reseller_id: int, client_id: int | None = None
    ) -> AsyncIterator[AsyncIterator[Event]]:
        """``async with bus.subscribe(r) as events: async for event in events: ...``"""
        subscriber = _Subscriber(reseller_id, client_id, asyncio.Queue(QUEUE_SIZE))
        self._subscribers[reseller_id].add(subscriber)
        try:
            yield _drain(subscriber.queue)
        finally:
            self._subscribers[reseller_id].discard(subscriber)
            if not self._subscribers[reseller_id]:
                del self._subscribers[reseller_id]

    def subscriber_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())


async def _drain(queue: asyncio.Queue[Event]) -> AsyncIterator[Event]:
    while True:
        yield await queue.get()
