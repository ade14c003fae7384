"""The flags and events of the clients a batch or a call charged."""

from __future__ import annotations

from datetime import UTC, datetime

from api.events import BalanceChanged, Event, LowBalance, SuspensionChanged
from api.services.cdrs.balance_rules import balance_rules

AT = datetime(2026, 3, 1, tzinfo=UTC)


def test_only_changed_flags_are_written_and_every_client_hears_its_balance() -> None:
    heard: list[Event] = []
    rows = [
        (1, "hard", None, False, False),  # crosses zero: suspended and alerted
        (2, "soft", 50, False, False),  # its own threshold: 40 is below it
        (3, "soft", None, False, False),  # above the default: nothing changes
    ]
    changes = balance_rules(
        7, ("EUR", 100), rows, {1: (150, -5), 2: (60, 40), 3: (600, 500)}, AT, heard.append
    )
    assert changes == [(True, True, 1), (False, True, 2)]
    assert heard == [
        BalanceChanged(7, 1, -5, "EUR", AT),
        LowBalance(7, 1, -5, 100, "EUR", AT),
        SuspensionChanged(7, 1, True, AT),
        BalanceChanged(7, 2, 40, "EUR", AT),
        LowBalance(7, 2, 40, 50, "EUR", AT),
        BalanceChanged(7, 3, 500, "EUR", AT),
    ]
