"""``pulsebill rate-cdrs FILE.csv --reseller ID``: batch-rate a CDR file.

The columns (header row required, in this order; see ``docs/examples/cdrs.csv``)::

    source,call_id,sub_account,direction,number,start,duration

Every row is checked first, against the rules a CDR from GraphQL meets
(:func:`api.services.cdrs.batch_problems`) plus the file's own (ASCII digits, ISO 8601
times); a file with any bad row is refused whole, every problem listed by its 1-based
line, and nothing is written. Then the CDRs are rated in batches, each committed on its
own: a database error stops the run with one line, and running the same command again
resumes (stored CDRs are skipped, never charged twice).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from api.commands.progress import Stopped, ingest_with_progress
from api.commands.service_runner import run
from api.domain.actor import Actor
from api.domain.errors import InvalidInput
from api.domain.limits import EARLIEST
from api.services.cdrs import DEFAULT_BATCH, batch_problems, ingest_cdrs
from api.services.context import ServicesContext
from api.services.records import CdrInput, IngestSummary
from ratelang.money import format_money

COLUMNS = ["source", "call_id", "sub_account", "direction", "number", "start", "duration"]
SHOWN_PROBLEMS = 50
_DURATION = re.compile(r"[0-9]{1,9}")
_COLUMN_OF = {"started_at": "start"}  # a CdrInput field → its CSV column


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("rate-cdrs", help="rate a CSV file of CDRs for a reseller")
    parser.add_argument("file", type=Path)
    parser.add_argument("--reseller", required=True, type=int)
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH, help="CDRs per transaction"
    )
    parser.set_defaults(func=main)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """One broken spot of the file: its 1-based line, the column, what is wrong."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.column}: {self.message}"


class CdrFileRejected(Exception):
    """The file has bad rows; ``problems`` lists every one found (nothing was written)."""

    def __init__(self, problems: list[RowProblem]) -> None:
        super().__init__(f"{len(problems)} problem{'s' if len(problems) != 1 else ''}")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class CdrFile:
    cdrs: list[CdrInput]
    lines: list[int]  # the file line of each CDR


def read_cdrs(path: Path) -> CdrFile:
    """Parse and check every row; raise :class:`CdrFileRejected` listing all problems."""
    cdrs: list[CdrInput] = []
    lines: list[int] = []
    problems: list[RowProblem] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        try:
            header = [h.strip() for h in next(reader, [])]
            if header != COLUMNS:
                raise InvalidInput("header", f"expected {','.join(COLUMNS)}")
            for row in reader:
                if not row:
                    continue
                line = reader.line_num
                cdr = _parse_row(row, line, problems)
                if cdr is not None:
                    cdrs.append(cdr)
                    lines.append(line)
        except csv.Error as exc:  # e.g. "field larger than field limit (131072)"
            message = f"unreadable CSV: {exc}; reading stopped here"
            problems.append(RowProblem(reader.line_num, "row", message))
    for index, name, message in batch_problems(cdrs):  # the rules of every CDR
        problems.append(RowProblem(lines[index], _COLUMN_OF.get(name, name), message))
    if problems:
        raise CdrFileRejected(sorted(problems, key=lambda p: p.line))
    return CdrFile(cdrs, lines)


def _parse_row(row: list[str], line: int, problems: list[RowProblem]) -> CdrInput | None:
    if len(row) != len(COLUMNS):
        problems.append(
            RowProblem(line, "row", f"expected {len(COLUMNS)} columns, found {len(row)}")
        )
        return None
    source, call_id, sub, direction, number, start, duration = (c.strip() for c in row)
    started: datetime | None = None
    with contextlib.suppress(ValueError):
        started = datetime.fromisoformat(start) if start.isascii() else None
    if started is None:
        message = f"not an ISO 8601 time like 2026-11-10T12:00:00+00:00: {start[:40]!r}"
        problems.append(RowProblem(line, "start", message))
    elif started.tzinfo is None:
        started = started.replace(tzinfo=UTC)
    found = len(problems)
    if not _DURATION.fullmatch(duration):
        message = f"not a whole number of seconds (digits 0-9): {duration[:40]!r}"
        problems.append(RowProblem(line, "duration", message))
    seconds = int(duration) if len(problems) == found else 0
    # with a bad start or duration a stand-in takes its place, so that the other columns
    # are still checked; a file with any problem is refused whole anyway
    return CdrInput(source, call_id, sub, direction.lower(), number, started or EARLIEST, seconds)


def summary_lines(done: IngestSummary) -> list[str]:
    """What a finished run prints: the counts, the money, the unrated CDRs by reason."""
    lines = [
        f"{done.received} CDRs: {done.rated} rated, {done.unrated} unrated, "
        f"{done.duplicates} duplicates; sell {format_money(done.sell)}, "
        f"cost {format_money(done.cost)}"
    ]
    if done.unrated_reasons:
        reasons = ", ".join(f"{reason} {count}" for reason, count in done.unrated_reasons)
        lines.append(f"unrated by reason: {reasons}")
    return lines


async def rate_file(
    ctx: ServicesContext, path: Path, reseller_id: int, *, batch_size: int = DEFAULT_BATCH
) -> int:
    """The command's work on ``ctx``: check, rate, print; the exit code."""
    try:
        parsed = read_cdrs(path)
    except CdrFileRejected as exc:
        print(f"error: {exc} in {path.name}; nothing was rated", file=sys.stderr)
        for problem in exc.problems[:SHOWN_PROBLEMS]:
            print(f"  {problem}", file=sys.stderr)
        if len(exc.problems) > SHOWN_PROBLEMS:
            print(f"  … and {len(exc.problems) - SHOWN_PROBLEMS} more", file=sys.stderr)
        return 1
    done = await ingest_with_progress(
        "rating CDRs",
        len(parsed.cdrs),
        lambda on_batch: ingest_cdrs(
            ctx, Actor.operator(), parsed.cdrs, reseller_id=reseller_id,
            batch_size=batch_size, on_batch=on_batch,
        ),
    )  # fmt: skip
    if isinstance(done, Stopped):
        print(done.message(f"line {parsed.lines[done.committed]}"), file=sys.stderr)
        return 1
    for text in summary_lines(done):
        print(text)
    return 0


def main(args: argparse.Namespace) -> int:
    async def job(ctx: ServicesContext) -> int:
        return await rate_file(ctx, args.file, args.reseller, batch_size=args.batch_size)

    return run(job)
