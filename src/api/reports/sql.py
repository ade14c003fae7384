"""Small SQL helpers that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from api.reports.period import BUCKET_SECONDS


def exact_int(value: object) -> int:
    """A SQL ``SUM``/``COUNT`` as an exact ``int``: PostgreSQL sums BIGINT into NUMERIC
    (a ``Decimal``), SQLite into INTEGER, and both give NULL for no rows."""
    if value is None:
        return 0
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    raise TypeError(f"not an exact integer: {value!r}")


class utc_quarter_hour(FunctionElement[int]):  # noqa: N801  (named like a SQL function)
    """The UTC quarter hour number (``epoch seconds // 900``) of a UTC timestamp column."""

    type = BigInteger()
    inherit_cache = True
    name = "utc_quarter_hour"


@compiles(utc_quarter_hour, "postgresql")
def _quarter_hour_postgresql(element: utc_quarter_hour, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {column}) / {BUCKET_SECONDS}) AS BIGINT)"


@compiles(utc_quarter_hour, "sqlite")
def _quarter_hour_sqlite(element: utc_quarter_hour, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(element.clauses, **kw)
    return f"(CAST(strftime('%s', {column}) AS INTEGER) / {BUCKET_SECONDS})"
