"""Billing cycles: each client's cycle starts on its billing day (1..28) every month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

MIN_BILLING_DAY = 1
MAX_BILLING_DAY = 28


def check_billing_day(day: int) -> None:
    """Raise ``ValueError`` unless ``day`` is 1..28 (every month has those days)."""
    if not MIN_BILLING_DAY <= day <= MAX_BILLING_DAY:
        raise ValueError(f"billing day must be {MIN_BILLING_DAY}..{MAX_BILLING_DAY}, got {day}")


@dataclass(frozen=True, slots=True)
class Period:
    """A billing period: ``start`` included, ``end`` included (the day before the next start)."""

    start: date
    end: date

    @property
    def next_start(self) -> date:
        return self.end + timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def bounds_utc(self) -> tuple[datetime, datetime]:
        """``[start 00:00 UTC, next start 00:00 UTC)`` for timestamp queries."""
        return midnight_utc(self.start), midnight_utc(self.next_start)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, day.day)


def cycle_start(billing_day: int, on: date) -> date:
    """The start of the cycle that contains ``on``."""
    check_billing_day(billing_day)
    start = on.replace(day=billing_day)
    return start if start <= on else _add_months(start, -1)


def period_containing(billing_day: int, on: date) -> Period:
    """The billing period that contains ``on``."""
    start = cycle_start(billing_day, on)
    return Period(start, _add_months(start, 1) - timedelta(days=1))


def previous_period(period: Period) -> Period:
    """The period just before ``period``."""
    return Period(_add_months(period.start, -1), period.start - timedelta(days=1))


def is_cycle_start(billing_day: int, on: date) -> bool:
    return on.day == billing_day


def midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def check_billable(on: date, today: date) -> None:
    """Raise ``ValueError`` when ``on`` is after ``today`` (UTC): billing a day writes the
    statement of the period that ends the day before, and a period still open would get a
    statement that is wrong forever (statements are written once)."""
    if on > today:
        raise ValueError(f"{on} is in the future (today is {today} UTC): bill it on or after it")
