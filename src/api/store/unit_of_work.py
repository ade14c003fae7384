"""The unit of work: one database transaction, its repositories, and its events.

Repositories flush and never commit; the unit of work commits on a clean exit, rolls back
on an exception, and publishes the collected events to the bus only after the commit
succeeded (a rollback drops them).

A unit of work is a writer by default (``BEGIN IMMEDIATE`` on SQLite). ``read_only=True``
makes it a reader (a deferred ``BEGIN``: it neither waits for nor blocks a writer, see
:mod:`api.store.engine`); a reader must not write, emits no events and ends with a
rollback, since there is nothing to commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.events import Event, EventBus
from api.store.accounts import AccountRepository
from api.store.cdrs.repository import CdrRepository
from api.store.engine import begin_read_only
from api.store.idempotency import IdempotencyRepository
from api.store.ledger import LedgerRepository

BeforeCommit = Callable[["UnitOfWork", list[Event]], Awaitable[None]]
"""Runs inside the transaction, just before the commit, with the events to publish (the
outbox writes the e-mails they cause); an exception there rolls everything back."""


class UnitOfWork:
    """``async with UnitOfWork(sessionmaker, bus) as uow: ...`` — commit on success."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        bus: EventBus,
        *,
        read_only: bool = False,
        before_commit: BeforeCommit | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._bus = bus
        self.read_only = read_only
        self._before_commit = before_commit
        self._events: list[Event] = []
        self._session: AsyncSession | None = None

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open")
        return self._session

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.session.get_bind().dialect.name

    @property
    def accounts(self) -> AccountRepository:
        return AccountRepository(self.session)

    @property
    def ledger(self) -> LedgerRepository:
        return LedgerRepository(self.session)

    @property
    def cdrs(self) -> CdrRepository:
        return CdrRepository(self.session)

    @property
    def idempotency_keys(self) -> IdempotencyRepository:
        return IdempotencyRepository(self.session)

    def emit(self, event: Event) -> None:
        """Queue ``event``; it is published after the commit, or dropped on rollback."""
        if self.read_only:
            raise RuntimeError("a read-only unit of work emits no events")
        self._events.append(event)

    async def __aenter__(self) -> UnitOfWork:
        self._events = []
        self._session = self._sessionmaker()
        if self.read_only:
            await begin_read_only(self._session)
        else:
            await self._session.begin()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        committed = False
        try:
            if exc_type is None and not self.read_only:
                try:
                    if self._before_commit is not None and self._events:
                        await self._before_commit(self, list(self._events))
                except BaseException:
                    await session.rollback()
                    raise
                await session.commit()
                committed = True
            else:
                await session.rollback()
        finally:
            await session.close()
            self._session = None
        if committed:
            events, self._events = self._events, []
            self._bus.publish_all(events)
