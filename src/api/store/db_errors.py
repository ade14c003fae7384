"""Database errors the CDR paths retry on, and driver errors as SQLAlchemy raises them."""

from __future__ import annotations

import sqlite3

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
