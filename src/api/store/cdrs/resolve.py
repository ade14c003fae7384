"""The one read of the real-time CDR path: everything a CDR needs, in one query.

For (reseller, source, call id, sub account username, dialled digits, by DID) the query
returns one row: the reseller's currency and threshold, the active deck version, a stored twin's
id, the sub account's line (client, attachment, package version), the DID dialled, the
tenant's ledger account ids and (SQLite, and PostgreSQL's unlocked read) the client's
flags and balance. No row: no such reseller. :class:`ResolvedCall` names its columns.
``by_did`` (an inbound CDR that names no sub account): the line is the client to which
the tenant assigned the DID called (no sub account, the client's latest attachment).

PostgreSQL has two variants: :data:`RESOLVE_POSTGRES` locks the attachment (the first
statement of an explicit transaction), :data:`RESOLVE_POSTGRES_READ` locks nothing (an
autocommit read whose assumptions the guarded write checks under its locks, see
:mod:`api.store.cdrs.writes`). Neither looks for a stored twin (``existing`` is always
``None``): the CDR insert finds it (a unique violation, or ``ON CONFLICT DO NOTHING``),
which costs nothing per CDR where a look-up costs an index probe whose plan, on a table
without statistics yet, was a scan of the tenant's CDRs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any, NamedTuple

from api.store.line_packages import line_attachment_postgres, line_attachment_sqlite

Fetch = Callable[..., Awaitable[list[Sequence[Any]]]]
"""A driver's ``fetch(sql, *args)``: the rows of one statement."""


class ResolvedCall(NamedTuple):
    """The row of the resolve query. A column of a joined row is ``None`` when that row is
    missing (no live sub account, no attachment, no DID); ``own_threshold``, ``suspended``,
    ``alerted`` and ``balance`` are read on SQLite and by :data:`RESOLVE_POSTGRES_READ`
    (PostgreSQL's locked transaction reads the client's flags after the balance update,
    under its lock)."""

    currency: str
    default_threshold: int
    deck_version: str | None
    existing: int | None  # the id of a stored twin
    sub_account_id: int | None
    client_id: int | None
    balance_type: str | None
    billing_day: int | None
    own_package: int | None  # the sub account's own package link
    attachment_id: int | None
    stored_cycle: date | str | None  # SQLite returns dates as text
    stored_used: int | None
    version_id: int | None
    did_id: int | None
    did_client: int | None
    did_price: int | None
    did_cost: int | None
    client_account: int | None
    revenue_account: int | None
    reseller_account: int | None
    operator_account: int | None
    own_threshold: int | None
    suspended: bool | None
    alerted: bool | None
    balance: int | None
    reserved: int | None  # the seconds granted to the call's reservation, if one is held

    def ledger_accounts(self) -> tuple[int, int, int, int]:
        """(client, reseller revenue, reseller, operator revenue) account ids, for a call
        with money (the client's account exists with the client, the others with the
        reseller)."""
        client, revenue = self.client_account, self.revenue_account
        reseller, operator = self.reseller_account, self.operator_account
        if client is None or revenue is None or reseller is None or operator is None:
            raise LookupError("a ledger account of the client or of the reseller is missing")
        return client, revenue, reseller, operator


async def resolve_call(
    fetch: Fetch,
    postgres: bool,
    tenant: int,
    source: str,
    call_id: str,
    sub_account: str,
    digits: str,
    *,
    unlocked: bool = False,
    by_did: bool = False,
) -> ResolvedCall | None:
    """Run the resolve query with ``fetch`` (a driver's ``fetch``, or a real-time
    transaction's ``begin_fetch``); ``None``: no such reseller. ``unlocked``: PostgreSQL's
    read without locks (:data:`RESOLVE_POSTGRES_READ`). ``by_did``: the line is the client
    of the DID ``digits`` (``sub_account`` is ignored)."""
    if postgres:  # no look-up of a stored twin: (tenant, sub account, digits, by DID)
        sql = RESOLVE_POSTGRES_READ if unlocked else RESOLVE_POSTGRES
        rows = await fetch(sql, tenant, sub_account, digits, by_did, call_id)
    else:
        rows = await fetch(
            RESOLVE_SQLITE, tenant, source, call_id, sub_account, digits, int(by_did)
        )
    return ResolvedCall._make(rows[0]) if rows else None


_RESOLVE_SQLITE = """
SELECT r.currency, r.low_balance_threshold,
  (SELECT version FROM deck_versions WHERE active = 1 LIMIT 1),
  (SELECT id FROM cdrs WHERE reseller_id = r.id AND source = ?2 AND call_id = ?3),
  sa.id, c.id, c.balance_type, c.billing_day, sa.package_id,
  cp.id, cp.cycle_start, cp.free_minutes_used, pv.id,
  d.id, d.client_id, d.per_minute_price, d.per_minute_cost,
  (SELECT id FROM accounts WHERE kind = 'client' AND reseller_id = r.id AND client_id = c.id),
  (SELECT id FROM accounts WHERE kind = 'reseller_revenue' AND reseller_id = r.id
     AND client_id IS NULL),
  (SELECT id FROM accounts WHERE kind = 'reseller' AND reseller_id = r.id
     AND client_id IS NULL),
  (SELECT id FROM accounts WHERE kind = 'operator_revenue' AND reseller_id = r.id
     AND client_id IS NULL),
  c.low_balance_threshold, c.suspended, c.low_balance_alerted,
  (SELECT balance FROM accounts WHERE kind = 'client' AND reseller_id = r.id
     AND client_id = c.id),
  (SELECT seconds FROM call_reservations WHERE reseller_id = r.id AND call_id = ?3)
FROM resellers r
LEFT JOIN sub_accounts sa
  ON ?6 = 0 AND sa.reseller_id = r.id AND sa.username = ?4 AND sa.deleted_at IS NULL
LEFT JOIN dids d ON d.number = ?5 AND d.client_id IS NOT NULL
LEFT JOIN clients c ON c.status = 'active' AND c.id = CASE
  WHEN ?6 = 0 THEN sa.client_id WHEN d.reseller_id = r.id THEN d.client_id END
{line_attachment}
WHERE r.id = ?1
"""
RESOLVE_SQLITE = _RESOLVE_SQLITE.format(line_attachment=line_attachment_sqlite())

# PostgreSQL: the attachment is row-locked (free minutes are consumed atomically with the
# balance change); a lock cannot sit on the nullable side of an outer join, hence the CTEs.
# ``$4`` (by DID): the line is the client of the tenant's DID ``$3`` instead (no sub account).
# ``reseller_id + 0``: the sub account is found by its unique username and the attachment
# by its client (without statistics the planner took the tenant's index, a scan of every
# line or attachment of the tenant per CDR); the client's account by a lateral look-up.
_RESOLVE_POSTGRES = """
WITH line AS MATERIALIZED (
  SELECT sa.id AS sub_account_id, sa.package_id, c.id AS client_id, c.balance_type,
         c.billing_day, c.low_balance_threshold, c.suspended, c.low_balance_alerted
  FROM sub_accounts sa JOIN clients c ON c.id = sa.client_id AND c.status = 'active'
  WHERE NOT $4::boolean AND sa.username = $2 AND sa.reseller_id + 0 = $1
    AND sa.deleted_at IS NULL
  UNION ALL
  SELECT NULL::integer, NULL::integer, c.id, c.balance_type, c.billing_day,
         c.low_balance_threshold, c.suspended, c.low_balance_alerted
  FROM dids d JOIN clients c ON c.id = d.client_id AND c.status = 'active'
  WHERE $4::boolean AND d.number = $3 AND d.reseller_id = $1
), att AS MATERIALIZED (
  {attachment}
)
SELECT r.currency, r.low_balance_threshold,
  (SELECT version FROM deck_versions WHERE active LIMIT 1),
  NULL::bigint,
  line.sub_account_id, line.client_id, line.balance_type, line.billing_day, line.package_id,
  att.id, att.cycle_start, att.free_minutes_used, att.version_id,
  d.id, d.client_id, d.per_minute_price, d.per_minute_cost,
  ca.id,
  (SELECT id FROM accounts WHERE kind = 'reseller_revenue' AND reseller_id = r.id
     AND client_id IS NULL),
  (SELECT id FROM accounts WHERE kind = 'reseller' AND reseller_id = r.id
     AND client_id IS NULL),
  (SELECT id FROM accounts WHERE kind = 'operator_revenue' AND reseller_id = r.id
     AND client_id IS NULL),
  {flags},
  (SELECT seconds FROM call_reservations WHERE reseller_id = r.id AND call_id = $5)
FROM resellers r
LEFT JOIN line ON true
LEFT JOIN att ON true
LEFT JOIN LATERAL (
  SELECT id, balance FROM accounts
  WHERE kind = 'client' AND reseller_id = r.id AND client_id = line.client_id
) ca ON true
LEFT JOIN dids d ON d.number = $3 AND d.client_id IS NOT NULL
WHERE r.id = $1
"""
RESOLVE_POSTGRES = _RESOLVE_POSTGRES.format(
    attachment=line_attachment_postgres("FOR UPDATE OF cp"),
    flags="NULL::bigint, NULL::boolean, NULL::boolean, NULL::bigint",
)
RESOLVE_POSTGRES_READ = _RESOLVE_POSTGRES.format(
    attachment=line_attachment_postgres(),
    flags="line.low_balance_threshold, line.suspended, line.low_balance_alerted, ca.balance",
)
