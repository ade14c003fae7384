"""Rate and post CDRs through the batch path and the real-time path; print CDRs/s.

    .venv/bin/python bench/bench_ledger.py [--cdrs N] [--single N] [--quick]
        [--backend sqlite|postgresql|both] [--workers 1] [--batch-size 20000]

Targets: batch ≥ 150,000/s on SQLite and ≥ 100,000/s on PostgreSQL; one CDR per
transaction ≥ 2,000/s, sequential on one connection (``--workers 1``, the default).
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
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlmodel import SQLModel

import api.store.tables  # noqa: F401
from api.domain.actor import Actor
from api.events import EventBus
from api.services import clients, decks, packages, payments, resellers, sub_accounts
from api.services.cdrs import ingest_cdrs, rate_cdr
from api.services.client_packages import attach_package
from api.services.context import ServicesContext
from api.services.secrets import PasswordCipher
from api.services.views import CdrInput
from api.store.engine import create_engine, make_sessionmaker

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
        singles = make_cdrs(n_single, lines, numbers, rng, "s")
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
