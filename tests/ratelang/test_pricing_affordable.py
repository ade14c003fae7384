"""max_affordable_seconds: the longest call a budget pays for, on the pulse grid."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ratelang.model import Pulse, RuleKind, ZoneKind
from ratelang.pricing import max_affordable_seconds, price
from ratelang.rating import Call, RatingError, RatingFailure
from tests.ratelang.factories import LONDON, NEW_YORK, STANDARD_DECK, package, rule, zone

CAP = 4 * 3600
CENT = package(rules=[rule(RuleKind.COUNTRY, "GB", 10_000)])  # 0.01 per minute to GB


def test_five_minutes_for_five_cents() -> None:
    assert max_affordable_seconds(LONDON, CENT, STANDARD_DECK, 50_000, 0, CAP) == 300


def test_connect_fee_reduces_the_time() -> None:
    pkg = package(rules=[rule(RuleKind.COUNTRY, "GB", 10_000)], connect_fee=10_000)
    assert max_affordable_seconds(LONDON, pkg, STANDARD_DECK, 50_000, 0, CAP) == 240


def test_free_minutes_add_to_the_budget() -> None:
    pkg = package(rules=[rule(RuleKind.USA_CANADA, "", 10_000)], zones=[zone(ZoneKind.USA_CANADA)])
    assert max_affordable_seconds(NEW_YORK, pkg, STANDARD_DECK, 50_000, 2, CAP) == 420
    assert max_affordable_seconds(NEW_YORK, pkg, STANDARD_DECK, 0, 2, CAP) == 120


def test_pulse_30_6_grid() -> None:
    pkg = package(rules=[rule(RuleKind.COUNTRY, "GB", 60_000)], pulse=Pulse(30, 6))
    # 0.001 per second: 0.05 pays 50 s; the last grid point at or under 50 is 48
    assert max_affordable_seconds(LONDON, pkg, STANDARD_DECK, 50_000, 0, CAP) == 48
    assert max_affordable_seconds(LONDON, pkg, STANDARD_DECK, 29_999, 0, CAP) == 0


def test_free_calls_get_the_cap() -> None:
    free = package(rules=[rule(RuleKind.COUNTRY, "GB", 0)])
    assert max_affordable_seconds(LONDON, free, STANDARD_DECK, 0, 0, CAP) == CAP
    on_net = package(on_net_free=True)
    dids = frozenset({"12125550100"})
    assert max_affordable_seconds(NEW_YORK, on_net, STANDARD_DECK, -5, 0, CAP, dids) == CAP
    assert max_affordable_seconds(NEW_YORK, on_net, STANDARD_DECK, 0, 0, CAP) == 0


def test_a_rich_client_gets_the_cap_even_off_the_grid() -> None:
    assert max_affordable_seconds(LONDON, CENT, STANDARD_DECK, 10**9, 0, 100) == 100
    assert max_affordable_seconds(LONDON, CENT, STANDARD_DECK, 10**9, 0, 0) == 0


def test_no_budget_no_call() -> None:
    assert max_affordable_seconds(LONDON, CENT, STANDARD_DECK, 0, 0, CAP) == 0
    assert max_affordable_seconds(LONDON, CENT, STANDARD_DECK, -1, 0, CAP) == 0


def test_unroutable_and_invalid_numbers_raise() -> None:
    with pytest.raises(RatingError) as caught:
        max_affordable_seconds("+81 3 1234 5678", CENT, STANDARD_DECK, 50_000, 0, CAP)
    assert caught.value.reason is RatingFailure.UNROUTABLE
    with pytest.raises(RatingError) as caught:
        max_affordable_seconds("abc", CENT, STANDARD_DECK, 50_000, 0, CAP)
    assert caught.value.reason is RatingFailure.INVALID_NUMBER


def test_negative_cap_is_rejected() -> None:
    with pytest.raises(ValueError, match="cap_seconds"):
        max_affordable_seconds(LONDON, CENT, STANDARD_DECK, 50_000, 0, -1)


@given(
    rate=st.integers(0, 500_000),
    first=st.integers(1, 90),
    step=st.integers(1, 60),
    connect=st.sampled_from([0, 10_000]),
    grace=st.sampled_from([0, 5]),
    budget=st.integers(-10_000, 2_000_000),
    left=st.integers(0, 5),
    cap=st.integers(0, 3600),
)
def test_result_is_the_longest_affordable_grid_point(
    rate: int, first: int, step: int, connect: int, grace: int, budget: int, left: int, cap: int
) -> None:
    pkg = package(
        rules=[rule(RuleKind.USA_CANADA, "", rate)],
        pulse=Pulse(first, step),
        connect_fee=connect,
        grace_seconds=grace,
        zones=[zone(ZoneKind.USA_CANADA)],
    )

    def sell(duration: int) -> int:
        return price(Call(NEW_YORK, duration, free_minutes_left=left), pkg, STANDARD_DECK).sell

    result = max_affordable_seconds(NEW_YORK, pkg, STANDARD_DECK, budget, left, cap)
    assert 0 <= result <= cap
    assert sell(result) == 0 or sell(result) <= budget
    if result < cap:
        assert result == 0 or (result >= first and (result - first) % step == 0)
        following = first if result == 0 else result + step
        if following <= cap:
            assert 0 < sell(following) > budget
