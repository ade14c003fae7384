"""Query fields only a client's portal session uses; their types have no cost fields."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.graphql.context import Info
from api.graphql.errors import InvalidInput
from api.graphql.queries.reports import ReportFilter
from api.graphql.queries.reports import _problem as report_problem
from api.graphql.types.portal import MyCdrReport, MyCdrReportRow, MyCdrReportTotals
from api.reports import cdr_page, cdr_totals
from api.reports.errors import ReportError
from api.reports.params import cdr_filter_from
from api.store.engine import read_session

MyCdrReportResult = Annotated[MyCdrReport | InvalidInput, strawberry.union("MyCdrReportResult")]


async def my_cdr_report(
    info: Info, filter: ReportFilter, first: int = 50, after: str | None = None
) -> MyCdrReportResult:
    """The calling client's calls in ``(startedAt, id)`` order, at most 100 per page, and
    the filter's totals (the filter's ``resellerId`` and ``clientId`` are the caller's)."""
    context = info.context
    actor = context.require_role("client")
    try:
        cdr_filter = cdr_filter_from(filter.params())
        async with read_session(context.sessionmaker) as session:
            page = await cdr_page(session, actor, cdr_filter, after=after, size=first)
            totals = await cdr_totals(session, actor, cdr_filter)
    except ReportError as error:
        return report_problem(error)
    currency = await context.currency()
    return MyCdrReport(
        rows=[MyCdrReportRow.from_domain(r, currency) for r in page.rows],
        next_cursor=page.next_cursor,
        totals=MyCdrReportTotals.from_domain(totals, currency),
    )
