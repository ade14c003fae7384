"""``pulsebill create-reseller NAME --currency USD``: a tenant and its first API token."""

from __future__ import annotations

import argparse

from api.commands.service_runner import run
from api.domain.actor import Actor
from api.services.context import ServicesContext
from api.services.resellers import create_reseller


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    create = subparsers.add_parser("create-reseller", help="create a reseller and its API token")
    create.add_argument("name")
    create.add_argument("--currency", required=True, help="ISO 4217 code, e.g. USD")
    create.set_defaults(func=create_main)


def create_main(args: argparse.Namespace) -> int:
    async def job(ctx: ServicesContext) -> int:
        created = await create_reseller(ctx, Actor.operator(), args.name, args.currency)
        print(
            f"reseller {created.reseller.id}: {created.reseller.name} ({created.reseller.currency})"
        )
        print(f"API token {created.token.id} (shown once, keep it safe):")
        print(created.token.token)
        return 0

    return run(job)
