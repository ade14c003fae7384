"""The writes of one real-time CDR: its row and, for a call with money, its ``call``
transaction, the entries and the balances, the bundle and the client's flags.

- PostgreSQL, autocommit: :func:`guarded_write_postgres`, one statement that is the whole
  transaction: it locks what the unlocked read assumed (attachment, accounts in id order,
  the client's flags), writes only if nothing moved since, and says whether it wrote.
- PostgreSQL, when the guard saw something move: one statement inside an explicit
  transaction that locked the attachment with its read (:func:`write_call_postgres`),
  balances locked in id order.
- SQLite: :class:`SqliteCallWrite`, every write in one hop to the connection's thread,
  the write lock held since the read (``BEGIN IMMEDIATE``).

A stored twin (same reseller, source and call id) raises :class:`DuplicateCdr`; nothing
of the CDR is kept once the caller rolls back.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from api.store.cdrs.resolve import Fetch
from api.store.cdrs.row import CDR_COLUMNS, TRANSACTION_ID, CdrRow


class DuplicateCdr(Exception):
    """The CDR was stored by a concurrent twin: roll back and return the stored one."""


class Written(NamedTuple):
    """A CDR stored: its id, its ``call`` transaction's and the client's new balance
    (``None`` both for a call without money)."""

    cdr_id: int
    transaction_id: int | None
    balance: int | None


async def write_call_postgres(
    fetch: Fetch,
    tenant: int,
    row: CdrRow,
    bundles: list[tuple[int, date, int]],
    client_account: int | None,
    deltas: dict[int, int],
    description: str,
    now: datetime,
) -> Written:
    """One statement: transaction, entries, balances (locked in id order), CDR, bundle.
    ``client_account``: a call with money."""
    money = client_account is not None
    bundle = bundles[0] if bundles else None
    sql = postgres_write_sql(money, bundle is not None)
    args: list[Any] = []
    if money:
        ids = sorted(deltas)
        args += (tenant, row.client_id, description, now, ids, [deltas[a] for a in ids])
        args.append(client_account)
    args += (v for i, v in enumerate(row) if i != TRANSACTION_ID)
    if bundle is not None:
        args += bundle
    result = await fetch(sql, *args)
    cdr_id, tx_id, balance = result[0]
    if cdr_id is None:
        raise DuplicateCdr
    return Written(int(cdr_id), tx_id, None if balance is None else int(balance))


RELEASE_SQLITE = "DELETE FROM call_reservations WHERE reseller_id = ? AND call_id = ?"
RELEASE_POSTGRES = "DELETE FROM call_reservations WHERE reseller_id = $1 AND call_id = $2"
"""The release of one call's reservation with its CDR (the real-time path)."""


class SqliteCallWrite:
    """Every write of one real-time CDR, run in the SQLite thread (write lock held since
    the read): transaction, entries, balances (ascending ids), CDR, bundle, client flags,
    and the release of the call's reservation when ``release`` (its call id).
    ``expected``: the client's balance after the deltas, as read under the lock."""

    __slots__ = (
        "bundles", "changes", "client_account", "client_id", "deltas", "description",
        "expected", "release", "row", "tenant", "when",
    )  # fmt: skip

    def __init__(
        self,
        tenant: int,
        client_id: int | None,
        description: str,
        when: Any,
        row: CdrRow,
        deltas: dict[int, int],
        client_account: int | None,
        expected: int | None,
        bundles: list[tuple[int, Any, int]],
        changes: list[tuple[bool, bool, int]],
        release: str | None = None,
    ) -> None:
        self.tenant, self.client_id, self.description, self.when = (
            tenant, client_id, description, when,
        )  # fmt: skip
        self.row, self.deltas, self.client_account, self.expected = (
            row, deltas, client_account, expected,
        )  # fmt: skip
        self.bundles, self.changes, self.release = bundles, changes, release

    def __call__(self, conn: sqlite3.Connection) -> Written:
        row = self.row
        tx_id = balance = None
        if self.deltas:
            tx_id = conn.execute(
                _INSERT_CALL_TRANSACTION_SQLITE,
                (self.tenant, self.client_id, self.description, self.when),
            ).fetchone()[0]
            row = row._replace(transaction_id=tx_id)
            ids = sorted(self.deltas)
            conn.executemany(
                "INSERT INTO ledger_entries (transaction_id, account_id, amount) VALUES (?, ?, ?)",
                [(tx_id, a, self.deltas[a]) for a in ids],
            )
            params: list[Any] = []
            for account_id in ids:
                params += (account_id, self.deltas[account_id])
            balances = dict(
                conn.execute(_add_to_balances_sqlite(len(ids)), (*params, *ids)).fetchall()
            )
            if len(balances) != len(ids):
                raise LookupError(f"accounts missing: {sorted(set(ids) - set(balances))}")
            client = self.client_account
            if client in balances:
                balance = int(balances[client])
                if balance != self.expected:
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
        if self.release is not None:
            conn.execute(RELEASE_SQLITE, (self.tenant, self.release))
        return Written(int(stored[0]), tx_id, balance)


_BALANCES_SQLITE: dict[int, str] = {}


def _add_to_balances_sqlite(n: int) -> str:
    """One ``UPDATE`` adding a delta to each of ``n`` accounts (``(id, delta)`` pairs,
    then the ids), returning ``(id, balance)`` rows (built once per count)."""
    sql = _BALANCES_SQLITE.get(n)
    if sql is None:
        cases = " ".join(["WHEN ? THEN ?"] * n)
        sql = _BALANCES_SQLITE[n] = (
            f"UPDATE accounts SET balance = balance + CASE id {cases} END "  # noqa: S608 (placeholders and column constants only)
            f"WHERE id IN ({', '.join('?' * n)}) RETURNING id, balance"
        )
    return sql


_INSERT_CALL_TRANSACTION_SQLITE = (
    "INSERT INTO ledger_transactions "
    "(reseller_id, client_id, kind, method, description, key, created_at) "
    "VALUES (?, ?, 'call', '', ?, NULL, ?) RETURNING id"
)
INSERT_CDR_SQLITE = (
    f"INSERT INTO cdrs ({', '.join(CDR_COLUMNS)}) "  # noqa: S608 (placeholders and column constants only)
    f"VALUES ({', '.join('?' * len(CDR_COLUMNS))}) "
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
    for name in CDR_COLUMNS:
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
        f"cdr AS (INSERT INTO cdrs ({', '.join(CDR_COLUMNS)}) "  # noqa: S608 (placeholders and column constants only)
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


class Guard(NamedTuple):
    """What the unlocked read saw and the pricing assumed; the guarded write checks it
    under its locks. ``bundle``: (attachment id, stored cycle start, stored free minutes
    used) of a priced call; ``client``: (balance before the call, balance type, own
    low-balance threshold, suspended, low-balance alerted) of a client the call charges
    (the new flags were decided from them)."""

    bundle: tuple[int, date, int] | None
    client: tuple[int, str, int | None, bool, bool] | None


class GuardedWrite(NamedTuple):
    """``ok``: written (and committed); else nothing was written (a concurrent writer
    moved what the read assumed)."""

    ok: bool
    cdr_id: int | None
    transaction_id: int | None
    balance: int | None


async def guarded_write_postgres(
    fetch: Fetch,
    tenant: int,
    row: CdrRow,
    guard: Guard,
    new_bundle: tuple[int, date, int] | None,
    client_account: int | None,
    deltas: dict[int, int],
    new_flags: tuple[bool, bool] | None,
    description: str,
    now: datetime,
) -> GuardedWrite:
    """The writes of :func:`write_call_postgres`, plus the client's new flags
    (``new_flags``, decided from the guarded balance and flags), as one autocommit
    statement conditional on ``guard``. ``new_bundle``: (free minutes used, cycle start,
    attachment id) to store. A stored twin raises :class:`DuplicateCdr` (a unique
    violation: the statement, so everything, is undone)."""
    money = client_account is not None
    guard_client = guard.client is not None
    if guard_client and not money:
        raise ValueError("the client is guarded in a call with money only")
    if new_flags is not None and not guard_client:
        raise ValueError("new flags are decided from the guarded balance and flags")
    shape = (money, guard_client, guard.bundle is not None, new_bundle is not None)
    sql, names = _guarded_sql(*shape, new_flags is not None)
    values: dict[str, Any] = {"tenant": tenant, "client": row.client_id}
    if money:
        ids = sorted(deltas)
        values.update(
            ids=ids, deltas=[deltas[a] for a in ids], account=client_account,
            description=description, now=now,
        )  # fmt: skip
    if guard.client is not None:
        values["balance"], values["type"], values["threshold"] = guard.client[:3]
        values["suspended"], values["alerted"] = guard.client[3:]
    if guard.bundle is not None:
        values["att"], values["cycle"], values["used"] = guard.bundle
    if new_bundle is not None:
        values["new_used"], values["new_cycle"], values["new_att"] = new_bundle
    if new_flags is not None:
        values["new_suspended"], values["new_alerted"] = new_flags
    args = [values[n] for n in names]  # then the CDR row, but its transaction id
    args += row[:TRANSACTION_ID]
    args += row[TRANSACTION_ID + 1 :]
    import asyncpg

    try:
        result = await fetch(sql, *args)
    except asyncpg.UniqueViolationError as exc:
        if exc.table_name == "cdrs":
            raise DuplicateCdr from exc
        raise
    ok, cdr_id, tx_id, balance = result[0]
    if not ok:
        return GuardedWrite(False, None, None, None)
    if cdr_id is None:  # pragma: no cover - the insert either returns its id or raises
        raise RuntimeError("guarded CDR insert returned no id")
    return GuardedWrite(True, int(cdr_id), tx_id, None if balance is None else int(balance))


_GUARDED_SQL: dict[tuple[bool, ...], tuple[str, Sequence[str]]] = {}


def _guarded_sql(
    money: bool, guard_client: bool, guard_bundle: bool, set_bundle: bool, set_flags: bool
) -> tuple[str, Sequence[str]]:
    """The statement of :func:`guarded_write_postgres` for one shape, and the names of
    its parameters in ``$n`` order, the CDR row's columns (but its transaction id) coming
    after them (built once per shape).

    Locks in the order of every other writer: the attachment, the accounts (ascending
    ids), then the client's row (``FOR KEY SHARE``, as the ledger transaction's foreign
    key takes anyway; taken after the account lock, so a committed writer of the flags is
    seen). Each lock clause returns the row's newest committed version (READ COMMITTED),
    which ``ok`` compares with what the read saw. Every write is conditional on ``ok``;
    the CDR is a plain insert, its unique key aborts the whole statement on a twin.
    """
    key = (money, guard_client, guard_bundle, set_bundle, set_flags)
    cached = _GUARDED_SQL.get(key)
    if cached is not None:
        return cached
    parts: list[str] = []
    checks: list[str] = []
    after = ""
    if guard_bundle:
        parts.append(
            "bl AS MATERIALIZED (SELECT cycle_start, free_minutes_used FROM client_packages "
            "WHERE id = :att AND detached_at IS NULL FOR UPDATE)"
        )
        checks.append(
            "EXISTS (SELECT 1 FROM bl WHERE cycle_start = :cycle AND free_minutes_used = :used)"
        )
        after = " AND (SELECT count(*) FROM bl) >= 0"
    if money:
        parts.append(
            "lk AS MATERIALIZED (SELECT id, balance FROM accounts WHERE id = ANY(:ids::bigint[])"  # noqa: S608 (placeholders and constants only)
            + after
            + " ORDER BY id FOR UPDATE)"
        )
        checks.append("(SELECT count(*) FROM lk) = cardinality(:ids::bigint[])")
    if guard_client:
        parts.append(
            "cl AS MATERIALIZED (SELECT balance_type, low_balance_threshold, suspended, "
            "low_balance_alerted FROM clients WHERE id = :client "
            "AND (SELECT count(*) FROM lk) >= 0 FOR KEY SHARE)"
        )
        checks += [
            "coalesce((SELECT balance FROM lk WHERE id = :account) = :balance, false)",
            "EXISTS (SELECT 1 FROM cl WHERE balance_type = :type "
            "AND low_balance_threshold IS NOT DISTINCT FROM :threshold::bigint "
            "AND suspended = :suspended AND low_balance_alerted = :alerted)",
        ]
    parts.append("ok AS MATERIALIZED (SELECT " + (" AND ".join(checks) or "true") + " AS ok)")
    if money:
        parts += [
            "tx AS (INSERT INTO ledger_transactions "
            "(reseller_id, client_id, kind, method, description, key, created_at) "
            "SELECT :tenant, :client, 'call', '', :description, NULL, :now "
            "WHERE (SELECT ok FROM ok) RETURNING id)",
            "d AS (SELECT * FROM unnest(:ids::bigint[], :deltas::bigint[]) AS d(id, delta))",
            "bal AS (UPDATE accounts a SET balance = a.balance + d.delta FROM d, tx "
            "WHERE a.id = ANY(:ids::bigint[]) AND a.id = d.id RETURNING a.id, a.balance)",
            "ent AS (INSERT INTO ledger_entries (transaction_id, account_id, amount) "
            "SELECT tx.id, d.id, d.delta FROM tx, d)",
        ]
    values = [
        ("(SELECT id FROM tx)" if money else "NULL") if name == "transaction_id" else f":c{i}"
        for i, name in enumerate(CDR_COLUMNS)
    ]
    parts.append(
        "cdr AS (INSERT INTO cdrs (" + ", ".join(CDR_COLUMNS) + ") "  # noqa: S608 (placeholders and column constants only)
        "SELECT " + ", ".join(values) + " WHERE (SELECT ok FROM ok) RETURNING id)"
    )
    if set_bundle:
        parts.append(
            "bun AS (UPDATE client_packages SET free_minutes_used = :new_used, "
            "cycle_start = :new_cycle WHERE id = :new_att AND (SELECT ok FROM ok))"
        )
    if set_flags:
        parts.append(
            "flg AS (UPDATE clients SET suspended = :new_suspended, "
            "low_balance_alerted = :new_alerted WHERE id = :client AND (SELECT ok FROM ok))"
        )
    tail = (
        "SELECT (SELECT ok FROM ok), (SELECT id FROM cdr), (SELECT id FROM tx), "
        "(SELECT balance FROM bal WHERE id = :account)"
        if money
        else "SELECT (SELECT ok FROM ok), (SELECT id FROM cdr), NULL::bigint, NULL::bigint"
    )
    text = "WITH " + ",\n".join(parts) + "\n" + tail
    # numbered: the named parameters first, then the CDR row's columns in order
    names = list(dict.fromkeys(n for n in _NAMED.findall(text) if not _ROW.fullmatch(n)))
    order = names + [f"c{i}" for i in range(len(CDR_COLUMNS)) if i != TRANSACTION_ID]
    number = {name: f"${i + 1}" for i, name in enumerate(order)}
    sql = _NAMED.sub(lambda found: number[found.group(1)], text)
    cached = _GUARDED_SQL[key] = (sql, tuple(names))
    return cached


_NAMED = re.compile(r"(?<![:\w]):([a-z_]\w*)")
"""A ``:name`` parameter (not a ``::type`` cast)."""
_ROW = re.compile(r"c\d+")
"""The parameter of a CDR column (``c`` and its index in the row)."""
