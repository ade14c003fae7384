"""``pulsebill import-deck FILE [--name N] [--activate]``."""

from __future__ import annotations

import argparse
from pathlib import Path

from api.commands.service_runner import run
from api.domain.actor import Actor
from api.services.context import ServicesContext
from api.services.decks import import_deck


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("import-deck", help="import an operator rate deck (CSV)")
    parser.add_argument("file", type=Path)
    parser.add_argument("--name", default="")
    parser.add_argument("--activate", action="store_true", help="rate calls with it from now on")
    parser.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    async def job(ctx: ServicesContext) -> int:
        text = args.file.read_text(encoding="utf-8-sig")
        view = await import_deck(
            ctx,
            Actor.operator(),
            text,
            name=args.name or args.file.name,
            source=str(args.file),
            activate=args.activate,
        )
        state = "active" if view.active else "inactive"
        print(f"deck {view.version}: {view.row_count} rows ({state})")
        return 0

    return run(job)
