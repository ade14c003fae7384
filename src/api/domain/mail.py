"""The sending state machine of one queued e-mail (the outbox row), in one place.

::

    pending ──claim──▶ sending ──delivered──▶ sent
       ▲                  │
       └──retry (backoff)─┤ a temporary failure, tries left
                          └──▶ failed   no tries left, or a permanent refusal (5xx)

A claim takes a lease: a row still ``sending`` when its lease ends (its sender died) is
claimable again. ``attempts`` counts claims, so a row whose sender keeps dying also ends
``failed``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class MailStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Tries and backoff: ``base × 2**(attempt-1)``, capped; the lease of a claim."""

    max_attempts: int = 8
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    lease: timedelta = timedelta(minutes=5)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("at least one attempt")

    def backoff(self, attempts: int) -> timedelta:
        factor: int = 2 ** min(max(attempts - 1, 0), 20)
        return min(self.cap, self.base * factor)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The row's state after an attempt."""

    status: MailStatus
    next_attempt_at: datetime | None
    last_error: str


MAX_ERROR = 500


def after_attempt(
    attempts: int,
    policy: RetryPolicy,
    now: datetime,
    *,
    error: str | None = None,
    permanent: bool = False,
) -> Outcome:
    """The state after attempt number ``attempts`` (1-based): ``error`` ``None`` means
    delivered; else a retry after the backoff, or ``failed`` with the reason kept."""
    if error is None:
        return Outcome(MailStatus.SENT, None, "")
    reason = error[:MAX_ERROR]
    if permanent or attempts >= policy.max_attempts:
        why = "refused" if permanent else f"gave up after {attempts} attempts"
        return Outcome(MailStatus.FAILED, None, f"{why}: {reason}"[:MAX_ERROR])
    return Outcome(MailStatus.PENDING, now + policy.backoff(attempts), reason)
