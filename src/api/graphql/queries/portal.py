"""Query fields only a client's portal session uses; their types have no cost fields."""

from __future__ import annotations

from typing import Annotated

import strawberry

from api.graphql.context import Info
from api.graphql.errors import InvalidInput
from api.graphql.queries.reports import ReportFilter, read_cdr_report, report_problem
from api.graphql.types.portal import MyCdrReport, MyCdrReportRow, MyCdrReportTotals
from api.reports.errors import ReportError

MyCdrReportResult = Annotated[MyCdrReport | InvalidInput, strawberry.union("MyCdrReportResult")]


async def my_cdr_report(
    info: Info, filter: ReportFilter, first: int = 50, after: str | None = None
) -> MyCdrReportResult:
    """The calling client's calls in ``(startedAt, id)`` order, at most 100 per page, and
    the filter's totals (the filter's ``resellerId`` and ``clientId`` are the caller's)."""
    actor = info.context.require_role("client")
    try:
        page, totals, currency = await read_cdr_report(info, actor, filter, first, after)
    except ReportError as error:
        return report_problem(error)
    return MyCdrReport(
        rows=[MyCdrReportRow.from_domain(r, currency) for r in page.rows],
        next_cursor=page.next_cursor,
        totals=MyCdrReportTotals.from_domain(totals, currency),
    )
