"""``pulsebill bill --date 2026-12-01``: the billing cycle for one date (idempotent).

A date after today (UTC) is refused: its statements would describe a period still open.
"""

from __future__ import annotations

import argparse
from datetime import date

from api.commands.service_runner import run
from api.domain.actor import Actor
from api.domain.cycles import check_billable
from api.domain.errors import InvalidInput
from api.services.billing import run_billing
from api.services.context import ServicesContext


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("bill", help="run the billing cycle for a date")
    parser.add_argument("--date", required=True, type=_date, help="YYYY-MM-DD")
    parser.set_defaults(func=main)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def main(args: argparse.Namespace) -> int:
    async def job(ctx: ServicesContext) -> int:
        try:
            check_billable(args.date, ctx.now().date())
        except ValueError as exc:
            raise InvalidInput("date", str(exc)) from None
        done = await run_billing(ctx, Actor.operator(), args.date)
        print(
            f"{done.on}: {done.clients} clients, {done.fees_posted} fees, "
            f"{done.statements} statements, {done.did_costs_posted} DID costs"
        )
        return 0

    return run(job)
