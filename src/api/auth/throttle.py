"""Failed-login throttling per account, in memory (one process; resets on restart).

After :attr:`LoginThrottle.free_failures` consecutive failures an account is locked for
``base × 2**(extra failures)`` seconds, capped at ``cap``: 1 s, 2 s, 4 s … 15 min. While
locked, attempts are refused without checking the password (so they cost no argon2 time
and cannot probe it); a success clears the record. Records are kept for at most
``max_accounts`` accounts, the oldest dropped first. Several workers each keep their own
counters, which multiplies the allowance by the number of workers — documented in
``docs/api.md``.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Record:
    failures: int = 0
    locked_until: float = 0.0


class LoginThrottle:
    """Exponential backoff per account name after repeated failed logins."""

    def __init__(
        self,
        *,
        free_failures: int = 5,
        base: float = 1.0,
        cap: float = 900.0,
        max_accounts: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.base = base
        self.cap = cap
        self.max_accounts = max_accounts
        self._clock = clock
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def retry_after(self, account: str) -> float:
        """Seconds until ``account`` may try again; ``0`` when it may try now."""
        record = self._records.get(_key(account))
        if record is None:
            return 0.0
        return max(0.0, record.locked_until - self._clock())

    def failed(self, account: str) -> None:
        key = _key(account)
        record = self._records.pop(key, None) or _Record()
        record.failures += 1
        extra = record.failures - self.free_failures
        if extra >= 0:
            record.locked_until = self._clock() + min(self.cap, self.base * 2 ** min(extra, 30))
        self._records[key] = record
        while len(self._records) > self.max_accounts:
            self._records.popitem(last=False)

    def succeeded(self, account: str) -> None:
        self._records.pop(_key(account), None)


def _key(account: str) -> str:
    return account.strip().casefold()
