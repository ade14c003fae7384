"""Exact money: integer micro-units (1 unit = 10**-6 of the currency) and the one rounding rule.

Every amount in ratelang is an ``int`` of micro-units; rates are micro-units per minute.
A call charge is rounded exactly once, with :func:`round_ratio`, from the exact ratio
``rate × billed_seconds / 60``; running balances are never rounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from ratelang.types import Micros

MICRO = 1_000_000
SCALE_DIGITS = 6

_AMOUNT = re.compile(r"(?P<sign>-?)(?P<int>[0-9]{1,18})(?:\.(?P<frac>[0-9]{1,6}))?")


class RoundingMode(StrEnum):
    """How a charge is brought to the declared number of decimal places."""

    HALF_UP = "half_up"  # ties away from zero
    UP = "up"  # away from zero
    DOWN = "down"  # towards zero
    HALF_EVEN = "half_even"  # ties to the even neighbour (banker's rounding)


@dataclass(frozen=True, slots=True)
class Rounding:
    """A package's ``round DIGITS MODE``; the default is 4 digits, half up."""

    digits: int = 4
    mode: RoundingMode = RoundingMode.HALF_UP
    quantum: Micros = field(init=False, repr=False, compare=False)
    """The smallest step of a rounded amount, in micro-units (computed once)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantum", 10 ** (SCALE_DIGITS - self.digits))


DEFAULT_ROUNDING = Rounding()
_HALF_UP = RoundingMode.HALF_UP  # a global lookup is cheaper than an enum member lookup


def parse_amount(text: str) -> Micros:
    """``"0.0095"`` → ``9500``. ASCII digits, at most 18 before the point and 6 after;
    raises ``ValueError`` otherwise."""
    match = _AMOUNT.fullmatch(text.strip())
    if match is None:
        raise ValueError(f"not an amount with at most 6 decimal places: {text!r}")
    frac = (match["frac"] or "").ljust(SCALE_DIGITS, "0")
    value = int(match["int"]) * MICRO + int(frac)
    return -value if match["sign"] else value


def format_micros(amount: Micros, places: int = SCALE_DIGITS) -> str:
    """``9500`` → ``"0.009500"`` (``places`` ≤ 6 drops only zero digits; never rounds)."""
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), MICRO)
    digits = f"{frac:06d}"
    kept, dropped = digits[:places], digits[places:]
    if dropped.strip("0"):
        kept = digits.rstrip("0")
    return f"{sign}{whole}.{kept}" if kept else f"{sign}{whole}"


def round_ratio(numerator: int, denominator: int, rounding: Rounding = DEFAULT_ROUNDING) -> Micros:
    """Round the exact micro-unit amount ``numerator / denominator`` once, as declared."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    step = denominator * rounding.quantum
    if numerator >= 0 and rounding.mode is _HALF_UP:  # the usual case, fast
        quotient, remainder = divmod(numerator, step)
        return (quotient + (2 * remainder >= step)) * rounding.quantum
    negative = numerator < 0
    quotient, remainder = divmod(abs(numerator), step)
    if remainder:
        mode = rounding.mode
        twice = 2 * remainder
        if (
            mode is RoundingMode.UP
            or (mode is RoundingMode.HALF_UP and twice >= step)
            or (
                mode is RoundingMode.HALF_EVEN
                and (twice > step or (twice == step and quotient % 2))
            )
        ):
            quotient += 1
    result = quotient * rounding.quantum
    return -result if negative else result


MONEY_PLACES = 2
"""The fewest decimal places of a money string (see :func:`format_money`)."""


def format_money(amount: Micros) -> str:
    """The one way the service writes money (GraphQL, CSV, command line): the exact amount
    with at least 2 and at most 6 decimal places, zeros after the second dropped, never
    rounded: ``10_500_000`` → ``"10.50"``, ``9500`` → ``"0.0095"``, ``-1`` →
    ``"-0.000001"``."""
    return format_micros(amount, MONEY_PLACES)
