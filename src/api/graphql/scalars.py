"""Scalars (registered through ``StrawberryConfig.scalar_map``): exact money as strings,
dates and times within the stores' range. Each refuses a bad value at the boundary, with
a GraphQL error (never a crash), whether it came in a variable or inline in the document.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from operator import methodcaller
from typing import Any

import strawberry
from graphql import StringValueNode, ValueNode

from api.compat.strawberry import ScalarDefinition
from api.domain.limits import amount_problem, day_problem, moment_problem
from api.graphql.errors import InvalidValue
from ratelang.money import MICRO, format_money

MAX_DIGITS = 12
_isoformat = methodcaller("isoformat")
_DECIMAL = re.compile(rf"-?[0-9]{{1,{MAX_DIGITS}}}(\.[0-9]{{1,6}})?")
_DECIMAL_MESSAGE = (
    f"expected a decimal string with at most {MAX_DIGITS} digits before the point and 6"
    ' after, e.g. "12.50"'
)


def _refuse(message: str) -> InvalidValue:
    return InvalidValue(message)


def parse_decimal(value: object) -> Decimal:
    """Accept only a string like ``"12.5"`` (ASCII digits, ≤ 12 before the point, ≤ 6
    after): at most 999,999,999,999.999999, which a ``BIGINT`` of micro-units holds."""
    if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
        raise _refuse(_DECIMAL_MESSAGE)
    amount = Decimal(value)
    if problem := amount_problem(int(amount * MICRO)):
        raise _refuse(problem)
    return amount


def serialize_decimal(value: Decimal) -> str:
    return format(value, "f")


def parse_datetime(value: object) -> datetime:
    """An ISO 8601 time (ASCII), from 1970 to 2999 once converted to UTC."""
    if not isinstance(value, str) or not value.isascii():
        raise _refuse("expected an ISO 8601 time string, e.g. 2026-03-01T10:00:00+00:00")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _refuse("expected an ISO 8601 time, e.g. 2026-03-01T10:00:00+00:00") from None
    if problem := moment_problem(moment):
        raise _refuse(problem)
    return moment


def parse_date(value: object) -> date:
    """An ISO 8601 date (``2026-02-28``) from 1970-01-01 to 2999-12-31."""
    if not isinstance(value, str) or not value.isascii():
        raise _refuse("expected a date string like 2026-02-28")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise _refuse("expected a date like 2026-02-28") from None
    if problem := day_problem(day):
        raise _refuse(problem)
    return day


def _literal(parse: Callable[[object], Any]) -> Callable[..., Any]:
    """The inline form of a string scalar: only a string literal (``amount: "10"``)."""

    def parse_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> Any:
        if not isinstance(node, StringValueNode):
            raise _refuse('expected a string literal, e.g. "10.00"; got ' + node.kind)
        return parse(node.value)

    return parse_literal


DECIMAL_SCALAR: ScalarDefinition = strawberry.scalar(
    name="Decimal",
    description='An exact decimal as a string, e.g. "0.0095"; never a float.',
    serialize=serialize_decimal,
    parse_value=parse_decimal,
    parse_literal=_literal(parse_decimal),
)

DATETIME_SCALAR: ScalarDefinition = strawberry.scalar(
    name="DateTime",
    description="Date with time (isoformat)",
    serialize=_isoformat,
    parse_value=parse_datetime,
    parse_literal=_literal(parse_datetime),
)

DATE_SCALAR: ScalarDefinition = strawberry.scalar(
    name="Date",
    description="Date (isoformat)",
    serialize=_isoformat,
    parse_value=parse_date,
    parse_literal=_literal(parse_date),
)


def to_micros(value: Decimal) -> int:
    """``Decimal("0.0095")`` → ``9500``; the scalar already limited the scale to 6 places."""
    return int(value * MICRO)


def from_micros(amount: int) -> Decimal:
    """``9500`` → ``Decimal("0.0095")``, ``10_500_000`` → ``Decimal("10.50")``: exact."""
    return Decimal(format_money(amount))
