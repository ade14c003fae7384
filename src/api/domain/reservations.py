"""Reservations: what a hard client's authorized call holds until it ends.

The rules:

- Authorizing a call of a **hard** client with a call id reserves the sell of the granted
  duration (priced by the same pricing as the rating) and the free minutes that duration
  would use. A soft client's call reserves nothing (it gets the reseller's cap).
- A reservation is **live** until its ``expires_at``: the granted seconds plus
  :data:`GRACE_SECONDS` after the authorization. An expired one no longer counts.
- While live it lowers what the client's other calls may spend: their maximum duration
  is computed on ``balance − reserved money`` and ``free minutes left − reserved free
  minutes`` (:func:`spendable`). So the sum of the live reservations of a client never
  exceeds its balance, however many calls are authorized at once.
- Authorizing the same call id again (in the same tenant) **replaces** that call's own
  reservation, which is never counted against itself.
- It is **released** by the call's CDR (in the rating's transaction), by a hangup
  notice, or by expiry.
- A CDR of a call that held a reservation is **charged for at most the granted seconds**
  (:func:`charged_duration`): the switch was told to cut there, and a switch measuring
  61 s for a 60 s cut must not pay a second 60 s pulse. The raw duration is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

GRACE_SECONDS = 60
"""How long after the granted duration a reservation still counts (the switch's CDR
may arrive a little after the cut)."""


@dataclass(frozen=True, slots=True)
class Held:
    """A stored reservation of one call of the client."""

    call_id: str
    amount: int  # micro-units
    free_minutes: int
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Hold:
    """What an authorization reserves: the granted ``seconds``, their sell and the free
    minutes they would use."""

    seconds: int
    amount: int
    free_minutes: int


def expires_at(now: datetime, seconds: int, grace: int = GRACE_SECONDS) -> datetime:
    """When a reservation of ``seconds`` granted at ``now`` stops counting."""
    return now + timedelta(seconds=seconds + grace)


def is_live(held: Held, now: datetime) -> bool:
    return held.expires_at > now


def held_by_others(holds: Iterable[Held], now: datetime, call_id: str) -> tuple[int, int]:
    """(money, free minutes) held by the client's live reservations other than
    ``call_id``'s own (which a new authorization of that call replaces)."""
    money = minutes = 0
    for held in holds:
        if held.call_id != call_id and is_live(held, now):
            money += held.amount
            minutes += held.free_minutes
    return money, minutes


def spendable(
    balance: int, free_minutes_left: int, held_money: int, held_minutes: int
) -> tuple[int, int]:
    """(money, free minutes) a new call may use: what the live reservations of the
    client's other calls leave of its balance and of its free minutes (never below 0)."""
    return max(0, balance - held_money), max(0, free_minutes_left - held_minutes)


def charged_duration(duration: int, granted: int | None) -> int:
    """The seconds a CDR is charged for: at most the ``granted`` seconds of its
    reservation, if it had one."""
    return duration if granted is None else min(duration, granted)
