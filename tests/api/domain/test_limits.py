"""The bounds of money, days and times, at their edges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from api.domain.limits import (
    END,
    MAX_AMOUNT_MICROS,
    amount_problem,
    day_problem,
    moment_problem,
)


def test_money_fits_a_bigint_with_room_for_sums() -> None:
    assert amount_problem(MAX_AMOUNT_MICROS) is None
    assert amount_problem(-MAX_AMOUNT_MICROS) is None
    assert amount_problem(MAX_AMOUNT_MICROS + 1) is not None
    assert 9 * MAX_AMOUNT_MICROS < 2**63  # nine maximal amounts still sum within a BIGINT


def test_days_from_1970_to_2999() -> None:
    assert day_problem(date(1970, 1, 1)) is None
    assert day_problem(date(2999, 12, 31)) is None
    assert day_problem(date(1969, 12, 31)) is not None
    assert day_problem(date(9999, 12, 31)) is not None


def test_times_are_bounded_in_utc_even_when_the_offset_leaves_the_calendar() -> None:
    minus_14 = timezone(timedelta(hours=-14))
    assert moment_problem(datetime(9999, 12, 31, 23, 59, 59, tzinfo=minus_14)) is not None
    assert moment_problem(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14)))) is not None
    assert moment_problem(END - timedelta(seconds=1)) is None
    assert moment_problem(END) is not None
    assert moment_problem(datetime(2026, 3, 1, 10, 0)) is None  # naive: taken as UTC
    assert moment_problem(datetime(1970, 1, 1, tzinfo=UTC)) is None
