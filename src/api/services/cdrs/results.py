"""A stored CDR as the use cases return it: from its ORM row or from its :class:`CdrRow`."""

from __future__ import annotations

from api.services.records import CdrResult
from api.store.cdrs.row import CDR_COLUMNS, CdrRow
from api.store.tables import Cdr


def result_view(c: Cdr, *, duplicate: bool = False, currency: str = "") -> CdrResult:
    """The view of a stored CDR read through the ORM."""
    if c.id is None:
        raise ValueError("the CDR is not stored")
    row = CdrRow._make([getattr(c, name) for name in CDR_COLUMNS])
    return row_view(c.id, row, currency, duplicate=duplicate)


def row_view(cdr_id: int, row: CdrRow, currency: str = "", *, duplicate: bool = False) -> CdrResult:
    """The view of a stored CDR row, with the tenant's ``currency``."""
    return CdrResult(
        cdr_id, row.source, row.call_id, row.status, row.failure_reason, row.client_id,
        row.sub_account_id, row.direction, row.number, row.duration, row.billed_seconds,
        row.charged_seconds, row.sell_rate, row.sell, row.cost_rate, row.cost, row.profit,
        row.rule_kind, row.rule_text, row.rule_line, row.deck_prefix, row.country, row.route,
        row.free_minutes_used, bool(row.on_net), row.package_version_id, row.deck_version,
        row.transaction_id, duplicate, currency,
    )  # fmt: skip
