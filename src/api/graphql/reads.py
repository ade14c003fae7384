"""One reader transaction per HTTP request, shared by every DataLoader and hot-path read.

A GraphQL request used to open a session per DataLoader batch and per service read (three
for "a client with its packages and last 20 CDRs"): each paid a pool checkout, a ``BEGIN``
and a ``ROLLBACK`` (on aiosqlite every statement is a hand-off to the connection's thread).
:class:`RequestReads` opens one pooled connection on first use, begins a reader
transaction on it (a deferred ``BEGIN`` on SQLite, see :mod:`api.store.engine`), runs
Core statements (tuples, never ORM entities) one at a time under a lock (DataLoaders
dispatch concurrently; a connection runs one statement at a time) and is closed by the
view when the request ends. All the request's reads therefore see one snapshot.

Never write through it. Over a websocket there is no request scope: nothing here is used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Executable, Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.store.engine import READ_ONLY_OPTIONS


def engine_of(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """The engine ``sessionmaker`` is bound to."""
    bind = sessionmaker.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise TypeError("the sessionmaker is not bound to an AsyncEngine")
    return bind


class RequestReads:
    """``await reads.rows(select(...))`` — on the request's single reader connection."""

    __slots__ = ("_connection", "_engine", "_lock", "_session", "statements")

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._session: AsyncSession | None = None
        self._lock = asyncio.Lock()
        self.statements = 0  # executed so far (tests and benchmarks count them)

    @property
    def opened(self) -> bool:
        return self._connection is not None

    async def rows(self, query: Executable) -> Sequence[Row[Any]]:
        """All rows of ``query`` (a Core select), in the request's reader transaction."""
        async with self._lock:
            connection = self._connection
            if connection is None:
                connection = await self._open()
            self.statements += 1
            return (await connection.execute(query)).all()

    async def entities(self, query: Executable) -> Sequence[Any]:
        """The entities of an ORM ``select(Entity)``, through a session joined to the same
        reader transaction (the colder lists: sub accounts, DIDs, statements, versions)."""
        async with self._lock:
            connection = self._connection
            if connection is None:
                connection = await self._open()
            if self._session is None:
                self._session = AsyncSession(bind=connection, expire_on_commit=False)
            self.statements += 1
            return (await self._session.scalars(query)).all()

    async def _open(self) -> AsyncConnection:
        connection = await self._engine.connect()
        try:
            await connection.execution_options(**READ_ONLY_OPTIONS)
            await connection.begin()  # SQLite: the deferred BEGIN of a reader
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        return connection

    async def close(self) -> None:
        """End the reader transaction (a rollback) and give the connection back."""
        session, self._session = self._session, None
        connection, self._connection = self._connection, None
        try:
            if session is not None:
                await session.close()  # leaves the connection's transaction alone
        finally:
            if connection is not None:
                await connection.close()  # rolls the reader transaction back
