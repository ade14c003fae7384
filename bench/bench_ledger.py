"""Rate and post CDRs through the batch path and the real-time path; print CDRs/s.

    .venv/bin/python bench/bench_ledger.py [--cdrs N] [--single N] [--quick]
        [--backend sqlite|postgresql|both] [--workers 1] [--batch-size 20000]

Targets: batch ≥ 150,000/s on SQLite and ≥ 100,000/s on PostgreSQL; one CDR per
transaction ≥ 2,000/s, sequential on one connection (``--workers 1``, the default).
Beside each figure the bench prints its limit, measured in the same run on the same
database, and the ratio figure ÷ limit (aims: ≥ 0.8 for batch, ≥ 0.6 for one-by-one):
batch on PostgreSQL against a binary ``COPY`` (asyncpg ``copy_records_to_table``) of the
same rows into the same tables (the batch's rows of every table it wrote are read back,
deleted, and copied in again, in one transaction); batch on SQLite against a bare
``executemany`` of those rows (stdlib ``sqlite3``, same file and PRAGMAs, one
transaction); one-by-one against a hand-written minimal transaction per CDR on one
connection of the same engine: the CDR's insert and its balance updates.
Figures are printed, not asserted; after each run the ledger invariants are checked
(``invariants ok``: balance = sum of entries for every account, every transaction sums
to zero, every rated CDR with money has its transaction). Default: 1,000,000 batch CDRs and
20,000 one-by-one per backend (several minutes); ``--quick``: 50,000 and 2,000.
PostgreSQL comes from
PULSEBILL_TEST_POSTGRES_URL (default postgresql+asyncpg://postgres@127.0.0.1:5432/test),
in a throw-away schema.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import api.store.tables  # noqa: F401
from api.domain.actor import Actor
from api.events import EventBus
from api.services import clients, decks, packages, payments, resellers, sub_accounts
from api.services.cdrs import ingest_cdrs, rate_cdr
from api.services.client_packages import attach_package
from api.services.context import ServicesContext
from api.services.records import CdrInput
from api.services.secrets import PasswordCipher
from api.store.engine import create_engine, make_sessionmaker

Rows = dict[str, tuple[list[str], list[tuple[object, ...]]]]
"""Table → (column names, rows), in foreign-key order."""

POSTGRES = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
TARGETS = {("batch", "sqlite"): 150_000, ("batch", "postgresql"): 100_000, "single": 2_000}
RULES = """package "Bench" {
    currency USD
    markup 20% + 0.0000
    pulse 60
    route canada value
    route international premium
    free_minutes 100
    rate usa_canada 0.0100
    free_zone usa_canada
}
"""
CLIENTS = 200
BATCH = 20_000


def make_deck(rng: random.Random) -> tuple[str, list[str]]:
    rows = ["prefix,country,description,value_rate,premium_rate", "1,US,USA,0.0050,0.0080"]
    countries = ["GB", "FR", "DE", "MX", "BR", "IN", "JP", "AU", "ZA", "NG"]
    codes = ["44", "33", "49", "52", "55", "91", "81", "61", "27", "234"]
    for cc, code in zip(countries, codes, strict=True):
        rows.append(f"{code},{cc},{cc},0.0100,0.0150")
        for k in range(300):
            rows.append(f"{code}{k + 100},{cc},{cc} {k},0.{rng.randint(50, 999):04d},0.0200")
    numbers = [f"1202555{i:04d}" for i in range(50)]
    numbers += [
        f"{code}{k + 100}{rng.randint(100000, 999999)}" for code in codes for k in range(0, 300, 7)
    ]
    return "\n".join(rows) + "\n", numbers


@asynccontextmanager
async def database(backend: str, url: str) -> AsyncIterator[ServicesContext]:
    schema = None
    if backend == "sqlite":
        folder = tempfile.mkdtemp()
        engine = create_engine(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
    else:
        schema = f"pb_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
        engine = create_engine(url, search_path=schema)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    try:
        yield ServicesContext(make_sessionmaker(engine), EventBus(), PasswordCipher("bench"))
    finally:
        await engine.dispose()
        if schema:
            admin = create_engine(url)
            async with admin.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            await admin.dispose()


async def setup(ctx: ServicesContext, deck: str) -> tuple[Actor, list[str]]:
    operator = Actor.operator()
    await decks.import_deck(ctx, operator, deck, activate=True)
    created = await resellers.create_reseller(ctx, operator, "Bench", "USD")
    reseller = Actor.reseller(created.reseller.id)
    published = await packages.publish_package(ctx, reseller, RULES)
    package_id = published.versions[0].package_id
    lines = []
    for i in range(CLIENTS):
        client = await clients.create_client(
            ctx, reseller, f"c{i}", balance_type="hard" if i % 2 else "soft"
        )
        await payments.add_payment(ctx, reseller, client.id, 1_000_000_000)
        await attach_package(ctx, reseller, client.id, package_id)
        await sub_accounts.create_sub_account(ctx, reseller, client.id, f"line{i:04d}")
        lines.append(f"line{i:04d}")
    return reseller, lines


def make_cdrs(
    n: int, lines: list[str], numbers: list[str], rng: random.Random, tag: str
) -> list[CdrInput]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    return [
        CdrInput(
            "bench",
            f"{tag}{i}",
            rng.choice(lines),
            "outbound",
            rng.choice(numbers),
            start,
            rng.randint(0, 900),
        )
        for i in range(n)
    ]


INVARIANTS = {
    "unbalanced transactions": (
        "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries "
        "GROUP BY transaction_id HAVING SUM(amount) <> 0) AS t"
    ),
    "balances differ from their entries": (
        "SELECT count(*) FROM (SELECT a.id FROM accounts a "
        "LEFT JOIN ledger_entries e ON e.account_id = a.id "
        "GROUP BY a.id, a.balance HAVING a.balance <> COALESCE(SUM(e.amount), 0)) AS t"
    ),
    "rated CDRs with money but no transaction": (
        "SELECT count(*) FROM cdrs WHERE status = 'rated' AND (sell <> 0 OR cost <> 0) "
        "AND transaction_id IS NULL"
    ),
}


async def check_invariants(ctx: ServicesContext, backend: str, expected_cdrs: int) -> None:
    """balance = sum(entries) for every account, every transaction sums to 0, CDRs stored."""
    async with ctx.unit_of_work() as uow:
        problems = {}
        for name, sql in INVARIANTS.items():
            count = int(await uow.session.scalar(text(sql)) or 0)
            if count:
                problems[name] = count
        stored = int(await uow.session.scalar(text("SELECT count(*) FROM cdrs")) or 0)
    if stored != expected_cdrs:
        problems["CDRs stored"] = stored
    if problems:
        raise SystemExit(f"{backend}: INVARIANTS BROKEN: {problems}")
    print(f"{backend:10} invariants ok ({stored:,} CDRs; balance = sum(entries) everywhere)")


async def bench(
    backend: str, url: str, n_batch: int, n_single: int, workers: int, batch_size: int
) -> None:
    rng = random.Random(7)
    deck, numbers = make_deck(rng)
    async with database(backend, url) as ctx:
        reseller, lines = await setup(ctx, deck)
        cdrs = make_cdrs(n_batch, lines, numbers, rng, "b")
        engine: AsyncEngine = ctx.sessionmaker.kw["bind"]
        marks = await high_water(engine)
        step = max(batch_size, 200_000)
        began = time.perf_counter()
        cpu_began = time.process_time()
        rated = 0
        for start in range(0, n_batch, step):
            part = cdrs[start : start + step]
            summary = await ingest_cdrs(ctx, reseller, part, batch_size=batch_size)
            rated += summary.rated
            if n_batch > step:
                done = start + len(part)
                so_far = time.perf_counter() - began
                print(
                    f"  {backend} batch: {done:,}/{n_batch:,} ({done / so_far:,.0f}/s)", flush=True
                )
        elapsed = time.perf_counter() - began
        rate = n_batch / elapsed
        target = TARGETS[("batch", backend)]
        print(
            f"{backend:10} batch      {n_batch:>9,} CDRs in {elapsed:7.1f} s = {rate:>9,.0f}/s"
            f"  (target ≥ {target:,}/s; {rated:,} rated; batch size {batch_size:,})",
            flush=True,
        )
        cpu = time.process_time() - cpu_began
        print(
            f"{backend:10} batch cpu  {cpu:7.1f} s in this process = {cpu / elapsed:.2f} × wall"
            " (above 1: pricing and the SQLite writer thread ran at once;"
            " PostgreSQL server not counted)",
            flush=True,
        )
        await check_invariants(ctx, backend, n_batch)
        if backend == "sqlite":
            path = str(engine.url.database)
            limit = await executemany_limit(engine, path, marks)
        else:
            limit = await copy_limit(engine, url, marks)
        ratio_line(backend, "batch", n_batch, limit, rate)
        singles = make_cdrs(n_single, lines, numbers, rng, "s")
        marks = await high_water(engine)
        queue = iter(singles)
        done = 0

        async def worker() -> None:
            nonlocal done
            for cdr in queue:
                await rate_cdr(ctx, reseller, cdr)
                done += 1
                if done % 5000 == 0 and n_single > 5000:
                    so_far = time.perf_counter() - began
                    print(f"  {backend} one-by-one: {done:,}/{n_single:,} ({done / so_far:,.0f}/s)")

        began = time.perf_counter()
        await asyncio.gather(*[worker() for _ in range(workers)])
        elapsed = time.perf_counter() - began
        where = "one connection" if workers == 1 else f"{workers} concurrent workers"
        print(
            f"{backend:10} one-by-one {n_single:>9,} CDRs in {elapsed:7.1f} s = "
            f"{n_single / elapsed:>9,.0f}/s  (target ≥ {TARGETS['single']:,}/s; {where})",
            flush=True,
        )
        await check_invariants(ctx, backend, n_batch + n_single)
        limit = await single_limit(engine, url, marks)
        ratio_line(backend, "one-by-one", n_single, limit, n_single / elapsed)


async def high_water(engine: AsyncEngine) -> dict[str, int]:
    """The highest id of every table that has an ``id`` column."""
    marks = {}
    async with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if "id" in table.c:
                found = await conn.scalar(text(f"SELECT max(id) FROM {table.name}"))
                marks[table.name] = int(found or 0)
    return marks


async def rows_since(engine: AsyncEngine, marks: dict[str, int]) -> Rows:
    """The rows added since ``marks`` (as stored), in foreign-key order."""
    found: Rows = {}
    async with engine.connect() as conn:
        for name, mark in marks.items():
            result = await conn.execute(
                text(f"SELECT * FROM {name} WHERE id > :mark ORDER BY id"), {"mark": mark}
            )
            rows = [tuple(row) for row in result]
            if rows:
                found[name] = (list(result.keys()), rows)
    return found


async def delete_rows(engine: AsyncEngine, marks: dict[str, int], tables: list[str]) -> None:
    async with engine.begin() as conn:
        for name in reversed(tables):
            await conn.execute(text(f"DELETE FROM {name} WHERE id > :mark"), {"mark": marks[name]})


async def copy_limit(engine: AsyncEngine, url: str, marks: dict[str, int]) -> float:
    """Seconds to ``COPY`` (binary) the rows added since ``marks`` back into their tables."""
    async with engine.connect() as conn:
        schema = await conn.scalar(text("SELECT current_schema()"))
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, server_settings={"search_path": str(schema)})
    try:
        found = {}
        for name, mark in marks.items():
            records = await connection.fetch(
                f"SELECT * FROM {name} WHERE id > $1 ORDER BY id", mark
            )
            if records:
                found[name] = (list(records[0].keys()), [tuple(r) for r in records])
        await delete_rows(engine, marks, list(found))
        began = time.perf_counter()
        async with connection.transaction():
            for name, (columns, rows) in found.items():
                await connection.copy_records_to_table(name, records=rows, columns=columns)
        return time.perf_counter() - began
    finally:
        await connection.close()


async def executemany_limit(engine: AsyncEngine, path: str, marks: dict[str, int]) -> float:
    """Seconds to ``executemany`` the rows added since ``marks`` back into their tables."""
    found = await rows_since(engine, marks)
    await delete_rows(engine, marks, list(found))
    await engine.dispose()  # no pooled connection holds the file meanwhile
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        began = time.perf_counter()
        db.execute("BEGIN")
        for name, (columns, rows) in found.items():
            marks_ = ", ".join("?" * len(columns))
            db.executemany(f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks_})", rows)
        db.execute("COMMIT")
        return time.perf_counter() - began
    finally:
        db.close()


async def single_limit(engine: AsyncEngine, url: str, marks: dict[str, int]) -> float:
    """Seconds for one minimal transaction per CDR added since ``marks``, one after the
    other on one connection: the CDR's insert and the balance updates of its ledger
    entries. SQLite: a stdlib connection to the same file, each transaction one hop to a
    thread (``BEGIN IMMEDIATE`` … ``COMMIT``); PostgreSQL: an asyncpg connection, the
    updates as one ``executemany``. The CDRs are deleted first and inserted again; the
    balances then count those calls twice (the bench is over)."""
    found = await rows_since(engine, {"cdrs": marks["cdrs"]})
    columns, cdrs = found["cdrs"]
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT transaction_id, account_id, amount FROM ledger_entries "
                "WHERE transaction_id > :mark"
            ),
            {"mark": marks["ledger_transactions"]},
        )
        postings: dict[int, list[tuple[int, int]]] = {}
        for transaction_id, account_id, amount in result:
            postings.setdefault(transaction_id, []).append((amount, account_id))
    where = columns.index("transaction_id")
    names = ", ".join(columns)
    if engine.dialect.name == "sqlite":
        rows = [tuple(row) for row in cdrs]
        await delete_rows(engine, marks, ["cdrs"])
        await engine.dispose()
        thread = ThreadPoolExecutor(max_workers=1)  # the connection's own thread
        loop = asyncio.get_running_loop()
        path = str(engine.url.database)
        db = await loop.run_in_executor(
            thread, partial(sqlite3.connect, path, isolation_level=None)
        )
        await loop.run_in_executor(thread, db.execute, "PRAGMA foreign_keys = ON")
        await loop.run_in_executor(thread, db.execute, "PRAGMA synchronous = NORMAL")
        insert = f"INSERT INTO cdrs ({names}) VALUES ({', '.join('?' * len(columns))})"
        update = "UPDATE accounts SET balance = balance + ? WHERE id = ?"

        def write(row: tuple[object, ...]) -> None:
            db.execute("BEGIN IMMEDIATE")
            db.execute(insert, row)
            db.executemany(update, postings.get(row[where], ()))  # type: ignore[call-overload]
            db.execute("COMMIT")

        try:
            began = time.perf_counter()
            for row in rows:
                await loop.run_in_executor(thread, write, row)
            return time.perf_counter() - began
        finally:
            await loop.run_in_executor(thread, db.close)
            thread.shutdown()
    async with engine.connect() as conn:
        schema = await conn.scalar(text("SELECT current_schema()"))
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, server_settings={"search_path": str(schema)})
    try:
        records = await connection.fetch(
            "SELECT * FROM cdrs WHERE id > $1 ORDER BY id", marks["cdrs"]
        )
        await delete_rows(engine, marks, ["cdrs"])
        places = ", ".join(f"${i + 1}" for i in range(len(columns)))
        insert = f"INSERT INTO cdrs ({names}) VALUES ({places})"
        update = "UPDATE accounts SET balance = balance + $1 WHERE id = $2"
        began = time.perf_counter()
        for record in records:
            async with connection.transaction():
                await connection.execute(insert, *[record[c] for c in columns])
                await connection.executemany(update, postings.get(record["transaction_id"], ()))
        return time.perf_counter() - began
    finally:
        await connection.close()


def ratio_line(backend: str, label: str, count: int, limit: float, rate: float) -> None:
    limit_rate = count / limit
    print(
        f"{backend:10} {label:<10} limit {limit_rate:>9,.0f}/s  ratio {rate / limit_rate:.2f}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdrs", type=int, default=1_000_000, help="CDRs for the batch path")
    parser.add_argument("--single", type=int, default=20_000, help="CDRs one per transaction")
    parser.add_argument("--workers", type=int, default=1, help="one-by-one: concurrent callers")
    parser.add_argument("--batch-size", type=int, default=BATCH)
    parser.add_argument("--quick", action="store_true", help="50,000 batch and 2,000 single")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres-url", default=POSTGRES)
    args = parser.parse_args()
    if args.quick:
        args.cdrs, args.single = min(args.cdrs, 50_000), min(args.single, 2_000)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    for backend in backends:
        asyncio.run(
            bench(
                backend,
                args.postgres_url,
                args.cdrs,
                args.single,
                args.workers,
                args.batch_size,
            )
        )


if __name__ == "__main__":
    main()
