"""The time, injected (tests pass their own)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes for UTC columns; give them their time zone back."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
