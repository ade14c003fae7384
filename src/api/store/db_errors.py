"""Database errors the CDR paths retry on, driver errors as SQLAlchemy raises them, and
the errors that mean the database is unavailable (HTTP 503)."""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sqlalchemy_exc
from sqlalchemy.exc import DBAPIError, IntegrityError


def is_deadlock(exc: DBAPIError) -> bool:
    """A deadlock or serialization failure: the transaction may be retried."""
    code = getattr(exc.orig, "sqlstate", None) or getattr(
        getattr(exc.orig, "__cause__", None), "sqlstate", None
    )
    return code in {"40P01", "40001"}


def driver_errors() -> tuple[type[Exception], ...]:
    """The errors the raw drivers raise (sqlite3, and asyncpg when installed)."""
    return (sqlite3.Error, _asyncpg_error())


def as_sqlalchemy_error(exc: Exception, statement: str) -> Exception:
    """A driver error as SQLAlchemy would raise it (the retry loops know those)."""
    if isinstance(exc, sqlite3.IntegrityError) or getattr(exc, "sqlstate", None) == "23505":
        return IntegrityError(statement, None, exc)
    return DBAPIError(statement, None, exc)


def _asyncpg_error() -> type[Exception]:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return sqlite3.Error
    error: type[Exception] = asyncpg.PostgresError
    return error


_UNAVAILABLE_STATES = ("08", "57P01", "57P02", "57P03", "53300")
"""SQLSTATEs of a server that is gone or refusing: connection exceptions (class 08), an
administrator or crash shutdown, "cannot connect now", too many connections."""


def is_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached or is refusing connections (a retry later may
    succeed): a refused or lost socket, a pool timeout, SQLite unable to open or locked,
    PostgreSQL shutting down. Walks the chain of causes (SQLAlchemy wraps driver errors)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError | sqlalchemy_exc.TimeoutError):
            return True
        if isinstance(current, sqlalchemy_exc.DBAPIError) and current.connection_invalidated:
            return True
        if isinstance(current, sqlite3.OperationalError) and _sqlite_unavailable(str(current)):
            return True
        state = getattr(current, "sqlstate", None)
        if isinstance(state, str) and state.startswith(_UNAVAILABLE_STATES):
            return True
        if type(current).__name__ in {"ConnectionDoesNotExistError", "InterfaceError"} and (
            type(current).__module__.startswith("asyncpg")
        ):
            return True
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return False


def _sqlite_unavailable(message: str) -> bool:
    return message.startswith(("unable to open database", "database is locked", "disk I/O"))


def database_errors() -> tuple[type[BaseException], ...]:
    """Every error a database that is down, unreachable or too slow may raise through
    SQLAlchemy or the raw drivers: sockets, pool and statement timeouts, DBAPI errors."""
    errors: list[type[BaseException]] = [
        OSError,
        TimeoutError,
        sqlalchemy_exc.TimeoutError,
        DBAPIError,
        *driver_errors(),
    ]
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - SQLite-only installs
        return tuple(errors)
    errors.append(asyncpg.InterfaceError)
    return tuple(errors)
