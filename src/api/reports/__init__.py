"""Reports (SPEC 8): CDRs, profit summaries and the financial report, with CSV export.

Every function takes the verified :class:`~api.domain.actor.Actor` and reads only what it
may: a client its own calls (without costs) and statement, a reseller its clients, the
operator every reseller's totals. Money is integer micro-units throughout.
"""

from api.reports.cdr_filter import CdrFilter
from api.reports.cdrs import CdrPage, CdrRow, CdrTotals, cdr_page, cdr_totals, stream_cdr_rows
from api.reports.errors import InvalidParameter, ReportError, ReportForbidden
from api.reports.financial import (
    Balances,
    ClientStatement,
    FinancialReport,
    ResellerFinancials,
    financial_report,
)
from api.reports.period import Period
from api.reports.profit import GroupBy, ProfitLine, ProfitSummary, profit_summary
from api.reports.traffic import Traffic

__all__ = [
    "Balances",
    "CdrFilter",
    "CdrPage",
    "CdrRow",
    "CdrTotals",
    "ClientStatement",
    "FinancialReport",
    "GroupBy",
    "InvalidParameter",
    "Period",
    "ProfitLine",
    "ProfitSummary",
    "ReportError",
    "ReportForbidden",
    "ResellerFinancials",
    "Traffic",
    "cdr_page",
    "cdr_totals",
    "financial_report",
    "profit_summary",
    "stream_cdr_rows",
]
