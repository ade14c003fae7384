"""One reader transaction per HTTP request, shared by every DataLoader and hot-path read.

A GraphQL request used to open a session per DataLoader batch and per service read (three
for "a client with its packages and last 20 CDRs"): each paid a pool checkout, a ``BEGIN``
and a ``ROLLBACK``. :class:`RequestReads` opens one connection on first use, begins a
reader transaction on it (a deferred ``BEGIN`` on SQLite, see :mod:`api.store.engine`),
runs Core statements (tuples, never ORM entities, except :meth:`RequestReads.entities` for
the colder lists) and is closed by the view once the response is sent. All the reads of
a request therefore see one snapshot.

**SQLite files** are read through a synchronous ``sqlite3`` connection in the event-loop
thread (:func:`sync_reader`, one small engine per application engine), not through
aiosqlite: every aiosqlite call is a hand-off to the connection's thread and back
(measured ≈ 0.2 ms of CPU each under load, GIL hand-overs included, against ≈ 25 µs for a
whole indexed read done inline). The hot reads are a few indexed rows in a WAL snapshot
that never waits for a writer, so running them inline costs the loop less than handing
them off. The connection is ``query_only``: a write through it fails.

**PostgreSQL** (and in-memory SQLite) use one pooled async connection of the application
engine; statements run one at a time under a lock (DataLoaders dispatch concurrently, a
connection runs one statement at a time).

**Hot statements** (``rows(..., static=True)``: module constants) skip SQLAlchemy's
execution: compiled once (:mod:`api.store.compiled_select`), they run on the driver's
connection, ``sqlite3`` or ``asyncpg``; the others run through SQLAlchemy. On PostgreSQL a
reader sees each statement's own snapshot (READ COMMITTED) either way.

Never write through it. Over a websocket there is no request scope: nothing here is used.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from typing import Any, TypeAlias

from sqlalchemy import Connection, Executable, Row, Select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session

from api.store.compiled_select import compile_select
from api.store.engine import READ_ONLY_OPTIONS, SQLITE_BUSY_TIMEOUT_S
from api.store.sqlite_readers import SqliteReader, SqliteReaders

AnySelect: TypeAlias = Select[*tuple[Any, ...]]
AnyRow: TypeAlias = Row[*tuple[Any, ...]]

_sync_readers: weakref.WeakKeyDictionary[AsyncEngine, SqliteReaders | None] = (
    weakref.WeakKeyDictionary()
)


def engine_of(sessionmaker: async_sessionmaker[AsyncSession]) -> AsyncEngine:
    """The engine ``sessionmaker`` is bound to."""
    bind = sessionmaker.kw.get("bind")
    if not isinstance(bind, AsyncEngine):
        raise TypeError("the sessionmaker is not bound to an AsyncEngine")
    return bind


def sync_reader(engine: AsyncEngine) -> SqliteReaders | None:
    """The inline readers of a SQLite-file ``engine`` (built once), else ``None``."""
    try:
        return _sync_readers[engine]
    except KeyError:
        readers = _sync_readers[engine] = _build_sync_readers(engine)
        return readers


def dispose_sync_reader(engine: AsyncEngine) -> None:
    """Close the inline reader connections of ``engine`` (at application shutdown)."""
    readers = _sync_readers.pop(engine, None)
    if readers is not None:
        readers.dispose()


def _build_sync_readers(engine: AsyncEngine) -> SqliteReaders | None:
    url = engine.url
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in {"", ":memory:"} or url.query:
        return None  # in memory, or options only SQLAlchemy's URL knows: through aiosqlite
    return SqliteReaders(
        database,
        busy_timeout_s=SQLITE_BUSY_TIMEOUT_S,
        hide_parameters=engine.sync_engine.hide_parameters,
    )


class RequestReads:
    """``await reads.rows(select(...))`` — on the request's single reader connection."""

    __slots__ = (
        "_asyncpg",
        "_connection",
        "_driver",
        "_engine",
        "_lock",
        "_reader",
        "_session",
        "_sync",
        "_sync_connection",
        "_sync_session",
        "statements",
    )

    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._sync = sync_reader(engine)
        self._reader: SqliteReader | None = None
        self._sync_connection: Connection | None = None
        self._sync_session: Session | None = None
        self._connection: AsyncConnection | None = None
        self._session: AsyncSession | None = None
        self._lock: asyncio.Lock | None = None
        self._asyncpg = engine.dialect.driver == "asyncpg"
        self._driver: Any = None  # the asyncpg connection under ``_connection``
        self.statements = 0  # executed so far (tests and benchmarks count them)

    @property
    def opened(self) -> bool:
        return self._connection is not None or self._reader is not None

    async def rows(
        self, query: Executable, params: dict[str, Any] | None = None, *, static: bool = False
    ) -> Sequence[AnyRow]:
        """All rows of ``query`` (a Core select of columns) in the request's transaction.
        ``static``: ``query`` is built once (a module constant); on SQLite files it then runs
        compiled on the ``sqlite3`` connection (:mod:`api.store.compiled_select`)."""
        self.statements += 1
        if self._sync is not None:
            if static and isinstance(query, Select):
                compiled = compile_select(query, "sqlite")
                if compiled is not None:
                    return compiled.run_sqlite(self._inline_reader().raw, params)
            return self._inline().execute(query, params).all()
        async with self._locked():
            connection = self._connection or await self._open()
            if static and self._asyncpg and isinstance(query, Select):
                compiled = compile_select(query, "postgresql")
                if compiled is not None:
                    if self._driver is None:
                        self._driver = (await connection.get_raw_connection()).driver_connection
                    return await compiled.run_asyncpg(self._driver, params)
            return (await connection.execute(query, params)).all()

    async def entities(self, query: Executable) -> Sequence[Any]:
        """The entities of an ORM ``select(Entity)``, through a session joined to the same
        reader transaction (the colder lists: sub accounts, DIDs, statements, versions)."""
        self.statements += 1
        if self._sync is not None:
            connection = self._inline()
            if self._sync_session is None:
                self._sync_session = Session(bind=connection, expire_on_commit=False)
            return self._sync_session.scalars(query).all()
        async with self._locked():
            opened = self._connection or await self._open()
            if self._session is None:
                self._session = AsyncSession(bind=opened, expire_on_commit=False)
            return (await self._session.scalars(query)).all()

    def _inline_reader(self) -> SqliteReader:
        reader = self._reader
        if reader is None:
            assert self._sync is not None
            reader = self._sync.acquire()
            try:
                reader.begin()
            except BaseException:
                self._sync.release(reader)
                raise
            self._reader = reader
        return reader

    def _inline(self) -> Connection:
        """SQLAlchemy's connection on the request's reader (same transaction)."""
        connection = self._sync_connection
        if connection is None:
            connection = self._sync_connection = self._inline_reader().connect()
        return connection

    def _locked(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    async def _open(self) -> AsyncConnection:
        connection = await self._engine.connect()
        try:
            await connection.execution_options(**READ_ONLY_OPTIONS)
            await connection.begin()
        except BaseException:
            await connection.close()
            raise
        self._connection = connection
        return connection

    async def close(self) -> None:
        """End the reader transaction (a rollback) and give the connection back."""
        sync_session, self._sync_session = self._sync_session, None
        sync_connection, self._sync_connection = self._sync_connection, None
        reader, self._reader = self._reader, None
        session, self._session = self._session, None
        connection, self._connection = self._connection, None
        self._driver = None
        try:
            if sync_session is not None:
                sync_session.close()  # leaves the connection's transaction alone
            if session is not None:
                await session.close()
        finally:
            try:
                if sync_connection is not None:
                    sync_connection.close()  # no reset: the reader's transaction is ours
                if reader is not None:
                    reader.end()
            finally:
                if reader is not None:
                    assert self._sync is not None
                    self._sync.release(reader)  # closed instead if its transaction is open
                if connection is not None:
                    await connection.close()
