"""The sending state machine: sent, retried with backoff, given up with the reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.domain.mail import MailStatus, RetryPolicy, after_attempt

NOW = datetime(2026, 12, 1, tzinfo=UTC)
POLICY = RetryPolicy(max_attempts=4, base=timedelta(seconds=30), cap=timedelta(seconds=100))


def test_delivered_is_sent() -> None:
    outcome = after_attempt(1, POLICY, NOW)
    assert (outcome.status, outcome.next_attempt_at, outcome.last_error) == (
        MailStatus.SENT, None, "",
    )  # fmt: skip


def test_temporary_failures_back_off_then_give_up_keeping_the_reason() -> None:
    waits = [after_attempt(n, POLICY, NOW, error="451 busy").next_attempt_at for n in (1, 2, 3)]
    assert [w - NOW for w in waits if w] == [
        timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=100),
    ]  # fmt: skip
    last = after_attempt(4, POLICY, NOW, error="451 busy")
    assert last.status is MailStatus.FAILED
    assert last.last_error == "gave up after 4 attempts: 451 busy"


def test_a_permanent_refusal_fails_at_once() -> None:
    outcome = after_attempt(1, POLICY, NOW, error="550 no such user", permanent=True)
    assert (outcome.status, outcome.last_error) == (MailStatus.FAILED, "refused: 550 no such user")


def test_a_policy_needs_one_attempt() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RetryPolicy(max_attempts=0)
