"""``pulsebill rate-cdrs FILE.csv --reseller ID``: batch-rate a CDR file.

CSV columns: ``source,call_id,sub_account,direction,number,start,duration`` (header row;
``start`` in ISO 8601 with an offset, or UTC when it has none).
"""

from __future__ import annotations

import argparse
import csv
from datetime import UTC, datetime
from pathlib import Path

from api.commands.service_runner import run
from api.domain.actor import Actor
from api.domain.errors import InvalidInput
from api.services.cdrs import ingest_cdrs
from api.services.context import ServicesContext
from api.services.views import CdrInput
from ratelang.money import format_money

COLUMNS = ["source", "call_id", "sub_account", "direction", "number", "start", "duration"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("rate-cdrs", help="rate a CSV file of CDRs for a reseller")
    parser.add_argument("file", type=Path)
    parser.add_argument("--reseller", required=True, type=int)
    parser.set_defaults(func=main)


def read_cdrs(path: Path) -> list[CdrInput]:
    """Parse the CSV; a bad row raises :class:`InvalidInput` naming its line."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        if header != COLUMNS:
            raise InvalidInput("header", f"expected {','.join(COLUMNS)}")
        cdrs = []
        for row in reader:
            if not row:
                continue
            line = reader.line_num
            if len(row) != len(COLUMNS):
                raise InvalidInput(f"line {line}", f"expected {len(COLUMNS)} columns")
            source, call_id, sub, direction, number, start, duration = (c.strip() for c in row)
            try:
                started = datetime.fromisoformat(start)
                seconds = int(duration)
            except ValueError:
                raise InvalidInput(f"line {line}", "bad start or duration") from None
            if started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            cdrs.append(CdrInput(source, call_id, sub, direction, number, started, seconds))
    return cdrs


def main(args: argparse.Namespace) -> int:
    async def job(ctx: ServicesContext) -> int:
        cdrs = read_cdrs(args.file)
        done = await ingest_cdrs(ctx, Actor.operator(), cdrs, reseller_id=args.reseller)
        print(
            f"{done.received} CDRs: {done.rated} rated, {done.unrated} unrated, "
            f"{done.duplicates} duplicates; sell {format_money(done.sell)}, "
            f"cost {format_money(done.cost)}"
        )
        return 0

    return run(job)
