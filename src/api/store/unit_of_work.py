"""The unit of work: one database transaction, its repositories, and its events.

Repositories flush and never commit; the unit of work commits on a clean exit, rolls back
on an exception, and publishes the collected events to the bus only after the commit
succeeded (a rollback drops them).
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from api.events import Event, EventBus
from api.store.accounts import AccountRepository
from api.store.cdrs import CdrRepository
from api.store.ledger import LedgerRepository


class UnitOfWork:
    """``async with UnitOfWork(sessionmaker, bus) as uow: ...`` — commit on success."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], bus: EventBus) -> None:
        self._sessionmaker = sessionmaker
        self._bus = bus
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

    def emit(self, event: Event) -> None:
        """Queue ``event``; it is published after the commit, or dropped on rollback."""
        self._events.append(event)

    async def __aenter__(self) -> UnitOfWork:
        self._events = []
        self._session = self._sessionmaker()
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
            if exc_type is None:
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
