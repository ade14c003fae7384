"""Benchmark of ratelang against the classic database approach.

Usage: ``.venv/bin/python bench/bench_ratelang.py [--quick] [--no-postgres] [--seed N]``

On a synthetic 100,000-prefix deck and 1,000,000 random numbers it prints: deck load time,
the compile time of a 10,000-rule package, longest-prefix lookups per second, price() calls
per second (the first call builds the package and deck's pricing index: the figure includes
it, and the next line shows it apart), table memory (tracemalloc), and the same lookup done
by SQLite (in memory, indexed, ``prefix IN (every prefix of the number)``) and by PostgreSQL
via asyncpg (``prefix = ANY($1)``, a temporary table) on a bounded sample, with the ratio.
``--quick`` runs tiny sizes in about a second (used by the test suite).

Each timed figure is wall-clock time, which the targets are about, with the CPU time of
this process next to it: on a shared machine the two differ by the time other processes
took from this core (``taskset -c 0`` keeps the run on one core; the load average is
printed first). The compile figure is the first compile in the process, so it includes
building the parser. The process runs with the server's garbage-collector thresholds
(``api.app.GC_THRESHOLDS``), as the library runs in the server.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import random
import sqlite3
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from api.app import GC_THRESHOLDS
from ratelang.compile import compile_source
from ratelang.countries import ISO_COUNTRIES
from ratelang.deck import parse_deck
from ratelang.model import CompiledPackage, Deck
from ratelang.pricing import Pricer, price
from ratelang.rating import Call
from ratelang.tables import PrefixTable

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CALLING_CODES = [
    "1", "7", "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44",
    "45", "46", "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61",
    "62", "63", "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95",
    "98", "212", "213", "216", "234", "254", "255", "351", "352", "353", "354", "355", "358",
    "370", "371", "372", "380", "381", "420", "421", "852", "880", "886", "961", "962", "966",
    "971", "972", "974", "977",
]  # fmt: skip
COUNTRIES = sorted(ISO_COUNTRIES - {"US", "CA"})


@dataclass(frozen=True)
class Sizes:
    prefixes: int
    numbers: int
    rules: int
    priced: int
    db_lookups: int


FULL = Sizes(prefixes=100_000, numbers=1_000_000, rules=10_000, priced=200_000, db_lookups=20_000)
QUICK = Sizes(prefixes=2_000, numbers=20_000, rules=200, priced=2_000, db_lookups=300)


def synthetic_deck_csv(count: int, rng: random.Random) -> str:
    """``count`` distinct prefixes under real calling codes, 1 to 7 digits after the code."""
    prefixes: set[str] = set(CALLING_CODES)
    while len(prefixes) < count:
        code = rng.choice(CALLING_CODES)
        prefixes.add(code + str(rng.randrange(10 ** rng.randint(1, 7))).zfill(rng.randint(1, 7)))
    lines = ["prefix,country,description,value_rate,premium_rate,pulse"]
    for prefix in sorted(prefixes):
        country = "US" if prefix.startswith("1") else COUNTRIES[int(prefix[:3]) % len(COUNTRIES)]
        value = rng.randint(10, 2_000)
        pulse = "" if rng.random() < 0.8 else rng.choice(["1", "30/6", "60"])
        lines.append(f"{prefix},{country},dest {prefix},0.{value:06d},0.{value + 500:06d},{pulse}")
    return "\n".join(lines) + "\n"


def random_numbers(count: int, rng: random.Random) -> list[str]:
    """E.164 digit strings of 11 or 12 digits under the same calling codes."""
    numbers = []
    for _ in range(count):
        code = rng.choice(CALLING_CODES)
        numbers.append(code + str(rng.randrange(10**10)).zfill(rng.randint(10, 11) - len(code) + 1))
    return numbers


def package_text(rules: int, deck: Deck, rng: random.Random) -> str:
    """A package with ``rules`` rate rules: country rules, then prefix rules from the deck."""
    lines = [
        'package "Bench" {',
        "    currency USD",
        "    markup 20% + 0.0000",
        "    pulse 60",
        "    route canada value",
        "    route international premium",
        "    on_net free",
        "    free_minutes 100",
        "    connect 0.01",
        "    round 4 half_up",
        "    free_zone usa_canada",
        "    rate usa_canada 0.0095",
    ]
    countries = COUNTRIES[: min(len(COUNTRIES), rules // 10)]
    for country in countries:
        lines.append(f"    rate country {country} 0.{rng.randint(100, 90_000):06d}")
    prefixes = [prefix for prefix, _ in deck.entries.items()]
    for prefix in rng.sample(prefixes, rules - 1 - len(countries)):
        if rng.random() < 0.5:
            lines.append(f"    rate prefix {prefix} 0.{rng.randint(100, 90_000):06d}")
        else:
            lines.append(f"    rate prefix {prefix} markup {rng.randint(5, 60)}% pulse 30/6")
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def timed(function: Callable[[], object]) -> Timing:
    """Wall-clock and CPU seconds of ``function()``."""
    start, start_cpu = time.perf_counter(), time.process_time()
    function()
    return Timing(time.perf_counter() - start, time.process_time() - start_cpu)


def table_memory_mib(items: list[tuple[str, object]]) -> float:
    """MiB allocated to build a PrefixTable over existing keys and values."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        table = PrefixTable(items)
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del table
    return (after - before) / 2**20


def sqlite_lookups(deck: Deck, numbers: Sequence[str]) -> tuple[float, list[str | None]]:
    """Lookups per second of the indexed ``IN (prefixes)`` query in in-memory SQLite."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute("CREATE TABLE deck (prefix TEXT PRIMARY KEY, country TEXT, rate INTEGER)")
        db.executemany(
            "INSERT INTO deck VALUES (?, ?, ?)",
            ((p, e.country, e.value_rate) for p, e in deck.entries.items()),
        )
        queries = {
            n: "SELECT prefix, country, rate FROM deck WHERE prefix IN ("
            + ",".join("?" * n)
            + ") ORDER BY length(prefix) DESC LIMIT 1"
            for n in range(1, 16)
        }
        found: list[str | None] = []
        start = time.perf_counter()
        for number in numbers:
            candidates = [number[:k] for k in range(1, len(number) + 1)]
            row = db.execute(queries[len(candidates)], candidates).fetchone()
            found.append(None if row is None else row[0])
        elapsed = time.perf_counter() - start
    finally:
        db.close()
    return len(numbers) / elapsed, found


async def postgres_lookups(
    deck: Deck, numbers: Sequence[str]
) -> tuple[float, list[str | None]] | str:
    """Lookups per second with ``prefix = ANY($1)`` on PostgreSQL, or why it was skipped."""
    try:
        import asyncpg

        connection = await asyncio.wait_for(asyncpg.connect(POSTGRES_URL), timeout=5)
    except (TimeoutError, OSError, ImportError) as exc:
        return f"skipped ({type(exc).__name__}: {exc})"
    except Exception as exc:  # asyncpg's own errors (auth, missing database)
        return f"skipped ({type(exc).__name__}: {exc})"
    try:
        await connection.execute(
            "CREATE TEMP TABLE bench_deck (prefix text PRIMARY KEY, country text, rate bigint)"
        )
        await connection.copy_records_to_table(
            "bench_deck",
            records=[(p, e.country, e.value_rate) for p, e in deck.entries.items()],
        )
        await connection.execute("ANALYZE bench_deck")
        statement = await connection.prepare(
            "SELECT prefix, country, rate FROM bench_deck WHERE prefix = ANY($1::text[]) "
            "ORDER BY length(prefix) DESC LIMIT 1"
        )
        found: list[str | None] = []
        start = time.perf_counter()
        for number in numbers:
            row = await statement.fetchrow([number[:k] for k in range(1, len(number) + 1)])
            found.append(None if row is None else row["prefix"])
        elapsed = time.perf_counter() - start
    finally:
        await connection.close()
    return len(numbers) / elapsed, found


def run(sizes: Sizes, seed: int, use_postgres: bool) -> list[str]:
    rng = random.Random(seed)
    report: list[str] = []

    def line(label: str, value: str, target: str = "", cpu: str = "") -> None:
        report.append(f"{label:<44}{value:>15}{cpu:>20}   {target}".rstrip())
        print(report[-1], flush=True)

    def seconds_line(label: str, timing: Timing, target: str) -> None:
        line(label, f"{timing.wall:.2f} s", target, f"(cpu {timing.cpu:.2f} s)")

    def rate_line(label: str, count: int, timing: Timing, target: str = "") -> float:
        rate = count / timing.wall
        line(label, f"{rate:,.0f} /s", target, f"(cpu {count / timing.cpu:,.0f} /s)")
        return rate

    load = ", ".join(f"{n:.2f}" for n in os.getloadavg())
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"load average {load} on {os.cpu_count()} cores; this run may use {cores}", flush=True)

    text = synthetic_deck_csv(sizes.prefixes, rng)
    deck_holder: list[Deck] = []
    timing = timed(lambda: deck_holder.append(parse_deck(text, "synthetic.csv")))
    deck = deck_holder[0]
    seconds_line(f"deck load ({len(deck.entries):,} rows)", timing, "target < 2 s")

    numbers = random_numbers(sizes.numbers, rng)
    rules_text = package_text(sizes.rules, deck, rng)
    packages: list[CompiledPackage] = []
    timing = timed(lambda: packages.append(compile_source(rules_text, "bench.rate").package()))
    package = packages[0]
    seconds_line(f"compile ({sizes.rules:,} rules)", timing, "target < 1 s")

    calls = [
        Call(n, rng.randint(0, 900), free_minutes_left=rng.randint(0, 3))
        for n in numbers[: sizes.priced]
    ]
    routable = [c for c in calls if deck.lookup(c.number) is not None]
    gc.collect()
    gc.freeze()  # as a server would after loading: no GC pass rescans the loaded data

    lookup = deck.entries.longest_match

    def lookups() -> None:
        for number in numbers:
            lookup(number)

    memory_rate = rate_line(
        f"longest-prefix lookups ({len(numbers):,})",
        len(numbers),
        timed(lookups),
        "target ≥ 1,000,000 /s",
    )

    def pricing() -> None:
        for call in routable:
            price(call, package, deck)

    rate_line(
        f"price() calls ({len(routable):,})", len(routable), timed(pricing), "target ≥ 250,000 /s"
    )
    # The first call above built the (package, deck) index; the figure includes it.
    timing = timed(lambda: Pricer(package, deck))
    line(
        "  of which the index build (first call)",
        f"{timing.wall * 1000:.1f} ms",
        cpu=f"(cpu {timing.cpu * 1000:.1f} ms)",
    )

    items = list(deck.entries.as_mapping().items())
    per_100k = table_memory_mib(items) * 100_000 / len(items)
    line("prefix table memory per 100k prefixes", f"{per_100k:.1f} MiB", "target ≤ 15 MiB")

    sample = numbers[: sizes.db_lookups]
    expected = [None if (m := lookup(n)) is None else m[0] for n in sample]
    sqlite_rate, sqlite_found = sqlite_lookups(deck, sample)
    agree = "same answers" if sqlite_found == expected else "DIFFERENT ANSWERS"
    line(f"SQLite lookups ({len(sample):,}, {agree})", f"{sqlite_rate:,.0f} /s")
    line("  in-memory / SQLite", f"{memory_rate / sqlite_rate:,.0f} ×")
    if use_postgres:
        result = asyncio.run(postgres_lookups(deck, sample))
        if isinstance(result, str):
            line("PostgreSQL lookups", result)
        else:
            pg_rate, pg_found = result
            agree = "same answers" if pg_found == expected else "DIFFERENT ANSWERS"
            line(f"PostgreSQL lookups ({len(sample):,}, {agree})", f"{pg_rate:,.0f} /s")
            line("  in-memory / PostgreSQL", f"{memory_rate / pg_rate:,.0f} ×")
    else:
        line("PostgreSQL lookups", "skipped (--no-postgres)")
    return report


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    parser.add_argument("--no-postgres", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        run(sizes, args.seed, use_postgres=not args.no_postgres)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
