"""``pulsebill demo``: load the demo data once and print the demo API tokens.

The demo tokens are derived from the secret key (HMAC), so every run prints the same
tokens without storing them in clear and without adding a token per run. The demo's
deck and rule files ship inside the package (``api/demo_data``), so it runs from any
folder; ``--rules`` and ``--deck`` load others.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from sqlmodel import select

from api.commands.service_runner import run
from api.domain.actor import Role
from api.services.context import ServicesContext
from api.services.demo import load_demo
from api.services.secrets import token_hash
from api.settings import Settings
from api.store.tables import ApiToken

DEMO_DATA = "demo_data"
"""The folder inside the ``api`` package with ``demo-deck.csv`` and ``rules/``."""


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "demo", help="load the demo data (idempotent) and print the demo tokens"
    )
    parser.add_argument(
        "--rules", type=Path, default=None, help="folder of .rate files (default: the demo's)"
    )
    parser.add_argument(
        "--deck", type=Path, default=None, help="operator deck CSV (default: the demo's)"
    )
    parser.set_defaults(func=_command)


def demo_token(secret_key: str, purpose: str) -> str:
    """The demo's bearer token for ``purpose``, stable for one secret key."""
    digest = hmac.new(secret_key.encode(), f"pulsebill demo {purpose}".encode(), hashlib.sha256)
    return "pb_" + base64.urlsafe_b64encode(digest.digest()).decode().rstrip("=")


def graphql_url(settings: Settings) -> str:
    """Where ``pulsebill serve`` answers with these settings (a wildcard host: loopback)."""
    host = "127.0.0.1" if settings.host in {"", "0.0.0.0", "::"} else settings.host  # noqa: S104
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/graphql"


def _command(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    secret = settings.secret_key

    async def job(ctx: ServicesContext) -> int:
        with as_file(files("api") / DEMO_DATA) as demo_data:
            rules = args.rules or demo_data / "rules"
            deck = args.deck or demo_data / "demo-deck.csv"
            summary = await load_demo(ctx, rules, deck)
        reseller_token = demo_token(secret, "reseller")
        operator_token = demo_token(secret, "operator")
        switch_token = demo_token(secret, "switch")
        await _ensure_token(ctx, Role.RESELLER, summary.reseller_id, reseller_token)
        await _ensure_token(ctx, Role.OPERATOR, None, operator_token)
        await _ensure_token(ctx, Role.SWITCH, None, switch_token)
        print(f"demo data ready: reseller {summary.reseller_id}, deck {summary.deck_version},")
        print(f"  {len(summary.package_ids)} packages, {len(summary.client_ids)} clients")
        print(f"demo reseller API token: {reseller_token}")
        print(f"demo operator API token: {operator_token}")
        print(f'send it as "Authorization: Bearer <token>" to {graphql_url(settings)}')
        print(f"demo switch token (the /switch/ endpoints only): {switch_token}")
        return 0

    return run(job)


async def _ensure_token(
    ctx: ServicesContext, role: Role, reseller_id: int | None, token: str
) -> None:
    hashed = token_hash(token)
    async with ctx.unit_of_work() as uow:
        found = await uow.session.scalar(select(ApiToken.id).where(ApiToken.token_hash == hashed))
        if found is None:
            uow.session.add(
                ApiToken(
                    role=role.value,
                    reseller_id=reseller_id,
                    name=f"demo {role.value}",
                    token_hash=hashed,
                    created_at=ctx.now(),
                )
            )
