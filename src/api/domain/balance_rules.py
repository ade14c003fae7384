"""What a client's new balance implies: suspension (hard clients) and low-balance alerts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from api.events import BalanceChanged, Event, LowBalance, SuspensionChanged


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


def crossed_down(previous: int, balance: int, threshold: int) -> bool:
    """A downward crossing: the balance was at or above ``threshold`` and is now below it."""
    return balance < threshold <= previous


def low_balance_transition(
    previous: int, balance: int, threshold: int, alerted: bool
) -> LowBalanceTransition:
    """One alert per downward crossing of ``threshold`` (from ``previous`` to ``balance``),
    never on a rise (a payment that leaves a balance still below the threshold) nor on a
    fall that was already below it; the flag is re-armed at or above the threshold.

    The one rule behind both the ``lowBalance`` event and the low-balance e-mail.
    """
    if balance >= threshold:
        return LowBalanceTransition(alerted=False, alert=False)
    if crossed_down(previous, balance, threshold) and not alerted:
        return LowBalanceTransition(alerted=True, alert=True)
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
    previous: int,
    suspended: bool,
    low_balance_alerted: bool,
) -> ClientFlags:
    """Suspension and low-balance flags for ``balance`` (reached from ``previous``)."""
    now_suspended = is_suspended(balance_type, balance)
    low = low_balance_transition(previous, balance, threshold, low_balance_alerted)
    return ClientFlags(
        suspended=now_suspended,
        low_balance_alerted=low.alerted,
        suspension_changed=now_suspended != suspended,
        low_balance_alert=low.alert,
    )


def effective_threshold(own: int | None, default: int) -> int:
    """A client's low-balance threshold: its own, else its reseller's default."""
    return default if own is None else own


@dataclass(frozen=True, slots=True)
class BalanceChange:
    """What a client's new balance implies: its flags (``changed``: to be stored) and the
    events to publish after the commit."""

    suspended: bool
    low_balance_alerted: bool
    changed: bool
    events: tuple[Event, ...]


def balance_change(
    reseller_id: int,
    client_id: int,
    balance: int,
    *,
    previous: int,
    balance_type: str,
    own_threshold: int | None,
    default_threshold: int,
    suspended: bool,
    alerted: bool,
    currency: str,
    at: datetime,
) -> BalanceChange:
    """The flags and events of a client at its new ``balance`` (reached from
    ``previous``): ``BalanceChanged`` always, ``LowBalance`` once per downward crossing of
    the effective threshold (from at or above it to below it),
    ``SuspensionChanged`` when a hard client crosses 0 either way."""
    threshold = effective_threshold(own_threshold, default_threshold)
    flags = flags_after(
        balance_type,
        balance,
        threshold,
        previous=previous,
        suspended=suspended,
        low_balance_alerted=alerted,
    )
    events: list[Event] = [BalanceChanged(reseller_id, client_id, balance, currency, at)]
    if flags.low_balance_alert:
        events.append(LowBalance(reseller_id, client_id, balance, threshold, currency, at))
    if flags.suspension_changed:
        events.append(SuspensionChanged(reseller_id, client_id, flags.suspended, at))
    return BalanceChange(
        flags.suspended,
        flags.low_balance_alerted,
        (flags.suspended, flags.low_balance_alerted) != (suspended, alerted),
        tuple(events),
    )
