"""Raw-driver access inside a unit of work's transaction, for the CDR hot paths.

SQLAlchemy costs about 150-200 µs per statement here (aiosqlite: several thread hops per
statement); the raw driver costs one round trip (asyncpg) or one thread hop (aiosqlite).
:func:`raw_connection` returns the driver connection of the session, inside its
transaction, wrapped in :class:`SqliteRaw` or :class:`PostgresRaw`; both offer the same
few operations the CDR paths need, so the services never write dialect-specific SQL.

Money is sent as ``int`` (asyncpg truncates a ``Decimal`` sent to a ``bigint``).
Timestamps are bound in UTC (:mod:`api.store.utc`; SQLite stores text) and dates as
SQLAlchemy would bind them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from itertools import chain
from typing import Any, Protocol

from sqlalchemy import Date
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from api.compat.aiosqlite import run_in_thread
from api.compat.sqlalchemy import begin_asyncpg_transaction
from api.store.cdrs.row import CDR_COLUMNS, CdrRow
from api.store.utc import postgres_when, sqlite_when

IN_CHUNK = 5000  # bound parameters per SQLite IN (...) list (limit 32766)


class RawConnection(Protocol):
    """The operations of the CDR paths, on one backend's driver connection."""

    backend: str

    def when(self, value: datetime) -> Any:
        """``value`` as this backend stores a timestamp."""

    async def known_call_ids(self, tenant: int, source: str, call_ids: Sequence[str]) -> set[str]:
        """The call ids among ``call_ids`` already stored for (tenant, source)."""

    async def insert_cdrs(self, rows: Sequence[CdrRow]) -> None:
        """Insert CDR rows; a duplicate raises
        :class:`IntegrityError`."""

    async def insert_cdr_chunks(self, chunks: Iterator[Sequence[CdrRow]]) -> None:
        """Insert the CDR rows of every chunk; the next chunk is produced (priced) while
        the previous one is being written. A duplicate raises :class:`IntegrityError`."""

    async def insert_transactions(
        self, tenant: int, kind: str, description: str, at: datetime, client_ids: Sequence[int]
    ) -> dict[int, int]:
        """One ledger transaction per client; client id → transaction id."""

    async def delete_transactions(self, ids: Sequence[int]) -> None:
        """Delete transactions inserted by this unit of work that got no entries."""

    async def insert_entries(self, entries: Sequence[tuple[int, int, int]]) -> None:
        """(transaction id, account id, amount) rows."""

    async def add_to_balances(self, deltas: Mapping[int, int]) -> dict[int, int]:
        """Add each delta to its account (ascending id order); account id → new balance."""

    async def client_flags(self, client_ids: Sequence[int]) -> list[tuple[Any, ...]]:
        """(id, balance_type, own threshold, suspended, low_balance_alerted) per client."""

    async def set_client_flags(self, changes: Sequence[tuple[bool, bool, int]]) -> None:
        """(suspended, low_balance_alerted, client id) rows."""

    async def update_bundles(self, changes: Sequence[tuple[int, date, int]]) -> None:
        """(free_minutes_used, cycle_start, attachment id) rows."""

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        """Run one statement with positional parameters (``?`` / ``$n``); its rows."""

    async def release_reservations(self, tenant: int, call_ids: Sequence[str]) -> dict[str, int]:
        """Delete the tenant's reservations of ``call_ids`` (one statement); call id →
        the seconds each had granted."""


async def raw_connection(session: AsyncSession) -> RawConnection:
    """The session's driver connection, inside the session's (started) transaction."""
    connection = await session.connection()
    fairy = await connection.get_raw_connection()
    driver = fairy.driver_connection
    if connection.dialect.name == "postgresql":
        adapted = fairy.dbapi_connection
        await begin_asyncpg_transaction(adapted)  # the raw statements run inside it
        if driver is None or not driver.is_in_transaction():  # pragma: no cover
            raise RuntimeError("the raw asyncpg connection is outside a transaction")
        return PostgresRaw(driver)
    return SqliteRaw(driver, connection.dialect)


def _processor(type_: Any, dialect: Any) -> Callable[[Any], Any]:
    processor = type_.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else (lambda v: v)


class SqliteRaw:
    backend = "sqlite"

    def __init__(self, driver: Any, dialect: Any) -> None:
        self.driver = driver
        self.when = sqlite_when(dialect)  # UTC text
        self._date = _processor(Date(), dialect)

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        return list(await self.driver.execute_fetchall(sql, args))

    async def known_call_ids(self, tenant: int, source: str, call_ids: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(call_ids), IN_CHUNK):
            chunk = call_ids[start : start + IN_CHUNK]
            sql = (
                "SELECT call_id FROM cdrs WHERE reseller_id = ? AND source = ? "  # noqa: S608 (placeholders and column constants only)
                f"AND call_id IN ({','.join('?' * len(chunk))})"
            )
            rows = await self.driver.execute_fetchall(sql, (tenant, source, *chunk))
            found.update(r[0] for r in rows)
        return found

    async def release_reservations(self, tenant: int, call_ids: Sequence[str]) -> dict[str, int]:
        # One statement whatever the batch size: the keys go as one JSON array (the table
        # holds only live calls, so SQLite probes its unique index once per key).
        rows = await self.driver.execute_fetchall(
            "DELETE FROM call_reservations WHERE reseller_id = ? "
            "AND call_id IN (SELECT value FROM json_each(?)) RETURNING call_id, seconds",
            (tenant, json.dumps(list(call_ids))),
        )
        return {r[0]: int(r[1]) for r in rows}

    async def insert_cdrs(self, rows: Sequence[CdrRow]) -> None:
        if not rows:
            return
        try:
            await run_in_thread(self.driver, _sqlite_insert_rows, rows)  # one hop
        except Exception as exc:
            if type(exc).__name__ == "IntegrityError":
                raise IntegrityError("INSERT cdrs", None, exc) from exc
            raise

    async def insert_cdr_chunks(self, chunks: Iterator[Sequence[CdrRow]]) -> None:
        # The rows are written in aiosqlite's thread while the next ones are priced here.
        # sqlite3 holds the GIL to bind a statement's parameters and releases it while
        # SQLite steps; a thread that wants the GIL from a busy one waits up to the switch
        # interval (5 ms). So the writer gets multi-row statements (one hand-over per
        # SQLITE_ROWS_PER_INSERT rows; ``executemany`` needs one per row and measured
        # 5-7k rows/s against a pricing thread), queued a few ahead so that it never waits
        # for this loop, and between small chunks the pricing side offers the GIL
        # (``time.sleep(0)``) in case the writer waits for it.
        pending: deque[asyncio.Future[None]] = deque()
        buffer: list[CdrRow] = []
        step = SQLITE_ROWS_PER_INSERT
        try:
            for chunk in chunks:
                buffer.extend(chunk)
                if pending:
                    time.sleep(0)  # hand the GIL over if the writer waits for it
                if len(buffer) >= step:
                    while len(pending) >= SQLITE_JOBS_QUEUED:
                        await pending.popleft()
                    whole = len(buffer) - len(buffer) % step
                    rows, buffer = buffer[:whole], buffer[whole:]
                    pending.append(asyncio.ensure_future(self.insert_cdrs(rows)))
                    await asyncio.sleep(0)  # let it reach the thread before pricing more
            while pending:
                await pending.popleft()
            await self.insert_cdrs(buffer)
        finally:
            # pricing or a write failed: let the queued writes end before the rollback
            for job in pending:
                with contextlib.suppress(Exception):
                    await job

    async def delete_transactions(self, ids: Sequence[int]) -> None:
        for start in range(0, len(ids), IN_CHUNK):
            chunk = ids[start : start + IN_CHUNK]
            await self.driver.execute(
                f"DELETE FROM ledger_transactions WHERE id IN ({','.join('?' * len(chunk))})",  # noqa: S608 (placeholders only)
                chunk,
            )

    async def insert_transactions(
        self, tenant: int, kind: str, description: str, at: datetime, client_ids: Sequence[int]
    ) -> dict[int, int]:
        ids: dict[int, int] = {}
        when = self.when(at)
        for start in range(0, len(client_ids), 500):
            chunk = client_ids[start : start + 500]
            values = ",".join(["(?, ?, ?, '', ?, NULL, ?)"] * len(chunk))
            params: list[Any] = []
            for client_id in chunk:
                params += (tenant, client_id, kind, description, when)
            rows = await self.driver.execute_fetchall(
                "INSERT INTO ledger_transactions "  # noqa: S608 (placeholders and column constants only)
                "(reseller_id, client_id, kind, method, description, key, created_at) "
                f"VALUES {values} RETURNING client_id, id",
                params,
            )
            ids.update((int(c), int(i)) for c, i in rows)
        return ids

    async def insert_entries(self, entries: Sequence[tuple[int, int, int]]) -> None:
        if entries:
            await self.driver.executemany(
                "INSERT INTO ledger_entries (transaction_id, account_id, amount) VALUES (?, ?, ?)",
                entries,
            )

    async def add_to_balances(self, deltas: Mapping[int, int]) -> dict[int, int]:
        ids = sorted(a for a, d in deltas.items() if d)
        if not ids:
            return {}
        if len(ids) <= 16:  # one statement, one hop
            cases = " ".join(["WHEN ? THEN ?"] * len(ids))
            params: list[Any] = []
            for a in ids:
                params += (a, int(deltas[a]))
            rows = await self.driver.execute_fetchall(
                f"UPDATE accounts SET balance = balance + CASE id {cases} END "  # noqa: S608 (placeholders and column constants only)
                f"WHERE id IN ({','.join('?' * len(ids))}) RETURNING id, balance",
                (*params, *ids),
            )
        else:
            await self.driver.executemany(
                "UPDATE accounts SET balance = balance + ? WHERE id = ?",
                [(int(deltas[a]), a) for a in ids],
            )
            rows = []
            for start in range(0, len(ids), IN_CHUNK):
                chunk = ids[start : start + IN_CHUNK]
                rows += await self.driver.execute_fetchall(
                    f"SELECT id, balance FROM accounts WHERE id IN ({','.join('?' * len(chunk))})",  # noqa: S608 (placeholders and column constants only)
                    chunk,
                )
        balances = {int(a): int(b) for a, b in rows}
        if len(balances) != len(ids):
            raise LookupError(f"accounts missing: {sorted(set(ids) - set(balances))}")
        return balances

    async def client_flags(self, client_ids: Sequence[int]) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(client_ids), IN_CHUNK):
            chunk = client_ids[start : start + IN_CHUNK]
            rows += [
                (r[0], r[1], r[2], bool(r[3]), bool(r[4]))
                for r in await self.driver.execute_fetchall(
                    "SELECT id, balance_type, low_balance_threshold, suspended, "  # noqa: S608 (placeholders and column constants only)
                    f"low_balance_alerted FROM clients WHERE id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            ]
        return rows

    async def set_client_flags(self, changes: Sequence[tuple[bool, bool, int]]) -> None:
        if changes:
            await self.driver.executemany(
                "UPDATE clients SET suspended = ?, low_balance_alerted = ? WHERE id = ?", changes
            )

    async def update_bundles(self, changes: Sequence[tuple[int, date, int]]) -> None:
        if changes:
            await self.driver.executemany(
                "UPDATE client_packages SET free_minutes_used = ?, cycle_start = ? WHERE id = ?",
                [(used, self._date(start), id_) for used, start, id_ in changes],
            )


class PostgresRaw:
    backend = "postgresql"

    def __init__(self, driver: Any) -> None:
        self.driver = driver

    def when(self, value: datetime) -> Any:
        return postgres_when(value)

    async def fetch(self, sql: str, *args: Any) -> list[Sequence[Any]]:
        return list(await self.driver.fetch(sql, *args))

    async def known_call_ids(self, tenant: int, source: str, call_ids: Sequence[str]) -> set[str]:
        # A nested loop over the keys probing the unique index: with ``call_id = ANY(...)``
        # the prepared (generic) plan became a sequential scan per key list as the table
        # grew, quadratic over a long ingest.
        rows = await self.driver.fetch(
            "SELECT k.call_id FROM unnest($3::text[]) AS k(call_id) "
            "CROSS JOIN LATERAL (SELECT 1 FROM cdrs c WHERE c.reseller_id = $1 "
            "AND c.source = $2 AND c.call_id = k.call_id LIMIT 1) AS found",
            tenant,
            source,
            list(call_ids),
        )
        return {r[0] for r in rows}

    async def release_reservations(self, tenant: int, call_ids: Sequence[str]) -> dict[str, int]:
        # The table holds only live calls: a scan of the tenant's few rows against the
        # hashed key array.
        rows = await self.driver.fetch(
            "DELETE FROM call_reservations WHERE reseller_id = $1 "
            "AND call_id = ANY($2::text[]) RETURNING call_id, seconds",
            tenant,
            list(call_ids),
        )
        return {r[0]: int(r[1]) for r in rows}

    async def insert_cdrs(self, rows: Sequence[CdrRow]) -> None:
        if not rows:
            return
        import asyncpg

        try:
            await self.driver.copy_records_to_table("cdrs", records=rows, columns=CDR_COLUMNS)
        except asyncpg.UniqueViolationError as exc:  # a concurrent twin stored one first
            raise IntegrityError("COPY cdrs", None, exc) from exc

    async def insert_cdr_chunks(self, chunks: Iterator[Sequence[CdrRow]]) -> None:
        # COPY streams the rows as the generator prices them: the server inserts one part
        # while the next is priced here. Each row goes as a plain tuple: asyncpg encodes a
        # tuple subclass about 2 µs a row slower (measured), the copy costs a tenth of that.
        async def records() -> AsyncIterator[tuple[Any, ...]]:
            for chunk in chunks:
                for row in chunk:
                    yield tuple(row)

        import asyncpg

        try:
            await self.driver.copy_records_to_table("cdrs", records=records(), columns=CDR_COLUMNS)
        except asyncpg.UniqueViolationError as exc:  # a concurrent twin stored one first
            raise IntegrityError("COPY cdrs", None, exc) from exc

    async def delete_transactions(self, ids: Sequence[int]) -> None:
        await self.driver.execute(
            "DELETE FROM ledger_transactions WHERE id = ANY($1::bigint[])", list(ids)
        )

    async def insert_transactions(
        self, tenant: int, kind: str, description: str, at: datetime, client_ids: Sequence[int]
    ) -> dict[int, int]:
        rows = await self.driver.fetch(
            "INSERT INTO ledger_transactions "
            "(reseller_id, client_id, kind, method, description, key, created_at) "
            "SELECT $1, c, $2, '', $3, NULL, $4 FROM unnest($5::bigint[]) AS c "
            "RETURNING client_id, id",
            tenant,
            kind,
            description,
            postgres_when(at),
            list(client_ids),
        )
        return {int(c): int(i) for c, i in rows}

    async def insert_entries(self, entries: Sequence[tuple[int, int, int]]) -> None:
        if entries:
            await self.driver.copy_records_to_table(
                "ledger_entries",
                records=entries,
                columns=("transaction_id", "account_id", "amount"),
            )

    async def add_to_balances(self, deltas: Mapping[int, int]) -> dict[int, int]:
        ids = sorted(a for a, d in deltas.items() if d)
        if not ids:
            return {}
        if len(ids) == 1:
            rows = await self.driver.fetch(
                "UPDATE accounts SET balance = balance + $2 WHERE id = $1 RETURNING id, balance",
                ids[0],
                int(deltas[ids[0]]),
            )
        else:
            # executemany runs the updates in order: rows are locked in ascending id order
            await self.driver.executemany(
                "UPDATE accounts SET balance = balance + $2 WHERE id = $1",
                [(a, int(deltas[a])) for a in ids],
            )
            rows = await self.driver.fetch(
                "SELECT id, balance FROM accounts WHERE id = ANY($1::bigint[])", ids
            )
        balances = {int(a): int(b) for a, b in rows}
        if len(balances) != len(ids):
            raise LookupError(f"accounts missing: {sorted(set(ids) - set(balances))}")
        return balances

    async def client_flags(self, client_ids: Sequence[int]) -> list[tuple[Any, ...]]:
        rows = await self.driver.fetch(
            "SELECT id, balance_type, low_balance_threshold, suspended, low_balance_alerted "
            "FROM clients WHERE id = ANY($1::bigint[])",
            list(client_ids),
        )
        return [tuple(r) for r in rows]

    async def set_client_flags(self, changes: Sequence[tuple[bool, bool, int]]) -> None:
        if changes:
            await self.driver.executemany(
                "UPDATE clients SET suspended = $1, low_balance_alerted = $2 WHERE id = $3",
                changes,
            )

    async def update_bundles(self, changes: Sequence[tuple[int, date, int]]) -> None:
        if changes:
            await self.driver.executemany(
                "UPDATE client_packages SET free_minutes_used = $1, cycle_start = $2 WHERE id = $3",
                changes,
            )


SQLITE_ROWS_PER_INSERT = 32766 // len(CDR_COLUMNS)
"""CDR rows per multi-row ``INSERT`` (SQLite allows 32,766 parameters per statement)."""
SQLITE_JOBS_QUEUED = 3
"""Multi-row inserts queued ahead for the writer thread while pricing goes on."""


@functools.cache
def _sqlite_insert_cdr_rows(count: int) -> str:
    row = f"({', '.join('?' * len(CDR_COLUMNS))})"
    return (
        f"INSERT INTO cdrs ({', '.join(CDR_COLUMNS)}) "  # noqa: S608 (placeholders and column constants only)
        f"VALUES {', '.join([row] * count)}"
    )


def _sqlite_insert_rows(conn: Any, rows: Sequence[CdrRow]) -> None:
    """Insert CDR rows on the sqlite3 connection (runs in aiosqlite's thread): statements
    of SQLITE_ROWS_PER_INSERT rows, the rest in statements of power-of-two sizes (a few
    shapes, each prepared once by sqlite3's statement cache)."""
    flat = chain.from_iterable
    start, total = 0, len(rows)
    while start < total:
        count = min(SQLITE_ROWS_PER_INSERT, total - start)
        if count < SQLITE_ROWS_PER_INSERT:
            count = 1 << (count.bit_length() - 1)
        conn.execute(_sqlite_insert_cdr_rows(count), list(flat(rows[start : start + count])))
        start += count
