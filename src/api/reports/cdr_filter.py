"""The filters shared by the CDR report and the profit summaries, as SQL conditions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement

from api.reports.kinds import CdrStatus, Direction
from api.reports.period import Period
from api.reports.schema import cdrs
from api.reports.scope import Scope


@dataclass(frozen=True, slots=True)
class CdrFilter:
    """Which calls: those started within ``period``, narrowed by any field given."""

    period: Period
    reseller_id: int | None = None  # the operator's choice; a reseller is confined anyway
    client_id: int | None = None
    sub_account_id: int | None = None
    direction: Direction | None = None
    country: str | None = None  # ISO 3166 alpha-2
    status: CdrStatus | None = None  # rated | unrated; None: both


def cdr_conditions(cdr_filter: CdrFilter, scope: Scope) -> list[ColumnElement[bool]]:
    """The WHERE clause: the filter ANDed with the actor's scope."""
    started_at = cdrs.c.started_at
    conditions: list[ColumnElement[bool]] = [
        started_at >= cdr_filter.period.utc_start,
        started_at < cdr_filter.period.utc_end,
    ]
    equal: list[tuple[Any, object]] = [
        (cdrs.c.reseller_id, scope.reseller_id),
        (cdrs.c.client_id, scope.client_id),
        (cdrs.c.reseller_id, cdr_filter.reseller_id),
        (cdrs.c.client_id, cdr_filter.client_id),
        (cdrs.c.sub_account_id, cdr_filter.sub_account_id),
        (cdrs.c.direction, cdr_filter.direction),
        (cdrs.c.country, cdr_filter.country),
        (cdrs.c.status, cdr_filter.status),
    ]
    conditions.extend(column == value for column, value in equal if value is not None)
    return conditions
