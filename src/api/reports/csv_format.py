"""CSV rows of each report: a header, then full-precision values (money as 6-decimal
strings, never floats; times in the period's zone with their UTC offset)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from api.reports.cdrs import CdrRow
from api.reports.financial import Balances, FinancialReport
from api.reports.kinds import Movement
from api.reports.period import Period
from api.reports.profit import ProfitSummary
from api.reports.traffic import Traffic
from ratelang.money import format_money

Cell = str | int
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CDR_COLUMNS = (
    "started_at", "client_id", "client", "sub_account", "direction", "number", "country",
    "description", "status", "failure_reason", "duration", "billed_seconds",
    "free_minutes_used", "sell_rate", "sell",
)  # fmt: skip
CDR_COST_COLUMNS = ("rule_kind", "rule_text", "rule_line", "cost_rate", "cost", "profit")
PROFIT_COLUMNS = (
    "key", "label", "calls", "answered", "duration_seconds", "billed_seconds",
    "billed_minutes", "sell", "cost", "profit", "margin_percent", "asr_percent", "acd_seconds",
)  # fmt: skip
FINANCIAL_COLUMNS = (
    "reseller_id", "reseller", "line", "client_id", "client", "opening",
    *(movement.value for movement in Movement), "closing",
)  # fmt: skip


def text(value: str) -> str:
    """Free text, defused so that a spreadsheet never runs it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def money(amount: int | None) -> str:
    return "" if amount is None else format_money(amount)


def decimal(value: Decimal | None) -> str:
    return "" if value is None else str(value)


def cdr_header(sees_cost: bool) -> list[str]:
    return [*CDR_COLUMNS, *(CDR_COST_COLUMNS if sees_cost else ())]


def cdr_cells(row: CdrRow, period: Period, sees_cost: bool) -> list[Cell]:
    cells: list[Cell] = [
        period.local(row.started_at).isoformat(),
        "" if row.client_id is None else row.client_id,
        text(row.client_name),
        text(row.sub_account),
        row.direction,
        text(row.number),
        row.country,
        text(row.description),
        row.status,
        text(row.failure_reason),
        row.duration,
        row.billed_seconds,
        row.free_minutes_used,
        money(row.sell_rate),
        money(row.sell),
    ]
    if sees_cost:
        rule_line = "" if row.rule_line is None else row.rule_line
        cells += [row.rule_kind, text(row.rule_text), rule_line]
        cells += [money(row.cost_rate), money(row.cost), money(row.profit)]
    return cells


def traffic_cells(traffic: Traffic) -> list[Cell]:
    return [
        traffic.calls,
        traffic.answered,
        traffic.duration_seconds,
        traffic.billed_seconds,
        str(traffic.billed_minutes),
        money(traffic.sell),
        money(traffic.cost),
        money(traffic.profit),
        decimal(traffic.margin_percent),
        decimal(traffic.asr_percent),
        decimal(traffic.acd_seconds),
    ]


def profit_rows(summary: ProfitSummary) -> Iterable[list[Cell]]:
    """One row per group, then a ``total`` row."""
    for line in summary.lines:
        yield [text(line.key), text(line.label), *traffic_cells(line.traffic)]
    yield ["total", "", *traffic_cells(summary.total)]


def balance_cells(balances: Balances) -> list[Cell]:
    moved = [money(balances.movements[movement]) for movement in Movement]
    return [money(balances.opening), *moved, money(balances.closing)]


def financial_rows(report: FinancialReport) -> Iterable[list[Cell]]:
    """Per reseller: its clients, their total, and its own account with the operator."""
    for reseller in report.resellers:
        owner: list[Cell] = [reseller.reseller_id, text(reseller.reseller_name)]
        for statement in reseller.clients:
            client: list[Cell] = ["client", statement.client_id, text(statement.client_name)]
            yield [*owner, *client, *balance_cells(statement.balances)]
        yield [*owner, "clients_total", "", "", *balance_cells(reseller.clients_total)]
        if reseller.with_operator is not None:
            yield [*owner, "with_operator", "", "", *balance_cells(reseller.with_operator)]


def encode(rows: Iterable[Sequence[Cell]]) -> bytes:
    """Rows as UTF-8 CSV (RFC 4180 line ends)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode()
