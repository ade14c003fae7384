"""``pulsebill bill`` refuses a day after today (UTC): its statements would be of a period
still open, and statements are written once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from api.domain.cycles import check_billable
from tests.api.commands.test_cli import Cli, client_with_a_line, create_reseller


def test_bill_refuses_a_day_in_the_future(migrated: Cli) -> None:
    reseller_id, _, _ = create_reseller(migrated)
    client_with_a_line(migrated, reseller_id)
    fees = "SELECT id FROM ledger_transactions WHERE kind = 'monthly_fee'"
    before = migrated.rows(fees)
    today = datetime.now(UTC).date()
    tomorrow = today + timedelta(days=1)
    done = migrated("bill", "--date", tomorrow.isoformat())
    assert done.code == 1
    assert done.out == ""
    assert done.err == (
        f"error: date: {tomorrow} is in the future (today is {today} UTC): bill it on or after it\n"
    )
    assert migrated.rows("SELECT id FROM statements") == []
    assert migrated.rows(fees) == before  # nothing posted


def test_bill_accepts_today(migrated: Cli) -> None:
    today = datetime.now(UTC).date()
    done = migrated("bill", "--date", today.isoformat())
    assert (done.code, done.err) == (0, "")
    assert done.out.startswith(f"{today}: 0 clients,")


def test_check_billable() -> None:
    check_billable(date(2026, 12, 1), date(2026, 12, 1))
    check_billable(date(2026, 11, 30), date(2026, 12, 1))
    with pytest.raises(ValueError, match="2026-12-02 is in the future"):
        check_billable(date(2026, 12, 2), date(2026, 12, 1))
