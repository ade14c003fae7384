"""``pulsebill import-deck FILE [--name N] [--activate]``: a progress bar on a terminal,
then a summary (rows, state); a refused deck lists every problem by line, then counts
them by column."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from api.commands.progress import Reporter
from api.commands.service_runner import run
from api.domain.actor import Actor
from api.domain.errors import DeckRejected
from api.services.context import ServicesContext
from api.services.decks import import_deck

SHOWN_PROBLEMS = 50


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("import-deck", help="import an operator rate deck (CSV)")
    parser.add_argument("file", type=Path)
    parser.add_argument("--name", default="")
    parser.add_argument("--activate", action="store_true", help="rate calls with it from now on")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    async def job(ctx: ServicesContext) -> int:
        text = args.file.read_text(encoding="utf-8-sig")
        progress = Reporter("importing deck")
        progress.start(max(text.count("\n") - 1, 0))
        try:
            view = await import_deck(
                ctx,
                Actor.operator(),
                text,
                name=args.name or args.file.name,
                source=str(args.file),
                activate=args.activate,
            )
        except DeckRejected as exc:
            progress.stop()
            print(f"error: {exc.message}; nothing was stored", file=sys.stderr)
            for problem in exc.problems[:SHOWN_PROBLEMS]:
                print(f"  {problem}", file=sys.stderr)
            if len(exc.problems) > SHOWN_PROBLEMS:
                print(f"  … and {len(exc.problems) - SHOWN_PROBLEMS} more", file=sys.stderr)
            by_column = Counter(p.column for p in exc.problems)
            counts = ", ".join(f"{column} {n}" for column, n in sorted(by_column.items()))
            print(f"refused by column: {counts}", file=sys.stderr)
            return 1
        progress.advance(view.row_count)
        progress.stop()
        state = "active" if view.active else "inactive"
        print(f"deck {view.version}: {view.row_count} rows ({state})")
        return 0

    return run(job)
