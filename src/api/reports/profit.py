"""Profit summaries: calls and money of the CDR filter grouped by client, country, day,
package or reseller, aggregated by the database (``GROUP BY``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, FromClause, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.actor import Actor
from api.reports.cdr_filter import CdrFilter, cdr_conditions
from api.reports.schema import cdrs, clients, package_versions, packages, resellers
from api.reports.scope import require_not_client, scope_of
from api.reports.sql import exact_int, utc_quarter_hour
from api.reports.traffic import Traffic


class GroupBy(StrEnum):
    CLIENT = "client"
    COUNTRY = "country"
    DAY = "day"
    PACKAGE = "package"
    RESELLER = "reseller"


@dataclass(frozen=True, slots=True)
class ProfitLine:
    """One group: its key (id, country code or ISO day; "" when none) and a label."""

    key: str
    label: str
    traffic: Traffic


@dataclass(frozen=True, slots=True)
class ProfitSummary:
    group_by: GroupBy
    lines: list[ProfitLine]
    total: Traffic


_TRAFFIC_SUMS = (
    func.count(),
    func.sum(case((cdrs.c.duration > 0, 1), else_=0)),
    func.sum(cdrs.c.duration),
    func.sum(cdrs.c.billed_seconds),
    func.sum(cdrs.c.sell),
    func.sum(cdrs.c.cost),
    func.sum(cdrs.c.profit),
)


def _grouping(group_by: GroupBy) -> tuple[FromClause, list[ColumnElement[Any]]]:
    """The FROM clause and the (key, label) columns of a grouping."""
    if group_by is GroupBy.CLIENT:
        joined = cdrs.outerjoin(clients, clients.c.id == cdrs.c.client_id)
        return joined, [cdrs.c.client_id, clients.c.name]
    if group_by is GroupBy.COUNTRY:
        return cdrs, [cdrs.c.country, cdrs.c.country]
    if group_by is GroupBy.DAY:
        quarter_hour = utc_quarter_hour(cdrs.c.started_at)
        return cdrs, [quarter_hour, quarter_hour]
    if group_by is GroupBy.PACKAGE:
        joined = cdrs.outerjoin(
            package_versions, package_versions.c.id == cdrs.c.package_version_id
        ).outerjoin(packages, packages.c.id == package_versions.c.package_id)
        return joined, [packages.c.id, packages.c.name]
    joined = cdrs.join(resellers, resellers.c.id == cdrs.c.reseller_id)
    return joined, [cdrs.c.reseller_id, resellers.c.name]


async def profit_summary(
    session: AsyncSession, actor: Actor, cdr_filter: CdrFilter, group_by: GroupBy
) -> ProfitSummary:
    """Traffic, sell, cost, profit, margin, ASR and ACD per group, ordered by label.

    By day, every local day of the period is listed (zeros included); see
    :mod:`api.reports.period` for how calls fall into local days. Not for clients.
    """
    require_not_client(actor, "profit")
    scope = scope_of(actor)
    from_clause, (key, label) = _grouping(group_by)
    group_columns = [key] if key is label else [key, label]
    query = (
        select(*group_columns, *_TRAFFIC_SUMS)
        .select_from(from_clause)
        .where(*cdr_conditions(cdr_filter, scope))
        .group_by(*group_columns)
    )
    rows = (await session.execute(query)).all()
    width = len(group_columns)
    grouped = [(row[0], row[width - 1], _traffic(row[width:])) for row in rows]
    if group_by is GroupBy.DAY:
        lines = _fold_days(cdr_filter, grouped)
    else:
        lines = [
            _line(key_value, label_value, traffic) for key_value, label_value, traffic in grouped
        ]
        lines.sort(key=lambda line: (line.label, line.key))
    return ProfitSummary(group_by, lines, sum((line.traffic for line in lines), Traffic()))


def _traffic(values: Sequence[object]) -> Traffic:
    return Traffic(*(exact_int(value) for value in values))


def _line(key: object, label: object, traffic: Traffic) -> ProfitLine:
    key_text = "" if key is None else str(key)
    return ProfitLine(key_text, "" if label is None else str(label), traffic)


def _fold_days(cdr_filter: CdrFilter, grouped: list[tuple[Any, Any, Traffic]]) -> list[ProfitLine]:
    by_day: dict[date, Traffic] = {day: Traffic() for day in cdr_filter.period.days()}
    for quarter_hour, _, traffic in grouped:
        day = cdr_filter.period.day_of_bucket(exact_int(quarter_hour))
        by_day[day] += traffic
    return [_line(day.isoformat(), day.isoformat(), traffic) for day, traffic in by_day.items()]
