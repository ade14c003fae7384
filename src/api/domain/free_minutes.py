"""Free-minute bookkeeping for one attached package within its billing cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Bundle:
    """What a client package holds now: its allowance and what this cycle used."""

    allowance: int
    used: int
    cycle_start: date

    @property
    def left(self) -> int:
        return max(0, self.allowance - self.used)


def current_bundle(allowance: int, used: int, stored_start: date, current_start: date) -> Bundle:
    """The bundle for the cycle starting ``current_start``: a new cycle starts with 0 used."""
    if current_start > stored_start:
        return Bundle(allowance, 0, current_start)
    return Bundle(allowance, used, stored_start)


def minutes_needed(duration_seconds: int) -> int:
    """``ceil(duration / 60)``: a call of 3:11 needs 4 free minutes."""
    return -(-max(0, duration_seconds) // 60)
