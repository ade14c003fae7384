"""Query-only ``sqlite3`` connections to a SQLite file, for reads run inline on the loop.

A :class:`SqliteReader` is one such connection (``query_only``: a write through it fails)
with a SQLAlchemy engine bound to that very connection (a ``StaticPool`` that never
resets it), so that the statements run through SQLAlchemy (ORM
entities, statements built per request) and those run on the driver
(:mod:`api.store.compiled_select`) share one transaction, hence one snapshot.
:class:`SqliteReaders` keeps the idle ones of a file. Taking and giving back a reader is a
list operation: SQLAlchemy's pool checkout, connection object and reset on return were
about a tenth of a small GraphQL request's CPU.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlalchemy import Connection, create_engine
from sqlalchemy.pool import StaticPool

IDLE_READERS = 32
"""Idle readers kept per file; more are opened when needed (never waited for: a wait would
block the event loop)."""


class SqliteReader:
    """One query-only connection; :meth:`begin` a reader transaction, :meth:`end` it."""

    __slots__ = ("_engine", "raw")

    def __init__(self, raw: sqlite3.Connection, *, hide_parameters: bool) -> None:
        self.raw = raw
        self._engine = create_engine(
            "sqlite+pysqlite://",
            creator=lambda: raw,
            poolclass=StaticPool,
            pool_reset_on_return=None,  # the reader's transaction is ours to end
            hide_parameters=hide_parameters,
        )
        # SQLAlchemy initializes its dialect on the first connection and rolls back after:
        # done now, before any reader transaction it would end.
        self._engine.connect().close()
        raw.isolation_level = None

    def begin(self) -> None:
        """A deferred ``BEGIN``: a WAL snapshot at the first read, never the write lock."""
        self.raw.execute("BEGIN")

    def end(self) -> None:
        """End the reader transaction (a rollback: nothing was written)."""
        if self.raw.in_transaction:
            self.raw.execute("ROLLBACK")

    def connect(self) -> Connection:
        """A SQLAlchemy connection on this very ``sqlite3`` connection (and transaction)."""
        return self._engine.connect()

    def close(self) -> None:
        self._engine.dispose()
        self.raw.close()


class SqliteReaders:
    """The idle readers of one SQLite file; ``on_connect`` hooks run on each new one."""

    def __init__(self, path: str, *, busy_timeout_s: float, hide_parameters: bool) -> None:
        self._path = path
        self._busy_timeout_s = busy_timeout_s
        self._hide_parameters = hide_parameters
        self._idle: list[SqliteReader] = []
        self.in_use = 0
        self.on_connect: list[Callable[[sqlite3.Connection], None]] = []

    def acquire(self) -> SqliteReader:
        """An idle reader, or a new one."""
        reader = self._idle.pop() if self._idle else self._open()
        self.in_use += 1
        return reader

    def release(self, reader: SqliteReader) -> None:
        """Take ``reader`` back (its transaction ended); closed if it cannot be reused."""
        self.in_use -= 1
        if reader.raw.in_transaction or len(self._idle) >= IDLE_READERS:
            reader.close()
        else:
            self._idle.append(reader)

    def dispose(self) -> None:
        """Close the idle readers."""
        idle, self._idle = self._idle, []
        for reader in idle:
            reader.close()

    def _open(self) -> SqliteReader:
        raw = sqlite3.connect(
            self._path,
            timeout=self._busy_timeout_s,
            isolation_level=None,  # transactions are begun and ended explicitly
            check_same_thread=False,  # the event loop's thread; closed from any at exit
        )
        raw.execute("PRAGMA query_only = ON")  # a reader: any write fails
        for hook in self.on_connect:
            hook(raw)
        return SqliteReader(raw, hide_parameters=self._hide_parameters)
