"""One short transaction on a pooled driver connection, outside SQLAlchemy's session.

The real-time CDR path runs one transaction per CDR; a session costs several hundred
microseconds before any work (unit of work, ORM bookkeeping, SQLAlchemy's BEGIN and a
thread hop per statement on aiosqlite). :func:`realtime_transaction` checks a connection
out of the engine's pool and gives its driver connection:

- SQLite (aiosqlite): :meth:`SqliteTransaction.begin_fetch` runs ``BEGIN IMMEDIATE`` and
  the read query in ONE hop to the connection's thread; :meth:`SqliteTransaction.finish`
  runs every write and ``COMMIT`` as one function in that thread (one more hop). The
  write lock is held from the read to the commit, so what was read stays exact.
- PostgreSQL (asyncpg): each statement is one round trip (prepared statements are cached
  by asyncpg per connection). :meth:`PostgresTransaction.fetch` outside ``begin_fetch``
  runs in autocommit (one statement, one implicit transaction); ``begin_fetch`` starts an
  explicit one (``BEGIN``), ended by ``commit`` / ``rollback``.

A transaction that is not finished is rolled back when the block exits. The connection
goes back to the pool without SQLAlchemy's reset-on-return ``ROLLBACK`` (on SQLite one
more hop to the connection's thread) when the driver reports no open transaction; else
(a rollback failed) it is invalidated.
"""

from __future__ import annotations

import sqlite3
import weakref
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Date
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

from api.compat.aiosqlite import run_in_thread, sqlite3_connection
from api.compat.sqlalchemy import check_in_idle, greenlet_spawn
from api.store.cdrs.driver import _processor
from api.store.utc import postgres_when, sqlite_when

T = TypeVar("T")
SqliteWork = Callable[[sqlite3.Connection], T]


class SqliteTransaction:
    backend = "sqlite"

    def __init__(self, driver: Any, dialect: Any) -> None:
        self._driver = driver
        self._open = False
        self.when = sqlite_when(dialect)  # UTC text
        self.date = _sqlite_date(dialect)

    async def begin_fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """``BEGIN IMMEDIATE`` and one query, in one hop."""
        rows: list[Sequence[Any]] = await run_in_thread(self._driver, _begin_fetch, sql, args)
        self._open = True
        return rows

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """One query outside any transaction (an autocommit read), in one hop."""
        rows: list[Sequence[Any]] = await run_in_thread(self._driver, _fetch, sql, args)
        return rows

    async def finish(self, work: SqliteWork[T]) -> T:
        """``work(connection)`` then ``COMMIT``, in one hop; ``ROLLBACK`` if it raises."""
        self._open = False
        return await run_in_thread(self._driver, _finish, work)

    async def rollback(self) -> None:
        if self._open:
            self._open = False
            await run_in_thread(self._driver, _rollback)

    def idle(self) -> bool:
        """No transaction open on the connection (safe to pool without a reset)."""
        return not self._open and not sqlite3_connection(self._driver).in_transaction


def _begin_fetch(conn: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[Any]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        return conn.execute(sql, args).fetchall()
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _fetch(conn: sqlite3.Connection, sql: str, args: Sequence[Any]) -> list[Any]:
    return conn.execute(sql, args).fetchall()


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
        return postgres_when(value)

    def idle(self) -> bool:
        """No transaction open on the open connection (safe to pool without a reset)."""
        driver = self.driver
        return self._tx is None and not driver.is_closed() and not driver.is_in_transaction()

    async def begin_fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """``BEGIN`` then one query (two round trips)."""
        self._tx = self.driver.transaction()
        await self._tx.start()
        return list(await self.driver.fetch(sql, *args))

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        return list(await self.driver.fetch(sql, *args))

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
    fairy = await engine.raw_connection()
    tx: RealtimeTransaction | None = None
    try:
        driver = fairy.driver_connection
        if engine.dialect.name == "postgresql":
            tx = PostgresTransaction(driver)
        else:
            tx = SqliteTransaction(driver, engine.dialect)
        try:
            yield tx
        finally:
            await tx.rollback()
    finally:
        await _check_in(engine, fairy, tx)


async def _check_in(engine: AsyncEngine, fairy: Any, tx: RealtimeTransaction | None) -> None:
    """Give the connection back to the pool.

    Idle (no transaction open): :func:`~api.compat.sqlalchemy.check_in_idle`, without the
    pool's rollback-on-return (nothing to roll back; on SQLite one more hop to the
    connection's thread). That does no I/O unless the pool closes the connection instead
    of keeping it (an overflow connection, a pool that keeps none): then in the greenlet.
    Not idle (a rollback failed, the connection is closed): invalidated, never pooled.
    """
    try:
        idle = tx is not None and tx.idle()
    except Exception:  # a broken connection is not idle
        idle = False
    if not idle:
        await greenlet_spawn(fairy.invalidate)
    elif _keeps_connection(engine.pool):
        check_in_idle(fairy)
    else:
        await greenlet_spawn(check_in_idle, fairy)


def _keeps_connection(pool: Any) -> bool:
    """A queue pool at or under its size puts a returned connection back (no I/O)."""
    overflow = getattr(pool, "overflow", None)
    return isinstance(pool, QueuePool) and callable(overflow) and overflow() <= 0


_DATE: weakref.WeakKeyDictionary[Any, Callable[[Any], Any]] = weakref.WeakKeyDictionary()


def _sqlite_date(dialect: Any) -> Callable[[Any], Any]:
    cached = _DATE.get(dialect)
    if cached is None:
        cached = _DATE[dialect] = _processor(Date(), dialect)
    return cached
