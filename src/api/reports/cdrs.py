"""The CDR report: one page of calls (keyset on ``(started_at, id)``), totals for the whole
filter, and a chunked stream of every row for the CSV export."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, and_, case, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.actor import Actor
from api.domain.limits import moment_problem
from api.reports.cdr_filter import CdrFilter, cdr_conditions
from api.reports.errors import InvalidParameter
from api.reports.period import as_utc
from api.reports.schema import cdrs, clients, sub_accounts
from api.reports.scope import Scope, scope_of
from api.reports.sql import exact_int

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 50
MAX_ROW_ID = 2**63 - 1  # a BIGINT
STREAM_CHUNK_ROWS = 2000


@dataclass(frozen=True, slots=True)
class CdrRow:
    """One call as the report shows it; cost figures are ``None`` for a client."""

    id: int
    started_at: datetime  # aware, UTC
    client_id: int | None
    client_name: str
    sub_account_id: int | None
    sub_account: str
    direction: str
    number: str
    country: str
    description: str
    status: str
    failure_reason: str
    duration: int
    billed_seconds: int
    free_minutes_used: int
    rule_kind: str
    rule_text: str
    rule_line: int | None
    sell_rate: int
    sell: int
    cost_rate: int | None
    cost: int | None
    profit: int | None


@dataclass(frozen=True, slots=True)
class CdrTotals:
    """Sums over every call of the filter (not only the page); money in micro-units."""

    calls: int
    answered: int
    duration_seconds: int
    billed_seconds: int
    free_minutes_used: int
    sell: int
    cost: int | None
    profit: int | None


@dataclass(frozen=True, slots=True)
class CdrPage:
    rows: list[CdrRow]
    next_cursor: str | None  # pass it back for the following page; None on the last


def encode_cursor(row: CdrRow) -> str:
    """An opaque position after ``row`` in ``(started_at, id)`` order."""
    raw = f"{row.started_at.isoformat()}|{row.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """Inverse of :func:`encode_cursor`; a tampered cursor is an :class:`InvalidParameter`."""
    refused = InvalidParameter("cursor", "not a cursor returned by this report")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, _, row_id = raw.partition("|")
        started_at = datetime.fromisoformat(moment)
    except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
        raise refused from exc
    if moment_problem(started_at) or not (row_id.isascii() and row_id.isdigit()):
        raise refused
    if len(row_id) > len(str(MAX_ROW_ID)):
        raise refused
    if not 0 < int(row_id) <= MAX_ROW_ID:
        raise refused
    return as_utc(started_at), int(row_id)


_ROW_COLUMNS = (
    cdrs.c.id,
    cdrs.c.started_at,
    cdrs.c.client_id,
    func.coalesce(clients.c.name, "").label("client_name"),
    cdrs.c.sub_account_id,
    func.coalesce(sub_accounts.c.username, "").label("sub_account"),
    cdrs.c.direction,
    cdrs.c.number,
    cdrs.c.country,
    cdrs.c.description,
    cdrs.c.status,
    cdrs.c.failure_reason,
    cdrs.c.duration,
    cdrs.c.billed_seconds,
    cdrs.c.free_minutes_used,
    cdrs.c.rule_kind,
    cdrs.c.rule_text,
    cdrs.c.rule_line,
    cdrs.c.sell_rate,
    cdrs.c.sell,
    cdrs.c.cost_rate,
    cdrs.c.cost,
    cdrs.c.profit,
)


def _rows_query(cdr_filter: CdrFilter, scope: Scope) -> Select[Any]:
    joined = cdrs.outerjoin(clients, clients.c.id == cdrs.c.client_id).outerjoin(
        sub_accounts, sub_accounts.c.id == cdrs.c.sub_account_id
    )
    return (
        select(*_ROW_COLUMNS)
        .select_from(joined)
        .where(*cdr_conditions(cdr_filter, scope))
        .order_by(cdrs.c.started_at, cdrs.c.id)
    )


def _to_row(row: Row[Any], scope: Scope) -> CdrRow:
    values = row._asdict()
    values["started_at"] = as_utc(values["started_at"])
    if not scope.sees_cost:
        values.update(cost_rate=None, cost=None, profit=None)
    return CdrRow(**values)


async def cdr_page(
    session: AsyncSession,
    actor: Actor,
    cdr_filter: CdrFilter,
    *,
    after: str | None = None,
    size: int = DEFAULT_PAGE_SIZE,
) -> CdrPage:
    """Up to ``size`` (≤ 100) calls in ``(started_at, id)`` order, after the cursor ``after``."""
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise InvalidParameter("size", f"must be between 1 and {MAX_PAGE_SIZE}")
    scope = scope_of(actor)
    query = _rows_query(cdr_filter, scope).limit(size + 1)
    if after is not None:
        started_at, row_id = decode_cursor(after)
        query = query.where(tuple_(cdrs.c.started_at, cdrs.c.id) > tuple_(started_at, row_id))
    fetched = [_to_row(row, scope) for row in (await session.execute(query)).all()]
    rows = fetched[:size]
    next_cursor = encode_cursor(rows[-1]) if len(fetched) > size else None
    return CdrPage(rows, next_cursor)


async def cdr_totals(session: AsyncSession, actor: Actor, cdr_filter: CdrFilter) -> CdrTotals:
    """Totals of every call the filter selects, computed by the database."""
    scope = scope_of(actor)
    query = select(
        func.count(),
        func.sum(case((cdrs.c.duration > 0, 1), else_=0)),
        func.sum(cdrs.c.duration),
        func.sum(cdrs.c.billed_seconds),
        func.sum(cdrs.c.free_minutes_used),
        func.sum(cdrs.c.sell),
        func.sum(cdrs.c.cost),
        func.sum(cdrs.c.profit),
    ).where(and_(*cdr_conditions(cdr_filter, scope)))
    values = [exact_int(value) for value in (await session.execute(query)).one()]
    calls, answered, duration, billed, free_minutes, sell, cost, profit = values
    if not scope.sees_cost:
        return CdrTotals(calls, answered, duration, billed, free_minutes, sell, None, None)
    return CdrTotals(calls, answered, duration, billed, free_minutes, sell, cost, profit)


async def stream_cdr_rows(
    session: AsyncSession,
    actor: Actor,
    cdr_filter: CdrFilter,
    *,
    chunk_rows: int = STREAM_CHUNK_ROWS,
) -> AsyncIterator[Sequence[CdrRow]]:
    """Every call of the filter in order, ``chunk_rows`` at a time, through a server-side
    cursor: memory stays constant whatever the number of rows."""
    scope = scope_of(actor)
    query = _rows_query(cdr_filter, scope).execution_options(yield_per=chunk_rows)
    result = await session.stream(query)
    async for partition in result.partitions():
        yield [_to_row(row, scope) for row in partition]
