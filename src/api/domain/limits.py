"""The bounds every input is held to, whatever the door (GraphQL, CSV endpoints, CLI):
money that a ``BIGINT`` of micro-units holds with room for sums, and times that every
store and every time zone conversion can represent. Listed in ``docs/api.md``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

MAX_AMOUNT_MICROS = 10**18 - 1
"""The largest amount in micro-units: 999,999,999,999.999999 (12 integer digits). A
``BIGINT`` holds 9,223,372,036,854.775807, so sums of several bounded amounts still fit."""

EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
END = datetime(3000, 1, 1, tzinfo=UTC)
"""Times are accepted from ``EARLIEST`` (inclusive) to ``END`` (exclusive), in UTC."""

DAY_RANGE_MESSAGE = f"must be between {EARLIEST_DAY} and {LATEST_DAY}"
MOMENT_RANGE_MESSAGE = "must be between 1970-01-01T00:00:00Z and 2999-12-31T23:59:59Z"


def day_problem(day: date) -> str | None:
    """Why ``day`` is out of range, or ``None``."""
    return None if EARLIEST_DAY <= day <= LATEST_DAY else DAY_RANGE_MESSAGE


def moment_problem(moment: datetime) -> str | None:
    """Why ``moment`` (naive means UTC) is out of range, or ``None``. A time whose UTC
    conversion leaves the calendar (``9999-12-31T23:59:59-14:00``) is out of range too."""
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        return MOMENT_RANGE_MESSAGE
    return None if EARLIEST <= utc < END else MOMENT_RANGE_MESSAGE


def amount_problem(micros: int) -> str | None:
    """Why an amount in micro-units is out of range, or ``None``."""
    if -MAX_AMOUNT_MICROS <= micros <= MAX_AMOUNT_MICROS:
        return None
    return "must be at most 999999999999.999999 in absolute value"
