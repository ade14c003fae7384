"""One short transaction on a pooled driver connection, outside SQLAlchemy's session.

The real-time CDR path runs one transaction per CDR; a session costs several hundred
microseconds before any work (unit of work, ORM bookkeeping, SQLAlchemy's BEGIN and a
thread hop per statement on aiosqlite). :func:`realtime_transaction` checks a connection
out of the engine's pool and gives its driver connection:

- SQLite (aiosqlite): :meth:`SqliteTransaction.begin_fetch` runs ``BEGIN IMMEDIATE`` and
  the read query in ONE hop to the connection's thread; :meth:`SqliteTransaction.finish`
  runs every write and ``COMMIT`` as one function in that thread (one more hop). The
  write lock is held from the read to the commit, so what was read stays exact.
- PostgreSQL (asyncpg): ``BEGIN`` and ``COMMIT`` on the raw connection; each statement is
  one round trip (prepared statements are cached by asyncpg).

A transaction that is not finished is rolled back when the block exits.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Date, DateTime
from sqlalchemy.ext.asyncio import AsyncEngine

from api.store.bulk import _processor

T = TypeVar("T")
SqliteWork = Callable[[sqlite3.Connection], T]


class SqliteTransaction:
    backend = "sqlite"

    def __init__(self, driver: Any, dialect: Any) -> None:
        self._driver = driver
        self._open = False
        self.when = _sqlite_when(dialect)
        self.date = _processor(Date(), dialect)
        # aiosqlite runs every call on its own thread; ``_execute`` queues one function
        # there (its public methods are one statement per hop).
        if not hasattr(driver, "_execute") or not hasattr(driver, "_conn"):  # pragma: no cover
            raise RuntimeError("unsupported aiosqlite version: no _execute/_conn")

    async def begin_fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """``BEGIN IMMEDIATE`` and one query, in one hop."""
        rows: list[Sequence[Any]] = await self._driver._execute(
            _begin_fetch, self._driver._conn, sql, args
        )
        self._open = True
        return rows

    async def finish(self, work: SqliteWork[T]) -> T:
        """``work(connection)`` then ``COMMIT``, in one hop; ``ROLLBACK`` if it raises."""
        self._open = False
        result: T = await self._driver._execute(_finish, self._driver._conn, work)
        return result

    async def rollback(self) -> None:
        if self._open:
            self._open = False
            await self._driver._execute(_rollback, self._driver._conn)


def _begin_fetch(conn: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[Any]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        return conn.execute(sql, args).fetchall()
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _finish(conn: sqlite3.Connection, work: SqliteWork[T]) -> T:
    try:
        result = work(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class PostgresTransaction:
    backend = "postgresql"

    def __init__(self, driver: Any) -> None:
        self.driver = driver
        self._tx: Any = None

    def when(self, value: datetime) -> Any:
        return value

    async def begin_fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """``BEGIN`` then one query (two round trips)."""
        self._tx = self.driver.transaction()
        await self._tx.start()
        return list(await self.driver.fetch(sql, *args))

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        return list(await self.driver.fetch(sql, *args))

    async def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            await self.driver.executemany(sql, rows)

    async def commit(self) -> None:
        tx, self._tx = self._tx, None
        if tx is not None:
            await tx.commit()

    async def rollback(self) -> None:
        tx, self._tx = self._tx, None
        if tx is not None:
            await tx.rollback()


RealtimeTransaction = SqliteTransaction | PostgresTransaction


@asynccontextmanager
async def realtime_transaction(engine: AsyncEngine) -> AsyncIterator[RealtimeTransaction]:
    """A pooled connection's driver, for one transaction begun by the caller; rolled back
    on exit unless committed (``finish`` / ``commit``)."""
    async with engine.connect() as connection:
        fairy = await connection.get_raw_connection()
        driver = fairy.driver_connection
        tx: RealtimeTransaction
        if connection.dialect.name == "postgresql":
            tx = PostgresTransaction(driver)
        else:
            tx = SqliteTransaction(driver, connection.dialect)
        try:
            yield tx
        finally:
            await tx.rollback()


_WHEN: weakref.WeakKeyDictionary[Any, Callable[[datetime], Any]] = weakref.WeakKeyDictionary()


def _sqlite_when(dialect: Any) -> Callable[[datetime], Any]:
    cached = _WHEN.get(dialect)
    if cached is None:
        processor = _processor(DateTime(timezone=True), dialect)
        memo: dict[datetime, Any] = {}

        def cached(value: datetime) -> Any:
            found = memo.get(value)
            if found is None:
                if len(memo) > 4096:
                    memo.clear()
                found = memo[value] = processor(value)
            return found

        _WHEN[dialect] = cached
    return cached
