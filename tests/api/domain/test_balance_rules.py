"""The balance rules of the domain: the effective threshold and the events of a change."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from api.domain.balance_rules import BalanceChange, balance_change, effective_threshold
from api.events import BalanceChanged, LowBalance, SuspensionChanged

AT = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(("own", "default", "expected"), [(None, 5, 5), (0, 5, 0), (7, 5, 7)])
def test_the_own_threshold_wins_even_at_zero(own: int | None, default: int, expected: int) -> None:
    assert effective_threshold(own, default) == expected


def change(
    balance: int,
    *,
    previous: int = 10_000,  # from well above every threshold here
    balance_type: str = "hard",
    own: int | None = None,
    **flags: bool,
) -> BalanceChange:
    return balance_change(
        1, 2, balance, previous=previous, balance_type=balance_type, own_threshold=own,
        default_threshold=100,
        suspended=flags.get("suspended", False), alerted=flags.get("alerted", False),
        currency="USD", at=AT,
    )  # fmt: skip


def test_a_balance_above_the_threshold_only_announces_the_balance() -> None:
    found = change(500)
    assert found.events == (BalanceChanged(1, 2, 500, "USD", AT),)
    assert not found.changed


def test_crossing_the_reseller_default_alerts_once() -> None:
    first = change(50)
    assert first.events == (
        BalanceChanged(1, 2, 50, "USD", AT),
        LowBalance(1, 2, 50, 100, "USD", AT),
    )
    assert (first.low_balance_alerted, first.changed) == (True, True)
    again = change(40, alerted=True)
    assert [type(e) for e in again.events] == [BalanceChanged]
    assert not again.changed


def test_the_client_own_threshold_replaces_the_default() -> None:
    assert [type(e) for e in change(50, own=10).events] == [BalanceChanged]
    assert change(5, own=10).events[1] == LowBalance(1, 2, 5, 10, "USD", AT)


def test_a_hard_client_at_zero_is_suspended_and_a_soft_one_is_not() -> None:
    hard = change(0, alerted=True)
    assert hard.events[-1] == SuspensionChanged(1, 2, True, AT)
    assert (hard.suspended, hard.changed) == (True, True)
    soft = change(0, balance_type="soft", alerted=True)
    assert (soft.suspended, soft.changed) == (False, False)
    back = change(500, suspended=True, alerted=True)
    assert back.events[-1] == SuspensionChanged(1, 2, False, AT)
    assert (back.suspended, back.low_balance_alerted) == (False, False)


def test_a_fall_that_starts_below_the_threshold_is_no_crossing() -> None:
    found = change(40, previous=60)  # both below the default of 100
    assert not found.low_balance_alerted
    assert not any(isinstance(e, LowBalance) for e in found.events)
