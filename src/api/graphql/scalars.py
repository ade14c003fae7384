"""Scalars (registered through ``StrawberryConfig.scalar_map``): exact money as strings."""

from __future__ import annotations

import re
from decimal import Decimal

import strawberry
from strawberry.types.scalar import ScalarDefinition

from ratelang.money import MICRO, format_money

MAX_DIGITS = 15
_DECIMAL = re.compile(rf"^-?\d{{1,{MAX_DIGITS}}}(\.\d{{1,6}})?$")


def parse_decimal(value: object) -> Decimal:
    """Accept only a string like ``"12.5"`` (≤ 15 integer digits, ≤ 6 decimals)."""
    if not isinstance(value, str) or not _DECIMAL.match(value):
        raise ValueError('expected a decimal string with at most 6 decimal places, e.g. "12.50"')
    return Decimal(value)


def serialize_decimal(value: Decimal) -> str:
    return format(value, "f")


DECIMAL_SCALAR: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='An exact decimal as a string, e.g. "0.0095"; never a float.',
    serialize=serialize_decimal,
    parse_value=parse_decimal,
)


def to_micros(value: Decimal) -> int:
    """``Decimal("0.0095")`` → ``9500``; the scalar already limited the scale to 6 places."""
    return int(value * MICRO)


def from_micros(amount: int) -> Decimal:
    """``9500`` → ``Decimal("0.0095")``, ``10_500_000`` → ``Decimal("10.50")``: exact."""
    return Decimal(format_money(amount))
