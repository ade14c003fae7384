"""A stored CDR as the use cases return it: from its ORM row or from its :class:`CdrRow`."""

from __future__ import annotations

from api.services.views import CdrResult
from api.store.cdrs.row import CdrRow
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


def row_view(cdr_id: int, row: CdrRow, currency: str = "") -> CdrResult:
    """The view of a CDR row just stored, with the tenant's ``currency`` that the rating
    read."""
    return CdrResult(
        cdr_id, row.source, row.call_id, row.status, row.failure_reason, row.client_id,
        row.sub_account_id, row.direction, row.number, row.duration, row.billed_seconds,
        row.charged_seconds, row.sell_rate, row.sell, row.cost_rate, row.cost, row.profit,
        row.rule_kind, row.rule_text, row.rule_line, row.deck_prefix, row.country, row.route,
        row.free_minutes_used, bool(row.on_net), row.package_version_id, row.deck_version,
        row.transaction_id, False, currency,
    )  # fmt: skip
