"""A report period: whole local days in a time zone, and how calls fall into those days.

The period is ``first_day`` to ``last_day`` inclusive, in ``tz``. In SQL it is the UTC range
``[utc_start, utc_end)``: local midnight of ``first_day`` to local midnight after
``last_day``, so a DST day simply has 23 or 25 hours.

Days are bucketed exactly and portably: SQL groups rows by UTC quarter hour
(``epoch // 900``) and :meth:`Period.day_of_bucket` folds each quarter hour into the local
day whose ``[start, next start)`` contains it. Every local midnight of today's time zones
(including DST changes and ``+05:45``) falls on a UTC quarter hour, so no quarter hour
straddles two days; :class:`Period` refuses a zone where that fails (some pre-1980 history).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

BUCKET_SECONDS = 900


def local_midnight_utc(day: date, tz: ZoneInfo) -> datetime:
    """The UTC instant a local day starts (a midnight lost to DST: the first instant after)."""
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def as_utc(moment: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands back naive UTC values)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Period:
    """Local days ``first_day`` .. ``last_day`` (inclusive) in ``tz``."""

    first_day: date
    last_day: date
    tz: ZoneInfo
    _day_starts: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise ValueError("the period ends before it starts")
        count = (self.last_day - self.first_day).days + 2
        starts = tuple(
            int(local_midnight_utc(self.first_day + timedelta(days=i), self.tz).timestamp())
            for i in range(count)
        )
        if any(start % BUCKET_SECONDS for start in starts):
            raise ValueError(f"{self.tz.key} has a day that does not start on a UTC quarter hour")
        object.__setattr__(self, "_day_starts", starts)

    @property
    def utc_start(self) -> datetime:
        return datetime.fromtimestamp(self._day_starts[0], UTC)

    @property
    def utc_end(self) -> datetime:
        """Exclusive."""
        return datetime.fromtimestamp(self._day_starts[-1], UTC)

    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=i) for i in range(len(self._day_starts) - 1)]

    def day_of_bucket(self, bucket: int) -> date:
        """The local day of the UTC quarter hour number ``bucket`` (``epoch // 900``)."""
        index = bisect_right(self._day_starts, bucket * BUCKET_SECONDS) - 1
        if not 0 <= index < len(self._day_starts) - 1:
            raise ValueError(f"quarter hour {bucket} is outside the period")
        return self.first_day + timedelta(days=index)

    def local(self, moment: datetime) -> datetime:
        """A stored timestamp in the period's time zone."""
        return as_utc(moment).astimezone(self.tz)
