"""The unit of work publishes its events only after the commit, and drops them on rollback."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from api.events import BalanceChanged, Event, EventBus, LowBalance
from api.store.tables import Reseller
from api.store.unit_of_work import UnitOfWork
from tests.conftest import Database

AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


class RecordingBus(EventBus):
    """Writes each publication into the shared ``log`` (next to the commits)."""

    def __init__(self, log: list[object]) -> None:
        super().__init__()
        self.log = log

    def publish(self, event: Event) -> None:
        self.log.append(("published", event))
        super().publish(event)


class Boom(Exception):
    pass


class Tracked:
    """A sessionmaker whose sessions log their commits, and can be told to fail them."""

    def __init__(self, database: Database, log: list[object]) -> None:
        self._make = database.sessionmaker
        self.log = log
        self.fail_commit = False

    def __call__(self) -> AsyncSession:
        session = self._make()
        real_commit = session.commit

        async def commit() -> None:
            if self.fail_commit:
                self.log.append("commit failed")
                raise Boom("the commit failed")
            await real_commit()
            self.log.append("committed")

        session.commit = commit  # type: ignore[method-assign]
        return session


def changed(client_id: int, balance: int = 0) -> BalanceChanged:
    return BalanceChanged(1, client_id, balance, "USD", AT)


async def reseller_names(database: Database) -> list[str]:
    async with database.sessionmaker() as session:
        return list(await session.scalars(select(col(Reseller.name)).order_by(col(Reseller.name))))


def make(database: Database) -> tuple[UnitOfWork, list[object], Tracked]:
    log: list[object] = []
    sessions = Tracked(database, log)
    return UnitOfWork(sessions, RecordingBus(log)), log, sessions  # type: ignore[arg-type]


async def test_events_are_published_after_the_commit_in_order(database: Database) -> None:
    uow, log, _ = make(database)
    first, second = changed(1), LowBalance(1, 1, -5, 0, "USD", AT)
    async with uow:
        uow.session.add(Reseller(name="Acme", currency="USD", created_at=AT))
        uow.emit(first)
        uow.emit(second)
        await uow.session.flush()
        assert log == []  # nothing reaches the bus while the transaction is open
    assert log == ["committed", ("published", first), ("published", second)]
    assert await reseller_names(database) == ["Acme"]


async def test_subscribers_receive_events_only_after_the_commit(database: Database) -> None:
    bus = EventBus()
    uow = UnitOfWork(database.sessionmaker, bus)
    received: list[Event] = []
    async with bus.subscribe(1) as events:

        async def collect() -> None:
            async for event in events:
                received.append(event)

        listener = asyncio.create_task(collect())
        async with uow:
            uow.emit(changed(7, 42))
            await asyncio.sleep(0.05)  # give the listener every chance to see it early
            assert received == []
        async with asyncio.timeout(2):
            while not received:
                await asyncio.sleep(0.01)
        listener.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await listener
    assert received == [changed(7, 42)]


async def test_a_rollback_drops_the_events_and_the_rows(database: Database) -> None:
    uow, log, _ = make(database)

    async def failing_use_case() -> None:
        async with uow:
            uow.session.add(Reseller(name="Ghost", currency="USD", created_at=AT))
            await uow.session.flush()
            uow.emit(changed(1))
            raise Boom("the use case failed")

    with pytest.raises(Boom, match="the use case failed"):
        await failing_use_case()
    assert log == []
    assert await reseller_names(database) == []


async def test_a_failed_commit_publishes_nothing(database: Database) -> None:
    uow, log, sessions = make(database)
    sessions.fail_commit = True

    async def use_case() -> None:
        async with uow:
            uow.session.add(Reseller(name="Ghost", currency="USD", created_at=AT))
            uow.emit(changed(1))

    with pytest.raises(Boom, match="the commit failed"):
        await use_case()
    assert log == ["commit failed"]
    assert await reseller_names(database) == []


async def test_dropped_events_do_not_leak_into_the_next_transaction(database: Database) -> None:
    uow, log, _ = make(database)

    async def first_attempt() -> None:
        async with uow:
            uow.emit(changed(1))
            raise Boom("first attempt")

    with pytest.raises(Boom):
        await first_attempt()
    async with uow:  # the same unit of work, reused for a retry
        uow.emit(changed(2))
    assert log == ["committed", ("published", changed(2))]


async def test_events_are_published_once(database: Database) -> None:
    uow, log, _ = make(database)
    async with uow:
        uow.emit(changed(1))
    async with uow:
        pass
    assert log == ["committed", ("published", changed(1)), "committed"]


async def test_the_session_exists_only_inside_the_block(database: Database) -> None:
    uow = UnitOfWork(database.sessionmaker, EventBus())
    with pytest.raises(RuntimeError, match="not open"):
        _ = uow.session
    async with uow:
        assert uow.backend == database.backend
    with pytest.raises(RuntimeError, match="not open"):
        _ = uow.session
