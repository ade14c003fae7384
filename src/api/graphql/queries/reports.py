"""The reports over GraphQL: a CDR page with totals, profit by group, the financial report.

The filter is validated by :mod:`api.reports.params` (the CSV endpoints' rules), so a bad
value comes back as ``InvalidInput`` naming the argument; a report the caller may not read
is a ``Forbidden`` error.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from api.domain.actor import Actor
from api.graphql.context import Info
from api.graphql.errors import Forbidden, InvalidInput, invalid
from api.graphql.types.common import CallDirection
from api.graphql.types.reports import (
    CdrReport,
    CdrReportRow,
    CdrReportTotals,
    FinancialReportResult,
    ProfitGroupBy,
    ProfitReport,
)
from api.reports import CdrPage, CdrTotals, cdr_page, cdr_totals, financial_report, profit_summary
from api.reports.errors import InvalidParameter, ReportError, ReportForbidden
from api.reports.params import cdr_filter_from, period_from
from api.reports.profit import GroupBy
from api.store.engine import read_session

CdrReportResult = Annotated[CdrReport | InvalidInput, strawberry.union("CdrReportResult")]
ProfitReportResult = Annotated[ProfitReport | InvalidInput, strawberry.union("ProfitReportResult")]
FinancialResult = Annotated[
    FinancialReportResult | InvalidInput, strawberry.union("FinancialReportUnion")
]


@strawberry.input
class ReportFilter:
    """Calls started on local days ``from``..``to`` (inclusive, at most 366) in ``tz``."""

    from_: date = strawberry.field(name="from")
    to: date
    tz: str = "UTC"
    reseller_id: int | None = None
    client_id: int | None = None
    sub_account_id: int | None = None
    direction: CallDirection | None = None
    country: str | None = None
    rated: bool | None = None

    def params(self) -> dict[str, str]:
        raw = {
            "from": self.from_.isoformat(), "to": self.to.isoformat(), "tz": self.tz[:64],
            "reseller_id": self.reseller_id, "client_id": self.client_id,
            "sub_account_id": self.sub_account_id,
            "direction": None if self.direction is None else self.direction.value,
            "country": self.country,
            "status": None if self.rated is None else ("rated" if self.rated else "unrated"),
        }  # fmt: skip
        return {k: str(v) for k, v in raw.items() if v is not None}


def report_problem(error: ReportError) -> InvalidInput:
    if isinstance(error, ReportForbidden):
        raise Forbidden from None
    assert isinstance(error, InvalidParameter)
    return invalid(error.name, error.message)


async def read_cdr_report(
    info: Info, actor: Actor, filter: ReportFilter, first: int, after: str | None
) -> tuple[CdrPage, CdrTotals, str]:
    """The page, the filter's totals and the currency of ``actor``'s CDR report (the
    staff's and the client's alike); :class:`ReportError` for a bad or forbidden filter."""
    context = info.context
    cdr_filter = cdr_filter_from(filter.params())
    async with read_session(context.sessionmaker) as session:
        page = await cdr_page(session, actor, cdr_filter, after=after, size=first)
        totals = await cdr_totals(session, actor, cdr_filter)
    return page, totals, await context.currency()


async def cdr_report(
    info: Info, filter: ReportFilter, first: int = 50, after: str | None = None
) -> CdrReportResult:
    """Calls in ``(startedAt, id)`` order, at most 100 per page, and the filter's totals."""
    try:
        page, totals, currency = await read_cdr_report(
            info, info.context.require(), filter, first, after
        )
    except ReportError as error:
        return report_problem(error)
    return CdrReport(
        rows=[CdrReportRow.from_domain(r, currency) for r in page.rows],
        next_cursor=page.next_cursor,
        totals=CdrReportTotals.from_domain(totals, currency),
    )


async def profit_report(
    info: Info, group_by: ProfitGroupBy, filter: ReportFilter
) -> ProfitReportResult:
    """Traffic, sell, cost, profit, margin, ASR and ACD per group (resellers, operator)."""
    context = info.context
    actor = context.require_role("reseller", "operator")
    try:
        cdr_filter = cdr_filter_from(filter.params())
        async with read_session(context.sessionmaker) as session:
            summary = await profit_summary(session, actor, cdr_filter, GroupBy(group_by.value))
    except ReportError as error:
        return report_problem(error)
    return ProfitReport.from_domain(summary, await context.currency())


async def financial_report_(
    info: Info,
    from_: Annotated[date, strawberry.argument(name="from")],
    to: date,
    tz: str = "UTC",
    reseller_id: int | None = None,
) -> FinancialResult:
    """Opening, movements and closing per client, and each reseller's operator account."""
    context = info.context
    actor = context.require()
    try:
        period = period_from({"from": from_.isoformat(), "to": to.isoformat(), "tz": tz[:64]})
        async with read_session(context.sessionmaker) as session:
            report = await financial_report(session, actor, period, reseller_id=reseller_id)
    except ReportError as error:
        return report_problem(error)
    return FinancialReportResult.from_domain(report, await context.currency())
