"""Timestamps cross the store boundary in UTC, on both backends and both drivers.

SQLite has no time zone type: SQLAlchemy writes a datetime's wall-clock text and drops
its offset (``23:30-05:00`` was stored as ``23:30``, read back as ``23:30+00:00``).
Every timestamp is therefore converted to UTC on its way in, in exactly two places:

* :class:`UtcDateTime`, the type of every ORM timestamp column (also the processor the
  compiled raw selects of :mod:`api.store.compiled_select` use to read them back);
* :func:`sqlite_when`, what the raw SQLite paths (:mod:`api.store.cdrs.driver`,
  :mod:`api.store.cdrs.pooled`) bind; asyncpg's raw paths bind :func:`postgres_when`
  (asyncpg sends an aware datetime as its UTC instant itself).

On the way out every timestamp is an aware UTC ``datetime``. A naive ``datetime`` is
taken as UTC (the store's convention; the services only produce aware ones).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

WHEN_MEMO = 4096
"""Converted timestamps remembered per SQLite dialect (batches share a few start times)."""


def to_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime (a naive one is taken as UTC)."""
    zone = value.tzinfo
    if zone is UTC:
        return value
    if zone is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def postgres_when(value: datetime) -> datetime:
    """``value`` for asyncpg: aware as it is (asyncpg sends its UTC instant), a naive one
    taken as UTC (asyncpg would take it as the machine's local time)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """``TIMESTAMP WITH TIME ZONE`` (text on SQLite) that stores and returns UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else to_utc(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return None if value is None else to_utc(value)


_SQLITE_WHEN: weakref.WeakKeyDictionary[Any, Callable[[datetime], Any]] = (
    weakref.WeakKeyDictionary()
)


def sqlite_when(dialect: Any) -> Callable[[datetime], Any]:
    """``value`` → the text SQLite stores for it (UTC, SQLAlchemy's format), memoized."""
    cached = _SQLITE_WHEN.get(dialect)
    if cached is not None:
        return cached
    processor = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
    if processor is None:  # pragma: no cover - SQLAlchemy's SQLite dialect formats text
        raise RuntimeError("SQLite timestamps need a bind processor")
    memo: dict[datetime, Any] = {}

    def when(value: datetime) -> Any:
        found = memo.get(value)
        if found is None:
            if len(memo) > WHEN_MEMO:
                memo.clear()
            found = memo[value] = processor(value)
        return found

    _SQLITE_WHEN[dialect] = when
    return when
