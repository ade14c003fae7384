"""The reservation rules (api.domain.reservations), with the pricing the rating uses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from api.domain.reservations import (
    GRACE_SECONDS,
    Held,
    Hold,
    charged_duration,
    expires_at,
    held_by_others,
    spendable,
)
from ratelang.model import Direction, Pulse, RuleKind, ZoneKind
from ratelang.pricing import max_affordable_seconds, price
from ratelang.rating import Call
from tests.ratelang.factories import NEW_YORK, STANDARD_DECK, package, rule, zone

NOW = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
CAP = 4 * 3600


def test_live_reservations_of_other_calls_count() -> None:
    holds = [
        Held("a", 1_000_000, 2, NOW + timedelta(seconds=1)),
        Held("b", 500_000, 1, NOW),  # expired at this very moment
        Held("c", 250_000, 0, NOW + timedelta(minutes=5)),
    ]
    assert held_by_others(holds, NOW, "x") == (1_250_000, 2)
    assert held_by_others(holds, NOW, "a") == (250_000, 0)  # its own is replaced


def test_spendable_never_goes_below_zero() -> None:
    assert spendable(10_000_000, 5, 4_000_000, 2) == (6_000_000, 3)
    assert spendable(1_000_000, 1, 4_000_000, 2) == (0, 0)


def test_expiry_is_the_granted_time_plus_grace() -> None:
    assert expires_at(NOW, 600) == NOW + timedelta(seconds=600 + GRACE_SECONDS)


def test_charged_duration_is_clamped_to_the_grant() -> None:
    assert charged_duration(61, 60) == 60
    assert charged_duration(59, 60) == 59
    assert charged_duration(61, None) == 61


@settings(max_examples=200, deadline=None)
@given(
    balance=st.integers(0, 50_000_000),
    rate=st.integers(0, 3_000_000),
    first=st.sampled_from([1, 6, 30, 60]),
    step=st.sampled_from([1, 6, 60]),
    connect=st.integers(0, 200_000),
    free_minutes=st.integers(0, 20),
    calls=st.integers(1, 12),
    measured_extra=st.integers(0, 5),
)
def test_reservations_never_exceed_the_balance_and_cover_the_cdr(
    balance: int,
    rate: int,
    first: int,
    step: int,
    connect: int,
    free_minutes: int,
    calls: int,
    measured_extra: int,
) -> None:
    """Authorizing ``calls`` calls one after the other as the service does: the sum of
    what they reserve fits the balance and the free minutes, and the CDR of each (the
    switch measuring a few seconds past the cut, clamped) charges no more than its hold."""
    pkg = package(
        rules=[rule(RuleKind.USA_CANADA, "", rate)],
        zones=[zone(ZoneKind.USA_CANADA)],
        pulse=Pulse(first, step),
        connect_fee=connect,
        free_minutes=free_minutes,
    )
    holds: list[Held] = []
    reserved: list[Hold] = []
    for i in range(calls):
        money, minutes = held_by_others(holds, NOW, f"c{i}")
        budget, left = spendable(balance, free_minutes, money, minutes)
        granted = max_affordable_seconds(NEW_YORK, pkg, STANDARD_DECK, budget, left, CAP)
        if granted == 0:
            continue
        rating = price(Call(NEW_YORK, granted, Direction.OUTBOUND, left), pkg, STANDARD_DECK)
        hold = Hold(granted, rating.sell, rating.free_minutes_used)
        assert hold.amount <= budget
        reserved.append(hold)
        holds.append(Held(f"c{i}", hold.amount, hold.free_minutes, expires_at(NOW, granted)))
        cdr = charged_duration(granted + measured_extra, granted)
        charged = price(Call(NEW_YORK, cdr, Direction.OUTBOUND, left), pkg, STANDARD_DECK)
        assert charged.sell <= hold.amount
    assert sum(h.amount for h in reserved) <= balance
    assert sum(h.free_minutes for h in reserved) <= free_minutes
