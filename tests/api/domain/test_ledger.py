from __future__ import annotations

from datetime import date

import pytest

from api.domain.balance_rules import flags_after, low_balance_transition
from api.domain.call_postings import call_transaction
from api.domain.cycles import cycle_start, period_containing, previous_period
from api.domain.free_minutes import current_bundle, minutes_needed
from api.domain.ledger import (
    Posting,
    TenantAccounts,
    TransactionDraft,
    TransactionKind,
    UnbalancedTransaction,
)
from api.domain.statements import compute_statement

ACCOUNTS = TenantAccounts(
    client=5, client_funding=1, reseller_revenue=2, reseller=3, operator_revenue=4
)


def test_unbalanced_transaction_is_refused() -> None:
    draft = TransactionDraft(TransactionKind.CHARGE).add(1, 100).add(2, -99)
    with pytest.raises(UnbalancedTransaction):
        draft.postings()


def test_call_postings_move_sell_and_cost() -> None:
    draft = call_transaction(ACCOUNTS, sell=120, cost=100, reseller_id=1, client_id=9)
    assert draft.postings() == (
        Posting(2, 120),
        Posting(3, -100),
        Posting(4, 100),
        Posting(5, -120),
    )


def test_float_amounts_are_refused() -> None:
    with pytest.raises(TypeError):
        TransactionDraft(TransactionKind.CHARGE).move(1.5, debit=1, credit=2)  # type: ignore[arg-type]


def test_cycles() -> None:
    assert cycle_start(15, date(2026, 3, 14)) == date(2026, 2, 15)
    assert cycle_start(15, date(2026, 3, 15)) == date(2026, 3, 15)
    assert cycle_start(1, date(2026, 1, 1)) == date(2026, 1, 1)
    period = period_containing(28, date(2026, 2, 28))
    assert (period.start, period.end) == (date(2026, 2, 28), date(2026, 3, 27))
    assert previous_period(period_containing(1, date(2026, 1, 5))).start == date(2025, 12, 1)
    with pytest.raises(ValueError, match="billing day"):
        cycle_start(29, date(2026, 1, 1))


def test_free_minutes_reset_at_a_new_cycle() -> None:
    assert current_bundle(100, 40, date(2026, 1, 1), date(2026, 1, 1)).left == 60
    assert current_bundle(100, 40, date(2026, 1, 1), date(2026, 2, 1)).left == 100
    assert minutes_needed(191) == 4
    assert minutes_needed(0) == 0


def test_low_balance_alerts_once_per_crossing() -> None:
    alerted = False
    alerts = []
    previous = 20
    for balance in (10, 4, 3, 6, 2, 1):
        t = low_balance_transition(previous, balance, 5, alerted)
        alerted, previous = t.alerted, balance
        alerts.append(t.alert)
    assert alerts == [False, True, False, False, True, False]


def test_low_balance_never_alerts_on_a_rise_or_below_the_threshold_already() -> None:
    # issue #11: a payment from 0.00 to 0.10 (threshold 5.00) is no crossing
    assert not low_balance_transition(0, 100_000, 5_000_000, False).alert
    # a fall that started below the threshold is no crossing either
    assert not low_balance_transition(100_000, 50_000, 5_000_000, False).alert
    # exactly at the threshold is not below it; from there, one unit less is a crossing
    assert not low_balance_transition(6, 5, 5, False).alert
    assert low_balance_transition(5, 4, 5, False).alert
    # already alerted (a concurrent writer saw the crossing first): no second alert
    assert not low_balance_transition(5, 4, 5, True).alert


def test_hard_client_suspension() -> None:
    flags = flags_after("hard", 0, 5, previous=10, suspended=False, low_balance_alerted=False)
    assert flags.suspended
    assert flags.suspension_changed
    assert not flags_after(
        "soft", -10, 5, previous=0, suspended=False, low_balance_alerted=True
    ).suspended


def test_statement_adds_up() -> None:
    figures = compute_statement(
        1000,
        [("call", -200), ("calls", -50), ("monthly_fee", -100), ("charge", -10), ("payment", 500)],
    )
    assert (figures.calls, figures.fees, figures.charges, figures.payments) == (
        -250,
        -100,
        -10,
        500,
    )
    assert figures.closing == 1140
