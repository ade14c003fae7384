"""The writes of one real-time CDR: its row and, for a call with money, its ``call``
transaction, the entries and the balances, the bundle and the client's flags.

- PostgreSQL: one statement (:func:`write_call_postgres`), balances locked in id order.
- SQLite, pooled driver connection: :class:`SqliteCallWrite`, every write in one hop to
  the connection's thread, the write lock held since the read.
- SQLite, inside a session's transaction: :func:`write_call_sqlite`.

A stored twin (same reseller, source and call id) raises :class:`DuplicateCdr`; nothing
of the CDR is kept once the caller rolls back.
"""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from typing import Any

from api.store.bulk import CDR_INSERT_COLUMNS, COL, TRANSACTION_ID, RawConnection
from api.store.cdr_resolve import Fetch


class DuplicateCdr(Exception):
    """The CDR was stored by a concurrent twin: roll back and return the stored one."""


async def write_call_sqlite(
    raw: RawConnection,
    tenant: int,
    row: list[Any],
    bundles: list[tuple[int, date, int]],
    client_account: int | None,
    deltas: dict[int, int],
    description: str,
    now: datetime,
) -> tuple[int, int | None]:
    """Store the CDR row and, for a call with money (``client_account`` given), its
    ``call`` transaction (``deltas`` per account) and the balances; (CDR id, the client's
    new balance)."""
    balance = None
    if client_account is not None:
        created = await raw.fetch(
            _INSERT_CALL_TRANSACTION_SQLITE,
            tenant,
            row[COL["client_id"]],
            description,
            raw.when(now),
        )
        tx_id = int(created[0][0])
        row[TRANSACTION_ID] = tx_id
        await raw.insert_entries([(tx_id, a, v) for a, v in sorted(deltas.items())])
        balance = (await raw.add_to_balances(deltas)).get(client_account)
    stored = await raw.fetch(INSERT_CDR_SQLITE, *row)
    if not stored:
        raise DuplicateCdr
    await raw.update_bundles(bundles)
    return int(stored[0][0]), balance


async def write_call_postgres(
    fetch: Fetch,
    tenant: int,
    row: list[Any],
    bundles: list[tuple[int, date, int]],
    client_account: int | None,
    deltas: dict[int, int],
    description: str,
    now: datetime,
) -> tuple[int, int | None]:
    """One statement: transaction, entries, balances (locked in id order), CDR, bundle;
    (CDR id, the client's new balance). ``client_account``: a call with money."""
    money = client_account is not None
    bundle = bundles[0] if bundles else None
    sql = postgres_write_sql(money, bundle is not None)
    args: list[Any] = []
    if money:
        ids = sorted(deltas)
        args += (tenant, row[COL["client_id"]], description, now, ids, [deltas[a] for a in ids])
        args.append(client_account)
    args += (v for i, v in enumerate(row) if i != TRANSACTION_ID)
    if bundle is not None:
        args += bundle
    result = await fetch(sql, *args)
    cdr_id, tx_id, balance = result[0]
    if cdr_id is None:
        raise DuplicateCdr
    row[TRANSACTION_ID] = tx_id
    return int(cdr_id), None if balance is None else int(balance)


class SqliteCallWrite:
    """Every write of one real-time CDR, run in the SQLite thread (write lock held since
    the read): transaction, entries, balances (ascending ids), CDR, bundle, client flags.
    ``expected``: the client's balance after the deltas, as read under the lock."""

    __slots__ = (
        "bundles", "changes", "client_account", "client_id", "deltas", "description",
        "expected", "row", "tenant", "when",
    )  # fmt: skip

    def __init__(
        self,
        tenant: int,
        client_id: int | None,
        description: str,
        when: Any,
        row: list[Any],
        deltas: dict[int, int],
        client_account: int | None,
        expected: int | None,
        bundles: list[tuple[int, Any, int]],
        changes: list[tuple[bool, bool, int]],
    ) -> None:
        self.tenant, self.client_id, self.description, self.when = (
            tenant, client_id, description, when,
        )  # fmt: skip
        self.row, self.deltas, self.client_account, self.expected = (
            row, deltas, client_account, expected,
        )  # fmt: skip
        self.bundles, self.changes = bundles, changes

    def __call__(self, conn: sqlite3.Connection) -> int:
        row = self.row
        if self.deltas:
            tx_id = conn.execute(
                _INSERT_CALL_TRANSACTION_SQLITE,
                (self.tenant, self.client_id, self.description, self.when),
            ).fetchone()[0]
            row[TRANSACTION_ID] = tx_id
            ids = sorted(self.deltas)
            conn.executemany(
                "INSERT INTO ledger_entries (transaction_id, account_id, amount) VALUES (?, ?, ?)",
                [(tx_id, a, self.deltas[a]) for a in ids],
            )
            for account_id in ids:
                found = conn.execute(
                    "UPDATE accounts SET balance = balance + ? WHERE id = ? RETURNING balance",
                    (self.deltas[account_id], account_id),
                ).fetchone()
                if found is None:
                    raise LookupError(f"account {account_id} does not exist")
                if account_id == self.client_account and int(found[0]) != self.expected:
                    raise RuntimeError("client balance moved under the write lock")
        stored = conn.execute(INSERT_CDR_SQLITE, row).fetchone()
        if stored is None:
            raise DuplicateCdr
        if self.bundles:
            conn.executemany(
                "UPDATE client_packages SET free_minutes_used = ?, cycle_start = ? WHERE id = ?",
                self.bundles,
            )
        if self.changes:
            conn.executemany(
                "UPDATE clients SET suspended = ?, low_balance_alerted = ? WHERE id = ?",
                self.changes,
            )
        return int(stored[0])


_INSERT_CALL_TRANSACTION_SQLITE = (
    "INSERT INTO ledger_transactions "
    "(reseller_id, client_id, kind, method, description, key, created_at) "
    "VALUES (?, ?, 'call', '', ?, NULL, ?) RETURNING id"
)
INSERT_CDR_SQLITE = (
    f"INSERT INTO cdrs ({', '.join(CDR_INSERT_COLUMNS)}) "  # noqa: S608 (placeholders and column constants only)
    f"VALUES ({', '.join('?' * len(CDR_INSERT_COLUMNS))}) "
    "ON CONFLICT DO NOTHING RETURNING id"
)
_WRITE_SQL: dict[tuple[bool, bool], str] = {}


def postgres_write_sql(money: bool, bundle: bool) -> str:
    """The statement of :func:`write_call_postgres` (built once per shape)."""
    key = (money, bundle)
    sql = _WRITE_SQL.get(key)
    if sql is not None:
        return sql
    n = 7 if money else 0
    values = []
    for name in CDR_INSERT_COLUMNS:
        if name == "transaction_id":
            values.append("(SELECT id FROM tx)" if money else "NULL")
        else:
            n += 1
            values.append(f"${n}")
    parts = []
    if money:
        parts += [
            "tx AS (INSERT INTO ledger_transactions "
            "(reseller_id, client_id, kind, method, description, key, created_at) "
            "VALUES ($1, $2, 'call', '', $3, NULL, $4) RETURNING id)",
            "d AS (SELECT * FROM unnest($5::bigint[], $6::bigint[]) AS d(id, delta))",
            "locked AS (SELECT id FROM accounts WHERE id = ANY($5::bigint[]) "
            "ORDER BY id FOR UPDATE)",
            "bal AS (UPDATE accounts a SET balance = a.balance + d.delta "
            "FROM locked JOIN d ON d.id = locked.id WHERE a.id = locked.id "
            "RETURNING a.id, a.balance)",
            "ent AS (INSERT INTO ledger_entries (transaction_id, account_id, amount) "
            "SELECT tx.id, d.id, d.delta FROM tx, d)",
        ]
    parts.append(
        f"cdr AS (INSERT INTO cdrs ({', '.join(CDR_INSERT_COLUMNS)}) "  # noqa: S608 (placeholders and column constants only)
        f"VALUES ({', '.join(values)}) ON CONFLICT DO NOTHING RETURNING id)"
    )
    if bundle:
        parts.append(
            f"bun AS (UPDATE client_packages SET free_minutes_used = ${n + 1}, "  # noqa: S608 (placeholders and column constants only)
            f"cycle_start = ${n + 2} WHERE id = ${n + 3})"
        )
    tail = (
        "SELECT (SELECT id FROM cdr), (SELECT id FROM tx), (SELECT balance FROM bal WHERE id = $7)"
        if money
        else "SELECT (SELECT id FROM cdr), NULL::bigint, NULL::bigint"
    )
    sql = _WRITE_SQL[key] = "WITH " + ",\n".join(parts) + "\n" + tail
    return sql
