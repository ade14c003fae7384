"""A stored CDR as the use cases return it: from its ORM row or from its raw row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from api.services.views import CdrResult
from api.store.cdrs.driver import COL
from api.store.tables import Cdr


def result_view(c: Cdr, *, duplicate: bool = False, currency: str = "") -> CdrResult:
    if c.id is None:
        raise ValueError("the CDR is not stored")
    return CdrResult(
        c.id,
        c.source,
        c.call_id,
        c.status,
        c.failure_reason,
        c.client_id,
        c.sub_account_id,
        c.direction,
        c.number,
        c.duration,
        c.billed_seconds,
        c.charged_seconds,
        c.sell_rate,
        c.sell,
        c.cost_rate,
        c.cost,
        c.profit,
        c.rule_kind,
        c.rule_text,
        c.rule_line,
        c.deck_prefix,
        c.country,
        c.route,
        c.free_minutes_used,
        c.on_net,
        c.package_version_id,
        c.deck_version,
        c.transaction_id,
        duplicate,
        currency,
    )


def row_view(cdr_id: int, row: Sequence[Any], currency: str = "") -> CdrResult:
    """The view of a CDR row just stored (:data:`~api.store.cdrs.driver.CDR_INSERT_COLUMNS`),
    with the tenant's ``currency`` that the rating read."""
    return CdrResult(
        cdr_id,
        row[COL["source"]],
        row[COL["call_id"]],
        row[COL["status"]],
        row[COL["failure_reason"]],
        row[COL["client_id"]],
        row[COL["sub_account_id"]],
        row[COL["direction"]],
        row[COL["number"]],
        row[COL["duration"]],
        row[COL["billed_seconds"]],
        row[COL["charged_seconds"]],
        row[COL["sell_rate"]],
        row[COL["sell"]],
        row[COL["cost_rate"]],
        row[COL["cost"]],
        row[COL["profit"]],
        row[COL["rule_kind"]],
        row[COL["rule_text"]],
        row[COL["rule_line"]],
        row[COL["deck_prefix"]],
        row[COL["country"]],
        row[COL["route"]],
        row[COL["free_minutes_used"]],
        bool(row[COL["on_net"]]),
        row[COL["package_version_id"]],
        row[COL["deck_version"]],
        row[COL["transaction_id"]],
        False,
        currency,
    )
