"""Call counts and money of a group of calls, with the ratios a reseller reads."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HUNDREDTH = Decimal("0.01")


def ratio(numerator: int, denominator: int, scale: int = 1) -> Decimal | None:
    """``numerator × scale / denominator`` rounded half up to 2 places; None over zero."""
    if denominator == 0:
        return None
    return (Decimal(numerator * scale) / Decimal(denominator)).quantize(HUNDREDTH, ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Traffic:
    """Sums over a group of calls; money in micro-units, time in seconds."""

    calls: int = 0
    answered: int = 0  # duration > 0
    duration_seconds: int = 0
    billed_seconds: int = 0
    sell: int = 0
    cost: int = 0
    profit: int = 0

    def __add__(self, other: Traffic) -> Traffic:
        return Traffic(
            self.calls + other.calls,
            self.answered + other.answered,
            self.duration_seconds + other.duration_seconds,
            self.billed_seconds + other.billed_seconds,
            self.sell + other.sell,
            self.cost + other.cost,
            self.profit + other.profit,
        )

    @property
    def margin_percent(self) -> Decimal | None:
        """Profit as a percentage of sell."""
        return ratio(self.profit, self.sell, 100)

    @property
    def asr_percent(self) -> Decimal | None:
        """Answer-seizure ratio: answered calls as a percentage of attempts."""
        return ratio(self.answered, self.calls, 100)

    @property
    def acd_seconds(self) -> Decimal | None:
        """Average call duration over answered calls (unanswered ones last 0 s)."""
        return ratio(self.duration_seconds, self.answered)

    @property
    def billed_minutes(self) -> Decimal:
        """Billed seconds in minutes, rounded half up to 2 places (display only)."""
        return (Decimal(self.billed_seconds) / 60).quantize(HUNDREDTH, ROUND_HALF_UP)
