"""``pulsebill create-operator-token``, ``create-switch-token``, ``list-tokens`` and
``revoke-token``: API tokens."""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from datetime import datetime

from api.commands.service_runner import run
from api.domain.actor import Actor
from api.services.context import ServicesContext
from api.services.records import IssuedToken
from api.services.resellers import (
    create_operator_token,
    create_switch_token,
    list_tokens,
    revoke_token,
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = subparsers.add_parser(
        "create-operator-token", help="issue an operator API token (printed once)"
    )
    create.add_argument("--name", default="operator", help="a label for the list (operator)")
    create.set_defaults(func=create_main)
    switch = subparsers.add_parser(
        "create-switch-token",
        help="issue a switch token for the /switch/ endpoints only (printed once)",
    )
    switch.add_argument(
        "--name", required=True, help="the switch's name (the default source of its CDRs)"
    )
    switch.set_defaults(func=create_switch_main)
    listing = subparsers.add_parser(
        "list-tokens", help="list API tokens (id, role, reseller, name, dates; never the token)"
    )
    listing.add_argument("--reseller", type=int, default=None, help="only this reseller's")
    listing.set_defaults(func=list_main)
    revoke = subparsers.add_parser("revoke-token", help="revoke an API token by id")
    revoke.add_argument("token_id", type=int)
    revoke.set_defaults(func=revoke_main)


def create_main(args: argparse.Namespace) -> int:
    return _issue(create_operator_token, "operator API token", args.name)


def create_switch_main(args: argparse.Namespace) -> int:
    return _issue(create_switch_token, "switch token", args.name)


def _issue(
    create: Callable[[ServicesContext, str], Awaitable[IssuedToken]], kind: str, name: str
) -> int:
    """Issue a token with ``create`` and print it once."""

    async def job(ctx: ServicesContext) -> int:
        issued = await create(ctx, name)
        print(f"{kind} {issued.id} (shown once, keep it safe):")
        print(issued.token)
        return 0

    return run(job)


def list_main(args: argparse.Namespace) -> int:
    async def job(ctx: ServicesContext) -> int:
        tokens = await list_tokens(ctx, Actor.operator(), args.reseller)
        rows = [("id", "role", "reseller", "created", "revoked", "name")]
        rows += [
            (
                str(t.id),
                t.role,
                "-" if t.reseller_id is None else str(t.reseller_id),
                _when(t.created_at),
                _when(t.revoked_at),
                t.name,
            )
            for t in tokens
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
        for row in rows:
            cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
            print("  ".join([*cells, row[-1]]).rstrip())
        return 0

    return run(job)


def revoke_main(args: argparse.Namespace) -> int:
    async def job(ctx: ServicesContext) -> int:
        await revoke_token(ctx, Actor.operator(), args.token_id)
        print(f"token {args.token_id} revoked")
        return 0

    return run(job)


def _when(at: datetime | None) -> str:
    return "-" if at is None else f"{at:%Y-%m-%d %H:%M}Z"
