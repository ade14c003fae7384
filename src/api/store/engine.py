"""Engine and session factory for SQLite (embedded default) and PostgreSQL.

SQLite transactions come in two kinds, chosen per connection by the execution option
:data:`READ_ONLY` (``"pulsebill_read_only"``):

* **writers** (the default: every :class:`~api.store.unit_of_work.UnitOfWork`, every plain
  session) begin with ``BEGIN IMMEDIATE``: they take the write lock up front and queue on
  it (``busy_timeout``) instead of failing later with ``SQLITE_BUSY_SNAPSHOT`` when a
  deferred reader tries to upgrade after another writer committed;
* **readers** (GraphQL loaders, report queries, token and session look-ups, read use cases:
  ``UnitOfWork(read_only=True)``, ``ServicesContext.read()``, :func:`read_session`) begin
  with a plain deferred ``BEGIN``. In WAL mode they read a snapshot, never take the write
  lock, never block a writer and are never blocked by one. A reader must not write: a
  write would try to upgrade the snapshot and may fail with ``SQLITE_BUSY``.

PostgreSQL ignores the option (its readers never block writers anyway).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

SQLITE_BUSY_TIMEOUT_S = 30
READ_ONLY: Final = "pulsebill_read_only"
"""Execution option marking a connection's transaction as read-only (deferred on SQLite)."""
READ_ONLY_OPTIONS: Final = {READ_ONLY: True}


def normalize_url(url: str) -> str:
    """Give plain ``sqlite://`` and ``postgresql://`` URLs their async drivers."""
    parsed = make_url(url)
    if parsed.drivername in {"sqlite", "sqlite+pysqlite"}:
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if parsed.drivername in {"postgresql", "postgres", "postgresql+psycopg2"}:
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    return url


def create_engine(url: str, *, search_path: str | None = None, **kwargs: Any) -> AsyncEngine:
    """An async engine. SQLite gets foreign keys, WAL, ``BEGIN IMMEDIATE`` for writers (they
    queue instead of failing) and a deferred ``BEGIN`` for readers (see the module notes);
    PostgreSQL may be given a schema ``search_path``."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S}, **kwargs)
        _configure_sqlite(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if search_path:
        connect_args["server_settings"] = {"search_path": search_path}
    return create_async_engine(url, connect_args=connect_args, pool_size=10, **kwargs)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def begin_read_only(session: AsyncSession) -> None:
    """Begin ``session``'s transaction as a reader (call before its first statement)."""
    await session.connection(execution_options=READ_ONLY_OPTIONS)


@asynccontextmanager
async def read_session(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """``async with read_session(sessionmaker) as session:`` — a reader's session (deferred
    ``BEGIN`` on SQLite), rolled back and closed on exit. Never write through it."""
    async with sessionmaker() as session:
        await begin_read_only(session)
        yield session


def backend_name(engine: AsyncEngine) -> str:
    """``"sqlite"`` or ``"postgresql"``."""
    return engine.dialect.name
