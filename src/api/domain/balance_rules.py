"""What a client's new balance implies: suspension (hard clients) and low-balance alerts."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BalanceType(StrEnum):
    SOFT = "soft"  # never suspended for money
    HARD = "hard"  # suspended while the balance is ≤ 0


def is_suspended(balance_type: str, balance: int) -> bool:
    """A hard client is suspended at a balance ≤ 0; a soft client never."""
    return balance_type == BalanceType.HARD and balance <= 0


@dataclass(frozen=True, slots=True)
class LowBalanceTransition:
    """The alert flag after a balance change, and whether to emit one alert now."""

    alerted: bool
    alert: bool


def low_balance_transition(balance: int, threshold: int, alerted: bool) -> LowBalanceTransition:
    """One alert per downward crossing of ``threshold``; re-armed at or above it again."""
    below = balance < threshold
    if below and not alerted:
        return LowBalanceTransition(alerted=True, alert=True)
    if not below and alerted:
        return LowBalanceTransition(alerted=False, alert=False)
    return LowBalanceTransition(alerted=alerted, alert=False)


@dataclass(frozen=True, slots=True)
class ClientFlags:
    """A client's money flags after a balance change, and what changed."""

    suspended: bool
    low_balance_alerted: bool
    suspension_changed: bool
    low_balance_alert: bool


def flags_after(
    balance_type: str,
    balance: int,
    threshold: int,
    *,
    suspended: bool,
    low_balance_alerted: bool,
) -> ClientFlags:
    """Suspension and low-balance flags for ``balance``."""
    now_suspended = is_suspended(balance_type, balance)
    low = low_balance_transition(balance, threshold, low_balance_alerted)
    return ClientFlags(
        suspended=now_suspended,
        low_balance_alerted=low.alerted,
        suspension_changed=now_suspended != suspended,
        low_balance_alert=low.alert,
    )
