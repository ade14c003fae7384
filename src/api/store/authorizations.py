"""The SQL of a call authorization: one read of everything it needs, and the write of
its reservation, on a pooled driver connection (:mod:`api.store.cdrs.pooled`).

:data:`READ_SQLITE` / :data:`READ_POSTGRES` return one row for (reseller, SIP username,
dialled digits): the reseller's cap, the active deck version, the live sub account of an
active client (its flags, its package link), the latest attachment with its free minutes
and package version, the client's balance, whether the digits are an assigned DID, and
the client's reservations as a JSON array of ``[call_id, amount, free_minutes,
expires_at]`` (the rules that read them are in :mod:`api.domain.reservations`). No row:
no such reseller. :data:`LOCK_POSTGRES` and :data:`HELD_POSTGRES` read again, under the
lock of the client's account row, what a reservation depends on.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from api.domain.reservations import Held, Hold
from api.store.line_packages import line_attachment_postgres, line_attachment_sqlite
from api.store.utc import to_utc


class AuthorizationRead(NamedTuple):
    """The row of the read; a column of a missing joined row is ``None``."""

    max_call_seconds: int
    deck_version: str | None
    sub_account_id: int | None
    client_id: int | None
    balance_type: str | None
    billing_day: int | None
    suspended: bool | None
    attachment_id: int | None
    stored_cycle: date | str | None  # SQLite returns dates as text
    stored_used: int | None
    version_id: int | None
    balance: int | None
    on_net: bool  # the digits are a DID assigned to some client
    held: str | None  # JSON: the client's reservations

    def cycle(self) -> date | None:
        cycle = self.stored_cycle
        return date.fromisoformat(cycle) if isinstance(cycle, str) else cycle


def holds(held_json: str | None) -> list[Held]:
    """The reservations of the read's JSON array (timestamps as either backend writes them)."""
    if not held_json:
        return []
    found = []
    for call_id, amount, minutes, expires in json.loads(held_json):
        if call_id is None:  # PostgreSQL's aggregate of no rows is NULL; SQLite's is []
            continue
        found.append(Held(str(call_id), int(amount), int(minutes), _moment(expires)))
    return found


def _moment(value: str) -> datetime:
    return to_utc(datetime.fromisoformat(value))


_READ_SQLITE = """
SELECT r.max_call_seconds,
  (SELECT version FROM deck_versions WHERE active = 1 LIMIT 1),
  sa.id, c.id, c.balance_type, c.billing_day, c.suspended,
  cp.id, cp.cycle_start, cp.free_minutes_used, pv.id,
  (SELECT balance FROM accounts WHERE kind = 'client' AND reseller_id = r.id
     AND client_id = c.id),
  EXISTS (SELECT 1 FROM dids WHERE number = ?3 AND client_id IS NOT NULL),
  (SELECT json_group_array(json_array(call_id, amount, free_minutes, expires_at))
     FROM call_reservations WHERE client_id = c.id)
FROM resellers r
LEFT JOIN sub_accounts sa
  ON sa.reseller_id = r.id AND sa.username = ?2 AND sa.deleted_at IS NULL
LEFT JOIN clients c ON c.status = 'active' AND c.id = sa.client_id
{line_attachment}
WHERE r.id = ?1
"""
READ_SQLITE = _READ_SQLITE.format(line_attachment=line_attachment_sqlite())

_READ_POSTGRES = """
WITH line AS MATERIALIZED (
  SELECT sa.id AS sub_account_id, sa.package_id, c.id AS client_id, c.balance_type,
         c.billing_day, c.suspended
  FROM sub_accounts sa JOIN clients c ON c.id = sa.client_id AND c.status = 'active'
  WHERE sa.username = $2 AND sa.reseller_id + 0 = $1 AND sa.deleted_at IS NULL
), att AS MATERIALIZED (
  {attachment}
)
SELECT r.max_call_seconds,
  (SELECT version FROM deck_versions WHERE active LIMIT 1),
  line.sub_account_id, line.client_id, line.balance_type, line.billing_day, line.suspended,
  att.id, att.cycle_start, att.free_minutes_used, att.version_id,
  (SELECT balance FROM accounts WHERE kind = 'client' AND reseller_id = r.id
     AND client_id = line.client_id),
  EXISTS (SELECT 1 FROM dids WHERE number = $3 AND client_id IS NOT NULL),
  (SELECT json_agg(json_build_array(call_id, amount, free_minutes, expires_at))::text
     FROM call_reservations WHERE client_id = line.client_id)
FROM resellers r
LEFT JOIN line ON true
LEFT JOIN att ON true
WHERE r.id = $1
"""
READ_POSTGRES = _READ_POSTGRES.format(attachment=line_attachment_postgres())

LOCK_POSTGRES = """
SELECT balance FROM accounts WHERE kind = 'client' AND client_id = $1 FOR UPDATE
"""
"""The balance of client ``$1``, its account row locked until the transaction ends (the
locked row is read at its newest version)."""

HELD_POSTGRES = """
SELECT (SELECT free_minutes_used FROM client_packages WHERE id = $2),
  (SELECT json_agg(json_build_array(call_id, amount, free_minutes, expires_at))::text
     FROM call_reservations WHERE client_id = $1)
"""
"""(free minutes used, reservations) of client ``$1`` whose attachment is ``$2``: a
statement of its own after :data:`LOCK_POSTGRES`, so that its snapshot, taken once the
lock is held, sees what the previous holder of the lock committed (the subqueries of the
locking statement would read the snapshot taken before it waited)."""

RESERVE_POSTGRES = """
WITH purged AS (
  DELETE FROM call_reservations
  WHERE client_id = $3 AND expires_at <= $7 AND NOT (reseller_id = $1 AND call_id = $2)
)
INSERT INTO call_reservations
  (reseller_id, call_id, client_id, seconds, amount, free_minutes, created_at, expires_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (reseller_id, call_id) DO UPDATE SET client_id = EXCLUDED.client_id,
  seconds = EXCLUDED.seconds, amount = EXCLUDED.amount,
  free_minutes = EXCLUDED.free_minutes, created_at = EXCLUDED.created_at,
  expires_at = EXCLUDED.expires_at
"""
"""Store the call's reservation (replacing its own) and purge the client's expired ones."""

UNRESERVE_POSTGRES = """
DELETE FROM call_reservations
WHERE (reseller_id = $1 AND call_id = $2) OR (client_id = $3 AND expires_at <= $4)
"""
"""Drop the call's own reservation and the client's expired ones."""


def reserve_sqlite(
    conn: Any,
    *,
    reseller_id: int,
    call_id: str,
    client_id: int,
    hold: Hold | None,
    now: Any,
    until: Any,
) -> None:
    """In the connection's thread: drop the call's own reservation and the client's
    expired ones, store ``hold`` (``now`` and ``until`` as SQLite stores timestamps)."""
    conn.execute(
        "DELETE FROM call_reservations WHERE (reseller_id = ? AND call_id = ?) "
        "OR (client_id = ? AND expires_at <= ?)",
        (reseller_id, call_id, client_id, now),
    )
    if hold is not None:
        conn.execute(
            "INSERT INTO call_reservations (reseller_id, call_id, client_id, seconds, amount, "
            "free_minutes, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (reseller_id, call_id, client_id, hold.seconds, int(hold.amount),
             hold.free_minutes, now, until),
        )  # fmt: skip


def read_row(rows: Sequence[Sequence[Any]]) -> AuthorizationRead | None:
    return AuthorizationRead._make(rows[0]) if rows else None
