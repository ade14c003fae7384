"""A CDR row: every column of the ``cdrs`` table but ``id``, named once, in the order
the drivers bind them.

A CDR is a :class:`CdrRow` from pricing (:mod:`api.services.cdrs.pricing`) to the
driver, which binds its values in this order (a statement's parameters, multi-row
inserts); only PostgreSQL's ``COPY`` is given plain tuples (:mod:`api.store.cdrs.driver`).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from api.store.tables import Cdr


class CdrRow(NamedTuple):
    """One CDR as stored. ``started_at`` and ``created_at`` are already in the form the
    backend stores (UTC text on SQLite, see :mod:`api.store.utc`)."""

    reseller_id: int
    client_id: int | None
    sub_account_id: int | None
    did_id: int | None
    source: str
    call_id: str
    direction: str
    number: str
    started_at: Any
    duration: int
    status: str  # rated | unrated
    failure_reason: str
    billed_seconds: int
    cost_billed_seconds: int
    charged_seconds: int
    pulse: str
    sell_rate: int
    sell: int
    connect_fee: int
    cost_rate: int
    cost: int
    profit: int
    rule_kind: str
    rule_text: str
    rule_line: int | None
    deck_prefix: str
    country: str
    description: str
    route: str
    free_minutes_used: int
    on_net: bool
    package_version_id: int | None
    deck_version: str
    transaction_id: int | None
    created_at: Any


CDR_COLUMNS: tuple[str, ...] = CdrRow._fields
"""The columns of a :class:`CdrRow`, in order."""
TRANSACTION_ID = CDR_COLUMNS.index("transaction_id")
"""The place of ``transaction_id`` (the one column the writes fill)."""

_TABLE_COLUMNS = {c.name for c in Cdr.__table__.columns} - {"id"}  # type: ignore[attr-defined]
if set(CDR_COLUMNS) != _TABLE_COLUMNS:  # pragma: no cover - schema drift guard
    raise RuntimeError(f"CDR columns changed: {sorted(_TABLE_COLUMNS ^ set(CDR_COLUMNS))}")
