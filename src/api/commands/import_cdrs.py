"""``pulsebill import-cdrs --format asterisk-csv|freeswitch-json PATH --reseller ID``:
import a switch's CDR file (or a folder of FreeSWITCH JSON CDRs) for a reseller."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from api.commands.progress import Stopped, ingest_with_progress
from api.commands.service_runner import run
from api.domain.actor import Actor
from api.domain.errors import NotFound
from api.importers import asterisk, freeswitch
from api.importers.records import ReadCdrs
from api.importers.run import Summary, import_read
from api.services import resellers
from api.services.cdrs import DEFAULT_BATCH
from api.services.context import ServicesContext

FORMATS = ("asterisk-csv", "freeswitch-json")
EXIT_OK, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2
DESCRIPTION = """\
Import a switch's CDRs for a reseller: an Asterisk cdr_csv file (Master.csv), or
FreeSWITCH mod_json_cdr records (one file holding one record or one record per line, or
a folder of *.json files). Each chunk of --batch-size CDRs is committed on its own; run
again after a crash, stored CDRs count as duplicates and are never charged twice.
"""
EPILOG = """\
exit status: 0 when every record was imported (rated, unrated or duplicate), 1 when some
records were refused (listed with their line numbers; the others are imported) or the
database failed mid-way (rerun the same command to resume: nothing is charged twice),
2 for a bad invocation (no such file, unknown reseller, unknown time zone).
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "import-cdrs",
        help="import an Asterisk Master.csv or FreeSWITCH JSON CDRs for a reseller",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--format", required=True, choices=FORMATS, dest="format")
    parser.add_argument("path", type=Path, help="the CSV file; a JSON file or folder")
    parser.add_argument("--reseller", required=True, type=int)
    parser.add_argument(
        "--source", help="the CDR source (default: the format's switch, asterisk|freeswitch)"
    )
    parser.add_argument(
        "--timezone",
        default="UTC",
        help="asterisk-csv: the zone of the start times (default UTC, as with cdr.conf "
        "usegmtime=yes; else the Asterisk server's zone, e.g. Europe/Paris, or 'local')",
    )
    parser.add_argument(
        "--csv-options",
        help="asterisk-csv: the cdr.conf [csv] options the file was written with, e.g. "
        "loguniqueid,loguserfield,newcdrcolumns (default: told by each row's column count)",
    )
    parser.add_argument(
        "--inbound-context",
        action="append",
        help="a dialplan context of inbound DID calls, repeatable (default: from-pstn and "
        "from-trunk for Asterisk, public for FreeSWITCH)",
    )
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULT_BATCH, help="CDRs per transaction"
    )
    parser.set_defaults(func=main)


def read_file(args: argparse.Namespace) -> ReadCdrs:
    """The records of ``args.path`` in ``args.format`` (the invocation already checked)."""
    if args.format == "asterisk-csv":
        return asterisk.read_master_csv(
            args.path,
            source=args.source or "asterisk",
            zone=_zone(args.timezone),
            inbound_contexts=args.inbound_context or asterisk.DEFAULT_INBOUND_CONTEXTS,
            options=_options(args.csv_options),
        )
    return freeswitch.read_json_cdrs(
        args.path,
        source=args.source or "freeswitch",
        inbound_contexts=args.inbound_context or freeswitch.DEFAULT_INBOUND_CONTEXTS,
    )


def invocation_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the command line before any database work, or ``None``."""
    path: Path = args.path
    if args.format == "asterisk-csv" and path.is_dir():
        return f"{path}: a folder (asterisk-csv reads one file)"
    if not path.exists():
        return f"{path}: no such file or folder"
    if args.batch_size < 1:
        return "--batch-size must be ≥ 1"
    if args.source is not None and not (0 < len(args.source) <= 100 and args.source.isprintable()):
        return "--source must be 1..100 printable characters"
    if args.format == "freeswitch-json" and (args.csv_options or args.timezone != "UTC"):
        return "--timezone and --csv-options apply to asterisk-csv only (JSON times are Unix)"
    try:
        _zone(args.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        return f"--timezone: unknown time zone {args.timezone!r} (e.g. UTC, Europe/Paris, local)"
    try:
        _options(args.csv_options)
    except ValueError as exc:
        return str(exc)
    return None


def _zone(name: str) -> tzinfo | None:
    """The zone named (``None`` for ``local``: this machine's, DST included)."""
    if name.upper() == "UTC":
        return UTC
    return None if name == "local" else ZoneInfo(name)


def _options(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    unknown = [n for n in names if n not in asterisk.OPTIONS]
    if unknown:
        known = ", ".join(asterisk.OPTIONS)
        raise ValueError(f"--csv-options: unknown {', '.join(unknown)} (known: {known})")
    return names


async def import_file(ctx: ServicesContext, args: argparse.Namespace) -> int:
    """The command's work on ``ctx``: check the reseller, read, import, print; exit code."""
    try:
        await resellers.get_reseller(ctx, Actor.operator(), args.reseller)
    except NotFound:
        print(f"error: no reseller {args.reseller}", file=sys.stderr)
        return EXIT_USAGE
    try:
        read = read_file(args)
    except OSError as exc:
        print(f"error: {args.path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    done = await ingest_with_progress(
        "importing CDRs",
        len(read.cdrs),
        lambda on_batch: import_read(
            ctx, read, args.reseller, batch_size=args.batch_size, on_batch=on_batch
        ),
    )
    if isinstance(done, Stopped):
        print(done.message(read.places[done.committed]), file=sys.stderr)
        return EXIT_REFUSED
    summary = Summary(args.path.name, read, done)
    for line in summary.lines():
        print(line)
    if summary.refused:
        print(
            f"error: {summary.refused} record{'s' if summary.refused != 1 else ''} refused "
            "(listed above); the others are imported",
            file=sys.stderr,
        )
        return EXIT_REFUSED
    return EXIT_OK


def main(args: argparse.Namespace) -> int:
    problem = invocation_problem(args)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE

    async def job(ctx: ServicesContext) -> int:
        return await import_file(ctx, args)

    return run(job)
