"""What every use case receives: the database, the bus, the clock, the cipher, caches."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.auth.rate_limit import RateLimit
from api.events import Event, EventBus
from api.services.secrets import PasswordCipher
from api.settings import Settings
from api.store.unit_of_work import UnitOfWork
from ratelang.model import CompiledPackage, Deck

K = TypeVar("K")
V = TypeVar("V")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class LruCache(Generic[K, V]):
    """A small bounded cache of immutable values (compiled packages, decks)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> V:
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)
        return value

    def __len__(self) -> int:
        return len(self._items)


@dataclass(eq=False)
class ServicesContext:
    """Long-lived (one per process or per test): never holds a session.

    ``packages`` caches compiled packages by package version id, ``decks`` parsed decks by
    deck version; both are immutable once stored, so the caches never go stale.
    """

    sessionmaker: async_sessionmaker[AsyncSession]
    bus: EventBus
    cipher: PasswordCipher
    clock: Clock = utc_now
    max_call_seconds: int = 4 * 3600
    public_url: str = "http://127.0.0.1:8000"  # the platform's base URL (portal links)
    hostname_fee: int = 10_000_000  # the one-time fee of a portal hostname (micro-units)
    reset_requests: RateLimit = field(default_factory=lambda: RateLimit(10, 900.0))
    packages: LruCache[int, CompiledPackage] = field(default_factory=lambda: LruCache(512))
    decks: LruCache[str, Deck] = field(default_factory=lambda: LruCache(4))

    def unit_of_work(self) -> UnitOfWork:
        """A new writing transaction: ``async with ctx.unit_of_work() as uow: ...``
        (``BEGIN IMMEDIATE`` on SQLite; the default for anything that may write)."""
        return UnitOfWork(self.sessionmaker, self.bus, before_commit=self._before_commit)

    def read(self) -> UnitOfWork:
        """A new read-only transaction: ``async with ctx.read() as uow: ...`` (a deferred
        ``BEGIN`` on SQLite, so it never queues behind writers); it must not write."""
        return UnitOfWork(self.sessionmaker, self.bus, read_only=True)

    async def _before_commit(self, uow: UnitOfWork, events: list[Event]) -> None:
        """The e-mails the unit of work's events cause, queued in its transaction."""
        from api.services.mail_events import queue_event_mail

        for event in events:
            await queue_event_mail(self, uow, event)

    def now(self) -> datetime:
        now = self.clock()
        if now.tzinfo is None:
            raise ValueError("the clock must return aware datetimes (UTC)")
        return now

    def __repr__(self) -> str:
        return "ServicesContext(<sessionmaker>, <bus>, <cipher>)"


def build_context(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    bus: EventBus | None = None,
    clock: Clock = utc_now,
) -> ServicesContext:
    """The context for ``settings`` (the cipher key comes from ``settings.secret_key``)."""
    return ServicesContext(
        sessionmaker=sessionmaker,
        bus=bus or EventBus(),
        cipher=PasswordCipher(settings.secret_key),
        clock=clock,
        max_call_seconds=settings.max_call_seconds,
        public_url=settings.links_base,
        hostname_fee=settings.hostname_fee,
    )
