"""Benchmark the reports on PostgreSQL with a million CDRs.

Fills a throw-away schema with ``--cdrs`` calls (asyncpg ``COPY``) in March 2026, 90% of
them for the first of two resellers, then times, through the real report functions:
profit by country for the month, and the CDR report's first page plus totals. Finally it
exports every call of the month (``--cdrs`` rows) and about a tenth of them through the
CSV endpoint, each in a fresh process, and prints the peak RSS of both. The schema is
dropped at the end.

    .venv/bin/python bench/bench_reports.py [--cdrs 1000000] [--quick] [--url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel
from starlette.applications import Starlette
from starlette.routing import Route

import api.store.tables  # noqa: F401  (registers the tables)
from api.domain.actor import Actor
from api.reports import CdrFilter, GroupBy, Period, cdr_page, cdr_totals, profit_summary
from api.reports.http import cdr_csv
from api.store.engine import create_engine, make_sessionmaker

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
MONTH = Period(date(2026, 3, 1), date(2026, 3, 31), ZoneInfo("UTC"))
RESELLERS = 2
CLIENTS_PER_RESELLER = 300
COUNTRIES = ["US", "CA", "GB", "MX", "DE", "FR", "IN", "PH", "NG", "BR", "JM", "ES", "IT", "CN"]


# The indexes the reports need beyond the schema's (reseller_id, started_at) and
# (client_id, started_at): keyset pages ordered by (started_at, id) within a reseller.
def asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def cdr_records(count: int, seed: int = 7) -> Iterator[tuple[Any, ...]]:
    """Plausible rated calls: 30% unanswered, per-second billing, integer micro-units."""
    rng = random.Random(seed)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    month_seconds = 31 * 86400
    for i in range(count):
        reseller = 1 if rng.random() < 0.9 else 2
        client = (reseller - 1) * CLIENTS_PER_RESELLER + rng.randint(1, CLIENTS_PER_RESELLER)
        country = COUNTRIES[min(int(rng.expovariate(0.4)), len(COUNTRIES) - 1)]
        duration = 0 if rng.random() < 0.3 else rng.randint(1, 1200)
        cost_rate = rng.randint(2_000, 40_000)
        sell_rate = cost_rate * 6 // 5
        cost, sell = cost_rate * duration // 60, sell_rate * duration // 60
        started_at = start + timedelta(seconds=rng.randrange(month_seconds))
        yield (
            reseller, client, client, "bench", str(i), "outbound", "4420" + str(i).zfill(7),
            started_at, duration, "rated", "", duration, duration, duration, "1", sell_rate,
            sell, 0, cost_rate, cost, sell - cost, "country", "", None, "", country, country,
            "value", 0, False, None, "", started_at,
        )  # fmt: skip


CDR_COLUMNS = [
    "reseller_id", "client_id", "sub_account_id", "source", "call_id", "direction", "number",
    "started_at", "duration", "status", "failure_reason", "billed_seconds",
    "cost_billed_seconds", "charged_seconds", "pulse", "sell_rate", "sell", "connect_fee",
    "cost_rate", "cost", "profit", "rule_kind", "rule_text", "rule_line", "deck_prefix",
    "country", "description", "route", "free_minutes_used", "on_net", "package_version_id",
    "deck_version", "created_at",
]  # fmt: skip


async def fill(url: str, schema: str, count: int) -> None:
    engine = create_engine(url, search_path=schema)
    async with engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all)
    await engine.dispose()
    connection = await asyncpg.connect(asyncpg_dsn(url), server_settings={"search_path": schema})
    try:
        now = datetime(2026, 1, 1, tzinfo=UTC)
        await connection.copy_records_to_table(
            "resellers", columns=["id", "name", "currency", "status", "low_balance_threshold",
                                  "max_call_seconds", "created_at", "email", "phone", "address"],
            records=[(r, f"reseller {r}", "USD", "active", 0, 14400, now, "", "", "")
                     for r in range(1, RESELLERS + 1)],
        )  # fmt: skip
        clients = [
            (c, (c - 1) // CLIENTS_PER_RESELLER + 1, f"client {c}")
            for c in range(1, RESELLERS * CLIENTS_PER_RESELLER + 1)
        ]
        await connection.copy_records_to_table(
            "clients", columns=["id", "reseller_id", "name", "company", "email", "phone",
                                "address", "balance_type", "billing_day", "status", "suspended",
                                "low_balance_alerted", "created_at"],
            records=[(c, r, n, "", "", "", "", "soft", 1, "active", False, False, now)
                     for c, r, n in clients],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "sub_accounts", columns=["id", "reseller_id", "client_id", "username",
                                     "password_encrypted", "created_at"],
            records=[(c, r, c, f"sip{c}", "x", now) for c, r, _ in clients],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "cdrs", columns=CDR_COLUMNS, records=cdr_records(count)
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def cdr_indexes(url: str, schema: str) -> list[str]:
    """The indexes of the cdrs table (all part of the schema, none created by the bench)."""
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        rows = await connection.fetch(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'cdrs'"
            " ORDER BY indexname",
            schema,
        )
        return [
            str(row["indexdef"]).replace(f'"{schema}".', "").replace(f"{schema}.", "")
            for row in rows
        ]
    finally:
        await connection.close()


async def best_of(runs: int, work: Callable[[], Awaitable[object]]) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        await work()
        timings.append(time.perf_counter() - started)
    return min(timings)


async def time_reports(url: str, schema: str) -> dict[str, float]:
    engine = create_engine(url, search_path=schema)
    sessionmaker = make_sessionmaker(engine)
    actor, month = Actor.reseller(1), CdrFilter(MONTH)

    async def by_country() -> None:
        async with sessionmaker() as session:
            await profit_summary(session, actor, month, GroupBy.COUNTRY)

    async def first_page_and_totals() -> None:
        async with sessionmaker() as session:
            await cdr_page(session, actor, month, size=100)
            await cdr_totals(session, actor, month)

    async def by_day() -> None:
        async with sessionmaker() as session:
            await profit_summary(session, actor, month, GroupBy.DAY)

    try:
        return {
            "profit by country, month": await best_of(3, by_country),
            "CDR first page + totals, month": await best_of(3, first_page_and_totals),
            "profit by day, month": await best_of(3, by_day),
        }
    finally:
        await engine.dispose()


async def export(url: str, schema: str, reseller_id: int | None) -> dict[str, float]:
    """Run the CSV endpoint as an ASGI app, discarding the body: rows, bytes, seconds."""
    engine = create_engine(url, search_path=schema)
    app = Starlette(routes=[Route("/cdrs.csv", cdr_csv)])
    app.state.sessionmaker = make_sessionmaker(engine)
    actor = Actor.operator() if reseller_id is None else Actor.reseller(reseller_id)
    query = f"from={MONTH.first_day}&to={MONTH.last_day}"
    scope = {"type": "http", "method": "GET", "path": "/cdrs.csv", "query_string": query.encode(),
             "headers": [], "state": {"actor": actor}, "app": app}  # fmt: skip
    counted = {"bytes": 0, "lines": 0, "status": 0}

    async def receive() -> dict[str, Any]:
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            counted["status"] = message["status"]
        body = message.get("body", b"")
        counted["bytes"] += len(body)
        counted["lines"] += body.count(b"\n")

    started = time.perf_counter()
    await app(scope, receive, send)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    await engine.dispose()
    if counted["status"] != 200:
        raise RuntimeError(f"export failed with HTTP {counted['status']}")
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": counted["lines"] - 1, "mib": counted["bytes"] / 2**20, "seconds": seconds,
            "peak_rss_mib": peak_mib}  # fmt: skip


def export_in_child(url: str, schema: str, reseller_id: int | None) -> dict[str, float]:
    """A fresh process, so that its peak RSS is the export's alone."""
    argv = [sys.executable, __file__, "--url", url, "--export", schema]
    if reseller_id is not None:
        argv += ["--reseller", str(reseller_id)]
    output = subprocess.run(argv, check=True, capture_output=True, text=True, timeout=600)  # noqa: S603
    result: dict[str, float] = json.loads(output.stdout.splitlines()[-1])
    return result


async def drop(url: str, schema: str) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        await connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await connection.close()


async def run(url: str, count: int) -> None:
    schema = f"pb_bench_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(asyncpg_dsn(url))
    await connection.execute(f'CREATE SCHEMA "{schema}"')
    await connection.close()
    try:
        started = time.perf_counter()
        await fill(url, schema, count)
        print(f"filled {count:,} CDRs in {time.perf_counter() - started:.1f} s")
        for definition in await cdr_indexes(url, schema):
            print(f"index: {definition}")
        for name, seconds in (await time_reports(url, schema)).items():
            print(f"  {name:<32} {seconds:6.3f} s   (target < 1 s)")
        for label, reseller in (("all resellers", None), ("reseller 2 (~10%)", 2)):
            figures = await asyncio.to_thread(export_in_child, url, schema, reseller)
            print(
                f"CSV export {label:<17} {int(figures['rows']):>9,} rows "
                f"{figures['mib']:7.1f} MiB {figures['seconds']:6.1f} s "
                f"peak RSS {figures['peak_rss_mib']:6.1f} MiB"
            )
    finally:
        await drop(url, schema)
        print(f"dropped schema {schema}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cdrs", type=int, default=1_000_000, help="calls to generate")
    parser.add_argument("--quick", action="store_true", help="100,000 calls")
    parser.add_argument("--url", default=os.environ.get("PULSEBILL_TEST_POSTGRES_URL", DEFAULT_URL))
    parser.add_argument("--export", metavar="SCHEMA", help=argparse.SUPPRESS)
    parser.add_argument("--reseller", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export:
        print(json.dumps(asyncio.run(export(args.url, args.export, args.reseller))))
        return 0
    asyncio.run(run(args.url, 100_000 if args.quick else args.cdrs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
